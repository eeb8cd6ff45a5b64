using System.Globalization;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace Rein.Server.Chat.Telegram;

/// <summary>
/// Posts to Telegram private chats through the Bot API (Telegram.Bot): answers in MarkdownV2, cut at Telegram's limit,
/// approval requests with an inline keyboard whose buttons read "Approve" and "Deny". An address is the chat id.
/// </summary>
internal sealed class TelegramSurface(ITelegramBotClient bot) : IChatSurface
{
    /// <summary>The callback data prefix of the Approve button.</summary>
    public const string ApprovePrefix = "a:";

    /// <summary>The callback data prefix of the Deny button.</summary>
    public const string DenyPrefix = "d:";

    /// <summary>The longest part of an answer sent as one message; Telegram takes 4,096 characters after Markdown is read.</summary>
    internal const int MaxMessageLength = 4000;

    private const int MaxPreviewLength = 3000;

    /// <inheritdoc />
    public string Name => "telegram";

    /// <inheritdoc />
    public async Task SendAnswerAsync(string address, string text, CancellationToken cancellationToken)
    {
        var chat = ChatId(address);
        foreach (var part in ChatText.Split(text, MaxMessageLength))
        {
            await SendAsync(chat, TelegramMarkdown.Render(part), part, null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task SendNoticeAsync(string address, string text, CancellationToken cancellationToken) =>
        await SendAsync(ChatId(address), TelegramMarkdown.Escape(text), text, null, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<string> SendApprovalAsync(string address, ChatApproval approval, string token, CancellationToken cancellationToken)
    {
        var chat = ChatId(address);
        var keyboard = new InlineKeyboardMarkup([[
            InlineKeyboardButton.WithCallbackData("Approve", ApprovePrefix + token),
            InlineKeyboardButton.WithCallbackData("Deny", DenyPrefix + token),
        ]]);
        var message = await SendAsync(chat, Render(approval, null), Plain(approval, null), keyboard, cancellationToken).ConfigureAwait(false);
        return $"{chat.ToString(CultureInfo.InvariantCulture)}/{message.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <inheritdoc />
    public async Task MarkApprovalAsync(string messageRef, ChatApproval approval, string outcome, CancellationToken cancellationToken)
    {
        var slash = messageRef.IndexOf('/', StringComparison.Ordinal);
        var chat = long.Parse(messageRef[..slash], CultureInfo.InvariantCulture);
        var message = int.Parse(messageRef[(slash + 1)..], CultureInfo.InvariantCulture);
        try
        {
            // An edit without a keyboard removes the buttons.
            await bot.EditMessageText(chat, message, Render(approval, outcome), ParseMode.MarkdownV2, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ApiRequestException ex) when (ex.ErrorCode == 400)
        {
            throw new ChatDeliveryException($"Telegram editMessageText refused: {ex.Message}");
        }
    }

    /// <inheritdoc />
    public async Task<string?> ShowProgressAsync(string address, string? progressRef, string text, CancellationToken cancellationToken)
    {
        // A private chat shows "typing…" for a few seconds: enough while the agent works, and no message to clean up.
        await bot.SendChatAction(ChatId(address), ChatAction.Typing, cancellationToken: cancellationToken).ConfigureAwait(false);
        return null;
    }

    private async Task<int> SendAsync(long chat, string markdown, string plain, InlineKeyboardMarkup? keyboard, CancellationToken cancellationToken)
    {
        try
        {
            var sent = await bot.SendMessage(chat, markdown, ParseMode.MarkdownV2, replyMarkup: keyboard, cancellationToken: cancellationToken).ConfigureAwait(false);
            return sent.Id;
        }
        catch (ApiRequestException ex) when (ex.ErrorCode == 400 && ex.Message.Contains("parse entities", StringComparison.OrdinalIgnoreCase))
        {
            // Should the Markdown still be refused, the words matter more than their formatting.
            var sent = await bot.SendMessage(chat, plain, replyMarkup: keyboard, cancellationToken: cancellationToken).ConfigureAwait(false);
            return sent.Id;
        }
        catch (ApiRequestException ex) when (ex.ErrorCode is 400 or 403)
        {
            throw new ChatDeliveryException($"Telegram sendMessage refused: {ex.Message}");
        }
    }

    private static string Render(ChatApproval approval, string? outcome)
    {
        var preview = approval.PreviewText;
        if (preview.Length > MaxPreviewLength)
        {
            preview = preview[..MaxPreviewLength] + "\n…";
        }

        var text = $"*Approval needed:* `{Code(approval.Tool)}` \\(call `{Code(approval.CallId)}`\\)\n{TelegramMarkdown.Escape(ChatText.Shorten(approval.Reason, 300))}\n```\n{Code(preview)}\n```";
        return outcome is null ? text : $"{text}\n*{TelegramMarkdown.Escape(outcome)}*";
    }

    private static string Plain(ChatApproval approval, string? outcome) =>
        $"Approval needed: {approval.Tool} (call {approval.CallId})\n{approval.Reason}\n{approval.PreviewText}{(outcome is null ? "" : $"\n{outcome}")}";

    private static string Code(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("`", "\\`", StringComparison.Ordinal);

    private static long ChatId(string address) =>
        long.TryParse(address, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id) ? id
            : throw new ChatDeliveryException($"'{address}' is not a Telegram chat id.");
}
