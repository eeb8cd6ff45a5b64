using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Telegram.Bot;

namespace Rein.Server.Chat.Telegram;

/// <summary>
/// Fetches updates with long polling (<c>getUpdates</c>), for a server Telegram cannot reach: the webhook is removed first
/// (Telegram refuses to poll while one is set), then each update is confirmed by asking for the ones after it.
/// </summary>
internal sealed partial class TelegramPolling(ITelegramBotClient bot, TelegramWork work, TelegramOptions options, ILogger<TelegramPolling> logger, TimeProvider? timeProvider = null) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var time = timeProvider ?? TimeProvider.System;
        int? offset = null;
        var webhookRemoved = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!webhookRemoved)
                {
                    await bot.DeleteWebhook(cancellationToken: stoppingToken).ConfigureAwait(false);
                    webhookRemoved = true;
                    Log.Polling(logger);
                }

                var updates = await bot.GetUpdates(offset, timeout: (int)options.PollTimeout.TotalSeconds, cancellationToken: stoppingToken).ConfigureAwait(false);
                foreach (var update in updates)
                {
                    await work.AcceptAsync(update, stoppingToken).ConfigureAwait(false);
                    offset = update.Id + 1;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.Failed(logger, ex, RetryDelay);
                try
                {
                    await Task.Delay(RetryDelay, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Information, "Fetching Telegram updates by long polling")]
        public static partial void Polling(ILogger logger);

        [LoggerMessage(LogLevel.Warning, "Fetching Telegram updates failed; trying again in {Delay}")]
        public static partial void Failed(ILogger logger, Exception exception, TimeSpan delay);
    }
}
