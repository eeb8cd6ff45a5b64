using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Rein.Server.Chat;

/// <summary>
/// What chat requests leave to be done after they were acknowledged (Slack wants an answer within 3 seconds): done one at a
/// time, in arrival order, so a conversation's messages keep their order.
/// </summary>
internal sealed partial class ChatWork(ILogger<ChatWork> logger) : BackgroundService
{
    private readonly Channel<(string What, Func<CancellationToken, Task> Work)> _queue =
        Channel.CreateUnbounded<(string, Func<CancellationToken, Task>)>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Queues work; it runs after the ones queued before it.</summary>
    /// <param name="what">What it is, for the log when it fails.</param>
    /// <param name="work">The work.</param>
    public void Enqueue(string what, Func<CancellationToken, Task> work) => _queue.Writer.TryWrite((what, work));

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (what, work) in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await work(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    Log.Failed(logger, ex, what);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Warning, "Handling {What} failed")]
        public static partial void Failed(ILogger logger, Exception exception, string what);
    }
}
