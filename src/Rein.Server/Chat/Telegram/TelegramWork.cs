using System.Globalization;
using Microsoft.Extensions.Logging;
using Rein.Chat;
using Telegram.Bot;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace Rein.Server.Chat.Telegram;

/// <summary>
/// Handles Telegram updates, from the webhook or long polling alike: a private chat's text is a message to its session
/// (<c>/new</c> starts a fresh one), a press of an approval button answers the call. Each update is handled once.
/// </summary>
internal sealed partial class TelegramWork(ChatInbox inbox, IChatStore chats, ITelegramBotClient bot, TelegramOptions options, ChatWork work, ILogger<TelegramWork> logger)
{
    /// <summary>Queues an update to be handled in the background, unless it was handled before.</summary>
    /// <returns>Whether it is new.</returns>
    public async Task<bool> AcceptAsync(Update update, CancellationToken cancellationToken)
    {
        if (!await chats.TryRecordDeliveryAsync($"telegram:update:{update.Id.ToString(CultureInfo.InvariantCulture)}", cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        work.Enqueue($"Telegram update {update.Id}", ct => HandleAsync(update, ct));
        return true;
    }

    private async Task HandleAsync(Update update, CancellationToken cancellationToken)
    {
        if (update.CallbackQuery is { } query)
        {
            await PressAsync(query, cancellationToken).ConfigureAwait(false);
        }
        else if (update.Message is { Text: { } text, From: { } from, Chat: { } chat })
        {
            if (chat.Type != ChatType.Private)
            {
                // Group chats are not conversations with one person; nothing starts there.
                Log.NotPrivate(logger, chat.Id);
                return;
            }

            await ReceiveAsync(chat.Id, from.Id, text, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ReceiveAsync(long chat, long user, string text, CancellationToken cancellationToken)
    {
        var conversation = chat.ToString(CultureInfo.InvariantCulture);
        var (command, rest) = Command(text);
        switch (command)
        {
            case "/start" or "/help":
                await bot.SendMessage(chat, TelegramMarkdown.Escape(
                    $"Send me a task and I will work on it. Everything you send goes to the same session until you send /new. Your Telegram account is telegram:{user.ToString(CultureInfo.InvariantCulture)}."),
                    ParseMode.MarkdownV2, cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            case "/new":
                await inbox.ForgetAsync("telegram", conversation, cancellationToken).ConfigureAwait(false);
                if (rest.Length == 0)
                {
                    await bot.SendMessage(chat, TelegramMarkdown.Escape("Your next message starts a new session."), ParseMode.MarkdownV2, cancellationToken: cancellationToken).ConfigureAwait(false);
                    return;
                }

                text = rest;
                break;
        }

        var reply = await inbox.ReceiveAsync(
            new ChatMessage("telegram", user.ToString(CultureInfo.InvariantCulture), conversation, text, options.Workspace, options.Agent), cancellationToken).ConfigureAwait(false);
        if (reply is not null)
        {
            await bot.SendMessage(chat, TelegramMarkdown.Escape(reply), ParseMode.MarkdownV2, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await bot.SendChatAction(chat, ChatAction.Typing, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task PressAsync(CallbackQuery query, CancellationToken cancellationToken)
    {
        var data = query.Data ?? "";
        bool? approve = data.StartsWith(TelegramSurface.ApprovePrefix, StringComparison.Ordinal) ? true
            : data.StartsWith(TelegramSurface.DenyPrefix, StringComparison.Ordinal) ? false
            : null;
        if (approve is not { } decision)
        {
            await bot.AnswerCallbackQuery(query.Id, cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }

        var press = await inbox.PressAsync("telegram", query.From.Id.ToString(CultureInfo.InvariantCulture), data[2..], decision, cancellationToken).ConfigureAwait(false);
        // Every press is answered, so the button stops spinning; a refusal is shown as an alert and changes nothing.
        await bot.AnswerCallbackQuery(query.Id, ChatText.Shorten(press.Reply, 190), showAlert: !press.Answered, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Splits <c>/new@rein_bot do this</c> into the command (<c>/new</c>) and the rest.</summary>
    internal static (string? Name, string Text) Command(string text)
    {
        var trimmed = text.Trim();
        if (!trimmed.StartsWith('/'))
        {
            return (null, trimmed);
        }

        var space = trimmed.IndexOfAny([' ', '\n']);
        var word = space < 0 ? trimmed : trimmed[..space];
        var at = word.IndexOf('@', StringComparison.Ordinal);
        return ((at < 0 ? word : word[..at]).ToLowerInvariant(), space < 0 ? "" : trimmed[(space + 1)..].Trim());
    }

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Information, "A message in Telegram chat {ChatId}, which is not private, was ignored")]
        public static partial void NotPrivate(ILogger logger, long chatId);
    }
}
