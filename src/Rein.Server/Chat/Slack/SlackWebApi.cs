using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rein.Server.Chat.Slack;

/// <summary>
/// The few Slack Web API methods Rein uses (<c>chat.postMessage</c>, <c>chat.update</c>, <c>chat.postEphemeral</c>), as
/// JSON posts with the bot token as a bearer token. The <see cref="HttpClient"/> retries 429 (after <c>Retry-After</c>) and
/// 5xx; an answer of <c>"ok": false</c> is a <see cref="ChatDeliveryException"/> naming Slack's error.
/// </summary>
/// <param name="http">The client, whose handler retries.</param>
/// <param name="options">The API's URL and the bot token.</param>
internal sealed class SlackWebApi(HttpClient http, SlackOptions options)
{
    /// <summary>Posts a message, in a thread when <paramref name="threadTs"/> is given.</summary>
    /// <returns>The message's <c>ts</c>.</returns>
    public async Task<string> PostMessageAsync(string channel, string text, string? threadTs, JsonArray? blocks, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["channel"] = channel, ["text"] = text, ["unfurl_links"] = false, ["unfurl_media"] = false };
        if (threadTs is not null)
        {
            body["thread_ts"] = threadTs;
        }

        if (blocks is not null)
        {
            body["blocks"] = blocks;
        }

        var answer = await CallAsync("chat.postMessage", body, cancellationToken).ConfigureAwait(false);
        return answer.TryGetProperty("ts", out var ts) && ts.GetString() is { } value ? value
            : throw new ChatDeliveryException("chat.postMessage answered without a ts.");
    }

    /// <summary>Replaces a message's text and blocks.</summary>
    public async Task UpdateAsync(string channel, string ts, string text, JsonArray? blocks, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["channel"] = channel, ["ts"] = ts, ["text"] = text, ["blocks"] = blocks ?? new JsonArray() };
        await CallAsync("chat.update", body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Shows a message to one person in a channel (only they see it).</summary>
    public async Task PostEphemeralAsync(string channel, string user, string text, string? threadTs, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["channel"] = channel, ["user"] = user, ["text"] = text };
        if (threadTs is not null)
        {
            body["thread_ts"] = threadTs;
        }

        await CallAsync("chat.postEphemeral", body, cancellationToken).ConfigureAwait(false);
    }

    private async Task<JsonElement> CallAsync(string method, JsonObject body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.ApiUrl, method))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.BotToken);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            // Transient statuses were retried by the handler already.
            throw new HttpRequestException($"Slack {method} answered HTTP {(int)response.StatusCode}.", null, response.StatusCode);
        }

        JsonElement answer;
        try
        {
            using var document = JsonDocument.Parse(text);
            answer = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new ChatDeliveryException($"Slack {method} answered something other than JSON.");
        }

        if (answer.ValueKind != JsonValueKind.Object || !answer.TryGetProperty("ok", out var ok) || ok.ValueKind != JsonValueKind.True)
        {
            var error = answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("error", out var e) ? e.GetString() : null;
            throw new ChatDeliveryException($"Slack {method} refused: {error ?? "no error given"}.");
        }

        return answer;
    }
}
