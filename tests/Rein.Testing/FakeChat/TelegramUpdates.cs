using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Rein.Testing.FakeChat;

/// <summary>
/// Builds Bot API <c>Update</c> objects (Telegram's field names) for <see cref="FakeTelegramBotApi.EnqueueUpdate"/> or
/// for webhook calls to Rein (<see cref="Webhook"/>).
/// </summary>
public static class TelegramUpdates
{
    /// <summary>The header Telegram sends the webhook's secret token in.</summary>
    public const string SecretTokenHeader = "X-Telegram-Bot-Api-Secret-Token";

    /// <summary>An update with a text <c>message</c> from a user; a text starting with <c>/</c> gets a <c>bot_command</c> entity.</summary>
    /// <param name="updateId">The update id (increasing).</param>
    /// <param name="chatId">The chat id (for a private chat, the user's id).</param>
    /// <param name="userId">The sender's user id.</param>
    /// <param name="text">The text.</param>
    /// <param name="chatType">The chat type: <c>private</c>, <c>group</c>, <c>supergroup</c> or <c>channel</c>. Default: <c>private</c>.</param>
    /// <param name="messageId">The message id. Default: 100000 + <paramref name="updateId"/>.</param>
    /// <returns>The update's JSON.</returns>
    public static string Text(long updateId, long chatId, long userId, string text, string chatType = "private", int? messageId = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var message = new JsonObject
        {
            ["message_id"] = messageId ?? (int)(100_000 + (updateId % 1_000_000_000)),
            ["from"] = User(userId),
            ["chat"] = Chat(chatId, chatType, userId),
            ["date"] = Now(),
            ["text"] = text,
        };
        if (text.StartsWith('/'))
        {
            var end = 1;
            while (end < text.Length && !char.IsWhiteSpace(text[end]))
            {
                end++;
            }

            message["entities"] = new JsonArray(new JsonObject { ["offset"] = 0, ["length"] = end, ["type"] = "bot_command" });
        }

        return new JsonObject { ["update_id"] = updateId, ["message"] = message }.ToJsonString();
    }

    /// <summary>An update with a <c>callback_query</c>: the user pressed an inline button with <paramref name="data"/> on a bot message.</summary>
    /// <param name="updateId">The update id (increasing).</param>
    /// <param name="queryId">The query id, to answer with <c>answerCallbackQuery</c>.</param>
    /// <param name="userId">The user who pressed the button.</param>
    /// <param name="chatId">The chat of the message.</param>
    /// <param name="messageId">The bot message with the button.</param>
    /// <param name="data">The button's <c>callback_data</c>.</param>
    /// <param name="botId">The bot's user id, the sender of the message. Default: 9000.</param>
    /// <returns>The update's JSON.</returns>
    public static string CallbackQuery(long updateId, string queryId, long userId, long chatId, int messageId, string data, long botId = FakeTelegramBotApi.DefaultBotId) =>
        new JsonObject
        {
            ["update_id"] = updateId,
            ["callback_query"] = new JsonObject
            {
                ["id"] = queryId,
                ["from"] = User(userId),
                ["message"] = new JsonObject
                {
                    ["message_id"] = messageId,
                    ["from"] = FakeTelegramBotApi.BotUser(botId),
                    ["chat"] = Chat(chatId, chatId > 0 ? "private" : "group", userId),
                    ["date"] = Now(),
                    ["text"] = "(message with buttons)",
                },
                ["chat_instance"] = "-" + chatId.ToString(CultureInfo.InvariantCulture).TrimStart('-'),
                ["data"] = data,
            },
        }.ToJsonString();

    /// <summary>A webhook call as Telegram makes it: POST of the update's JSON, with the secret token header when set.</summary>
    /// <param name="url">Rein's webhook URL.</param>
    /// <param name="secretToken">The <c>secret_token</c> given to <c>setWebhook</c>, or <see langword="null"/> to send no header.</param>
    /// <param name="updateJson">The update, e.g. from <see cref="Text"/>.</param>
    /// <returns>The request, ready to send.</returns>
    public static HttpRequestMessage Webhook(Uri url, string? secretToken, string updateJson)
    {
        ArgumentNullException.ThrowIfNull(url);
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(updateJson, Encoding.UTF8, "application/json") };
        if (secretToken is not null)
        {
            request.Headers.Add(SecretTokenHeader, secretToken);
        }

        return request;
    }

    internal static JsonObject Chat(long chatId, string chatType, long userId) => chatType == "private"
        ? new JsonObject { ["id"] = chatId, ["type"] = "private", ["first_name"] = $"User{userId}" }
        : new JsonObject { ["id"] = chatId, ["type"] = chatType, ["title"] = "Fake group" };

    private static JsonObject User(long userId) =>
        new() { ["id"] = userId, ["is_bot"] = false, ["first_name"] = $"User{userId}", ["language_code"] = "en" };

    private static long Now() => TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
}
