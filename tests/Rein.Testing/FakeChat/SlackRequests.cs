using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Rein.Testing.FakeChat;

/// <summary>
/// Builds the signed HTTP requests Slack sends to an app (Events API callbacks, interactivity payloads), for tests that
/// play Slack calling Rein.
/// </summary>
public static class SlackRequests
{
    /// <summary>The app id the payloads carry.</summary>
    public const string AppId = "A0FAKEAPP";

    /// <summary>Computes <c>X-Slack-Signature</c>: <c>v0=</c> and the lowercase hex HMAC-SHA256 of <c>v0:{timestamp}:{body}</c>.</summary>
    /// <param name="signingSecret">The app's signing secret.</param>
    /// <param name="timestamp">The <c>X-Slack-Request-Timestamp</c> value (Unix seconds).</param>
    /// <param name="body">The exact request body.</param>
    /// <returns>The signature.</returns>
    public static string Sign(string signingSecret, long timestamp, string body)
    {
        ArgumentNullException.ThrowIfNull(signingSecret);
        ArgumentNullException.ThrowIfNull(body);
        var mac = HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(signingSecret),
            Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"v0:{timestamp}:{body}")));
        return "v0=" + Convert.ToHexStringLower(mac);
    }

    /// <summary>An Events API request: the JSON <paramref name="body"/>, signed.</summary>
    /// <param name="url">Rein's events URL.</param>
    /// <param name="signingSecret">The secret to sign with.</param>
    /// <param name="body">The JSON payload, e.g. from <see cref="AppMention"/>.</param>
    /// <param name="timestamp">The request timestamp (Unix seconds). Default: now.</param>
    /// <param name="retryNum">When set, marks the request as Slack's retry number <paramref name="retryNum"/> after an HTTP timeout.</param>
    /// <returns>The request, ready to send.</returns>
    public static HttpRequestMessage Event(Uri url, string signingSecret, string body, long? timestamp = null, int? retryNum = null)
    {
        var request = Signed(url, signingSecret, body, "application/json", timestamp);
        if (retryNum is { } retry)
        {
            request.Headers.Add("X-Slack-Retry-Num", retry.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add("X-Slack-Retry-Reason", "http_timeout");
        }

        return request;
    }

    /// <summary>An interactivity request: <c>payload=&lt;url-encoded JSON&gt;</c> as a form, signed over that exact body.</summary>
    /// <param name="url">Rein's interactivity URL.</param>
    /// <param name="signingSecret">The secret to sign with.</param>
    /// <param name="payloadJson">The payload, e.g. from <see cref="BlockAction"/>.</param>
    /// <param name="timestamp">The request timestamp (Unix seconds). Default: now.</param>
    /// <returns>The request, ready to send.</returns>
    public static HttpRequestMessage Interaction(Uri url, string signingSecret, string payloadJson, long? timestamp = null)
    {
        ArgumentNullException.ThrowIfNull(payloadJson);
        return Signed(url, signingSecret, "payload=" + Uri.EscapeDataString(payloadJson), "application/x-www-form-urlencoded", timestamp);
    }

    /// <summary>The <c>url_verification</c> handshake Slack sends when the events URL is configured.</summary>
    /// <param name="challenge">The challenge the app must echo.</param>
    /// <returns>The JSON payload.</returns>
    public static string UrlVerification(string challenge) =>
        new JsonObject { ["token"] = "fake-verification-token", ["challenge"] = challenge, ["type"] = "url_verification" }.ToJsonString();

    /// <summary>An <c>event_callback</c> with an <c>app_mention</c> event.</summary>
    /// <param name="eventId">The event id (Slack's dedupe key), e.g. <c>Ev0001</c>.</param>
    /// <param name="team">The workspace id.</param>
    /// <param name="channel">The channel id.</param>
    /// <param name="user">The user who mentioned the bot.</param>
    /// <param name="text">The message text, e.g. <c>&lt;@U0BOT&gt; hello</c>.</param>
    /// <param name="ts">The message's <c>ts</c>.</param>
    /// <param name="threadTs">The thread's parent <c>ts</c> when the mention is in a thread.</param>
    /// <returns>The JSON payload.</returns>
    public static string AppMention(string eventId, string team, string channel, string user, string text, string ts, string? threadTs = null)
    {
        var e = new JsonObject { ["type"] = "app_mention", ["user"] = user, ["text"] = text, ["ts"] = ts, ["channel"] = channel, ["team"] = team, ["event_ts"] = ts };
        return Envelope(eventId, team, Thread(e, threadTs));
    }

    /// <summary>An <c>event_callback</c> with a <c>message</c> event in a direct message (<c>channel_type</c> <c>im</c>).</summary>
    /// <param name="eventId">The event id.</param>
    /// <param name="team">The workspace id.</param>
    /// <param name="channel">The DM channel id, e.g. <c>D0001</c>.</param>
    /// <param name="user">The sender.</param>
    /// <param name="text">The text.</param>
    /// <param name="ts">The message's <c>ts</c>.</param>
    /// <param name="threadTs">The thread's parent <c>ts</c> when the message is in a thread.</param>
    /// <returns>The JSON payload.</returns>
    public static string DirectMessage(string eventId, string team, string channel, string user, string text, string ts, string? threadTs = null)
    {
        var e = new JsonObject
        {
            ["type"] = "message", ["channel"] = channel, ["user"] = user, ["text"] = text, ["ts"] = ts,
            ["event_ts"] = ts, ["channel_type"] = "im", ["team"] = team,
        };
        return Envelope(eventId, team, Thread(e, threadTs));
    }

    /// <summary>An <c>event_callback</c> with a <c>message</c> event a bot posted (<c>subtype</c> <c>bot_message</c>), which an app must ignore.</summary>
    /// <param name="eventId">The event id.</param>
    /// <param name="team">The workspace id.</param>
    /// <param name="channel">The channel id.</param>
    /// <param name="botId">The posting bot's id, e.g. <see cref="FakeSlackApi.BotId"/>.</param>
    /// <param name="text">The text.</param>
    /// <param name="ts">The message's <c>ts</c>.</param>
    /// <param name="threadTs">The thread's parent <c>ts</c> when the message is in a thread.</param>
    /// <param name="channelType">The <c>channel_type</c>: <c>channel</c>, <c>group</c>, <c>im</c> or <c>mpim</c>. Default: <c>channel</c>.</param>
    /// <returns>The JSON payload.</returns>
    public static string BotMessage(string eventId, string team, string channel, string botId, string text, string ts, string? threadTs = null, string channelType = "channel")
    {
        var e = new JsonObject
        {
            ["type"] = "message", ["subtype"] = "bot_message", ["bot_id"] = botId, ["channel"] = channel, ["text"] = text,
            ["ts"] = ts, ["event_ts"] = ts, ["channel_type"] = channelType,
        };
        return Envelope(eventId, team, Thread(e, threadTs));
    }

    /// <summary>A <c>block_actions</c> payload: <paramref name="user"/> clicked the button <paramref name="actionId"/> on a message.</summary>
    /// <param name="team">The workspace id.</param>
    /// <param name="user">The user who clicked.</param>
    /// <param name="channel">The channel id.</param>
    /// <param name="messageTs">The <c>ts</c> of the message with the button.</param>
    /// <param name="actionId">The button's <c>action_id</c>.</param>
    /// <param name="value">The button's <c>value</c>.</param>
    /// <param name="threadTs">The thread of the message, if it is in one.</param>
    /// <returns>The JSON payload (send it with <see cref="Interaction"/>).</returns>
    public static string BlockAction(string team, string user, string channel, string messageTs, string actionId, string value, string? threadTs = null)
    {
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var message = new JsonObject { ["type"] = "message", ["ts"] = messageTs, ["text"] = "(message with buttons)", ["user"] = FakeSlackApi.BotUserId, ["bot_id"] = FakeSlackApi.BotId };
        if (threadTs is not null)
        {
            message["thread_ts"] = threadTs;
        }

        return new JsonObject
        {
            ["type"] = "block_actions",
            ["api_app_id"] = AppId,
            ["token"] = "fake-verification-token",
            ["user"] = new JsonObject { ["id"] = user, ["username"] = user.ToLowerInvariant(), ["name"] = user.ToLowerInvariant(), ["team_id"] = team },
            ["team"] = new JsonObject { ["id"] = team, ["domain"] = "fake" },
            ["channel"] = new JsonObject { ["id"] = channel, ["name"] = "fake-channel" },
            ["container"] = new JsonObject { ["type"] = "message", ["message_ts"] = messageTs, ["channel_id"] = channel, ["is_ephemeral"] = false },
            ["message"] = message,
            ["response_url"] = $"https://hooks.slack.com/actions/{team}/1/fake",
            ["trigger_id"] = "1.2.fake",
            ["state"] = new JsonObject { ["values"] = new JsonObject() },
            ["actions"] = new JsonArray(new JsonObject
            {
                ["type"] = "button",
                ["action_id"] = actionId,
                ["block_id"] = "actions",
                ["value"] = value,
                ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = actionId, ["emoji"] = true },
                ["action_ts"] = now + ".000001",
            }),
        }.ToJsonString();
    }

    private static HttpRequestMessage Signed(Uri url, string signingSecret, string body, string contentType, long? timestamp)
    {
        ArgumentNullException.ThrowIfNull(url);
        var ts = timestamp ?? TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        request.Headers.Add("X-Slack-Request-Timestamp", ts.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("X-Slack-Signature", Sign(signingSecret, ts, body));
        return request;
    }

    private static JsonObject Thread(JsonObject e, string? threadTs)
    {
        if (threadTs is not null)
        {
            e["thread_ts"] = threadTs;
        }

        return e;
    }

    private static string Envelope(string eventId, string team, JsonObject e) => new JsonObject
    {
        ["token"] = "fake-verification-token",
        ["team_id"] = team,
        ["api_app_id"] = AppId,
        ["event"] = e,
        ["type"] = "event_callback",
        ["event_id"] = eventId,
        ["event_time"] = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds(),
        ["authorizations"] = new JsonArray(new JsonObject
        {
            ["team_id"] = team, ["user_id"] = FakeSlackApi.BotUserId, ["is_bot"] = true, ["is_enterprise_install"] = false,
        }),
    }.ToJsonString();
}
