using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Rein.Testing.FakeChat;

/// <summary>
/// A fake Slack Web API on 127.0.0.1 (a free port) that serves <c>chat.postMessage</c>, <c>chat.update</c>,
/// <c>chat.postEphemeral</c> and <c>auth.test</c> as Slack does, checks each call strictly, and records it.
/// </summary>
/// <remarks>
/// <para>
/// Like Slack, refusals are HTTP 200 with <c>{"ok":false,"error":"..."}</c> (an unknown method is HTTP 404); every
/// refusal is also added to <see cref="Violations"/>, so a test can assert that Rein sent nothing Slack would refuse.
/// Calls must carry <c>Authorization: Bearer &lt;bot token&gt;</c> and a JSON body (<c>auth.test</c> may have none).
/// Messages are kept, so <see cref="CurrentText"/> and <see cref="CurrentBlocks"/> show a message after its updates.
/// </para>
/// <para>Thread-safe.</para>
/// </remarks>
public sealed partial class FakeSlackApi : IAsyncDisposable
{
    /// <summary>The bot's user id, as <c>auth.test</c> answers it.</summary>
    public const string BotUserId = "U0BOT";

    /// <summary>The bot's bot id, as <c>auth.test</c> answers it.</summary>
    public const string BotId = "B0BOT";

    private const long FirstTsMicros = 1_700_000_000_000_000;

    private readonly string _botToken;
    private readonly Lock _lock = new();
    private readonly CallRecorder<SlackCall> _recorder = new("Slack", call => call.ToString());
    private readonly Dictionary<(string Channel, string Ts), StoredMessage> _messages = [];
    private WebApplication? _app;
    private long _lastTs;
    private readonly RateLimits _rateLimits = new();

    private FakeSlackApi(string botToken) => _botToken = botToken;

    /// <summary>Gets the Web API base URL, <c>http://127.0.0.1:PORT/api/</c> (Rein's <c>slack.api_url</c>).</summary>
    public Uri ApiUrl { get; private set; } = null!;

    /// <summary>Gets every call so far, in order (a snapshot; rate-limited calls are not included).</summary>
    public IReadOnlyList<SlackCall> Calls => _recorder.Calls;

    /// <summary>Gets each refusal so far, as <c>method: error: detail</c> (a snapshot).</summary>
    public IReadOnlyList<string> Violations => _recorder.Violations;

    /// <summary>Gets how many calls were answered 429 because of <see cref="RateLimitNext"/>.</summary>
    public int RateLimited => _rateLimits.Refused;

    /// <summary>Starts a fake Slack Web API that accepts <paramref name="botToken"/>.</summary>
    /// <param name="botToken">The bot token (<c>xoxb-…</c>) calls must carry as a bearer token.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running fake; dispose it to stop it.</returns>
    /// <exception cref="ArgumentException"><paramref name="botToken"/> is empty.</exception>
    public static async Task<FakeSlackApi> StartAsync(string botToken, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(botToken);
        var fake = new FakeSlackApi(botToken);
        var (app, root) = await FakeChatHost.StartAsync(fake.HandleAsync, cancellationToken);
        fake._app = app;
        fake.ApiUrl = new Uri(root, "/api/");
        return fake;
    }

    /// <summary>Answers the next <paramref name="count"/> calls with HTTP 429, <c>Retry-After: retryAfterSeconds</c> and <c>ratelimited</c>.</summary>
    /// <param name="count">How many calls to refuse.</param>
    /// <param name="retryAfterSeconds">The <c>Retry-After</c> value.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative.</exception>
    public void RateLimitNext(int count, int retryAfterSeconds)
    {
        _rateLimits.Next(count, retryAfterSeconds);
    }

    /// <summary>Waits for the first call (past or future) that <paramref name="match"/> accepts.</summary>
    /// <param name="match">Which call to wait for.</param>
    /// <param name="timeout">How long to wait. Default: 30 seconds.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The call.</returns>
    /// <exception cref="TimeoutException">No such call arrived in time; the message lists the calls seen.</exception>
    public Task<SlackCall> WaitForAsync(Func<SlackCall, bool> match, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        _recorder.WaitForAsync(match, timeout, cancellationToken);

    /// <summary>Gets the current text of a message this fake posted (after updates), or <see langword="null"/> if there is none.</summary>
    /// <param name="channel">The channel id.</param>
    /// <param name="ts">The message's <c>ts</c>.</param>
    public string? CurrentText(string channel, string ts)
    {
        lock (_lock)
        {
            return _messages.TryGetValue((channel, ts), out var message) ? message.Text : null;
        }
    }

    /// <summary>Gets the current blocks of a message this fake posted (after updates), or <see langword="null"/> if it has none.</summary>
    /// <param name="channel">The channel id.</param>
    /// <param name="ts">The message's <c>ts</c>.</param>
    public JsonElement? CurrentBlocks(string channel, string ts)
    {
        lock (_lock)
        {
            return _messages.TryGetValue((channel, ts), out var message) ? message.Blocks : null;
        }
    }

    /// <summary>Stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _app, null) is { } app)
        {
            await FakeChatHost.StopAsync(app);
        }
    }

    [GeneratedRegex(@"^\d{10}\.\d{6}$")]
    private static partial Regex TsPattern();

    private async Task HandleAsync(HttpContext context)
    {
        string raw;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            raw = await reader.ReadToEndAsync(context.RequestAborted);
        }

        if (_rateLimits.TryTake() is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
            await WriteAsync(context, 429, new JsonObject { ["ok"] = false, ["error"] = "ratelimited" });
            return;
        }

        var path = context.Request.Path.Value ?? "/";
        var method = path.StartsWith("/api/", StringComparison.Ordinal) ? path["/api/".Length..] : path;
        var authorization = context.Request.Headers.Authorization.Count > 0 ? context.Request.Headers.Authorization.ToString() : null;
        var (body, parseError) = ParseBody(context.Request, method, raw);
        var outcome = method switch
        {
            "chat.postMessage" or "chat.update" or "chat.postEphemeral" or "auth.test" =>
                Authorize(authorization) ?? parseError ?? Handle(method, body),
            _ => Outcome.Fail("unknown_method", $"the fake does not serve {context.Request.Method} {path}", status: 404),
        };

        if (outcome.Error is { } error)
        {
            _recorder.AddViolation($"{method}: {error}{(outcome.Detail is null ? "" : ": " + outcome.Detail)}");
        }

        _recorder.Add(new SlackCall(method, body, authorization) { Error = outcome.Error });
        await WriteAsync(context, outcome.Status, outcome.Body);
    }


    private Outcome? Authorize(string? authorization)
    {
        const string Bearer = "Bearer ";
        if (authorization is null || !authorization.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) || authorization.Length == Bearer.Length)
        {
            return Outcome.Fail("not_authed", "no Authorization: Bearer header");
        }

        return string.Equals(authorization[Bearer.Length..].Trim(), _botToken, StringComparison.Ordinal)
            ? null
            : Outcome.Fail("invalid_auth", "the bearer token is not the bot token");
    }

    private static (JsonElement Body, Outcome? Error) ParseBody(HttpRequest request, string method, string raw)
    {
        if (raw.Length == 0 && method == "auth.test")
        {
            return (EmptyObject(), null);
        }

        var isJson = request.ContentType is { } contentType
            && contentType.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase);
        if (!isJson)
        {
            return (JsonSerializer.SerializeToElement(raw, FakeChatJsonContext.Default.String),
                Outcome.Fail("invalid_form_data", $"a JSON body needs Content-Type: application/json, got \"{request.ContentType}\""));
        }

        try
        {
            using var document = JsonDocument.Parse(raw);
            var body = document.RootElement.Clone();
            return body.ValueKind == JsonValueKind.Object
                ? (body, null)
                : (body, Outcome.Fail("invalid_json", "the body is not a JSON object"));
        }
        catch (JsonException e)
        {
            return (JsonSerializer.SerializeToElement(raw, FakeChatJsonContext.Default.String), Outcome.Fail("invalid_json", e.Message));
        }
    }

    private Outcome Handle(string method, JsonElement body) => method switch
    {
        "chat.postMessage" => PostMessage(body),
        "chat.update" => Update(body),
        "chat.postEphemeral" => PostEphemeral(body),
        _ => Outcome.Success(new JsonObject
        {
            ["url"] = "https://fake.slack.com/",
            ["team"] = "Fake",
            ["user"] = "rein",
            ["team_id"] = "T0FAKE",
            ["user_id"] = BotUserId,
            ["bot_id"] = BotId,
        }),
    };

    private Outcome PostMessage(JsonElement body)
    {
        if (String(body, "channel") is not { Length: > 0 } channel)
        {
            return Outcome.Fail("channel_not_found", "channel is missing or not a string");
        }

        if (CheckContent(body, required: true) is { } contentProblem)
        {
            return contentProblem;
        }

        string? threadTs = null;
        if (body.TryGetProperty("thread_ts", out var thread))
        {
            threadTs = thread.ValueKind == JsonValueKind.String ? thread.GetString() : null;
            if (threadTs is null || !TsPattern().IsMatch(threadTs))
            {
                return Outcome.Fail("invalid_thread_ts", $"thread_ts must be a string like 1700000000.000100, got {thread.GetRawText()}");
            }
        }

        var text = String(body, "text") ?? string.Empty;
        var blocks = Blocks(body);
        string ts;
        lock (_lock)
        {
            ts = NextTs();
            _messages[(channel, ts)] = new StoredMessage(text, blocks, threadTs);
        }

        var message = MessageJson(text, ts, threadTs, blocks);
        return Outcome.Success(new JsonObject { ["channel"] = channel, ["ts"] = ts, ["message"] = message });
    }

    private Outcome Update(JsonElement body)
    {
        if (String(body, "channel") is not { Length: > 0 } channel)
        {
            return Outcome.Fail("channel_not_found", "channel is missing or not a string");
        }

        if (String(body, "ts") is not { Length: > 0 } ts)
        {
            return Outcome.Fail("message_not_found", "ts is missing or not a string");
        }

        if (CheckContent(body, required: true) is { } contentProblem)
        {
            return contentProblem;
        }

        StoredMessage updated;
        lock (_lock)
        {
            if (!_messages.TryGetValue((channel, ts), out var current))
            {
                return Outcome.Fail("message_not_found", $"no message {ts} posted by this fake in {channel}");
            }

            // As in Slack, a field left out keeps its old value; "blocks": [] removes the blocks.
            var blocks = body.TryGetProperty("blocks", out _) ? Blocks(body) : current.Blocks;
            updated = current with { Text = String(body, "text") ?? current.Text, Blocks = blocks is { ValueKind: JsonValueKind.Array } b && b.GetArrayLength() == 0 ? null : blocks };
            _messages[(channel, ts)] = updated;
        }

        return Outcome.Success(new JsonObject
        {
            ["channel"] = channel,
            ["ts"] = ts,
            ["text"] = updated.Text,
            ["message"] = MessageJson(updated.Text, ts, updated.ThreadTs, updated.Blocks),
        });
    }

    private Outcome PostEphemeral(JsonElement body)
    {
        if (String(body, "channel") is not { Length: > 0 })
        {
            return Outcome.Fail("channel_not_found", "channel is missing or not a string");
        }

        if (String(body, "user") is not { Length: > 0 })
        {
            return Outcome.Fail("user_not_in_channel", "user is missing or not a string");
        }

        // Slack takes blocks without text here too, so the fake does not insist on text.
        if (CheckContent(body, required: true) is { } contentProblem)
        {
            return contentProblem;
        }

        string ts;
        lock (_lock)
        {
            ts = NextTs();
        }

        return Outcome.Success(new JsonObject { ["message_ts"] = ts });
    }

    private static Outcome? CheckContent(JsonElement body, bool required)
    {
        if (body.TryGetProperty("text", out var text) && text.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
        {
            return Outcome.Fail("invalid_arguments", $"text must be a string, got {text.ValueKind}");
        }

        var hasText = String(body, "text") is { Length: > 0 };
        var hasBlocks = body.TryGetProperty("blocks", out var blocks) && blocks.ValueKind != JsonValueKind.Null;
        if (required && !hasText && !hasBlocks)
        {
            return Outcome.Fail("no_text", "neither text nor blocks");
        }

        if (String(body, "text") is { Length: > 40_000 } longText)
        {
            return Outcome.Fail("msg_too_long", $"text is {longText.Length} characters, more than 40000");
        }

        if (!hasBlocks)
        {
            return null;
        }

        if (blocks.ValueKind == JsonValueKind.String)
        {
            // Slack also takes blocks as a JSON string (the form encoding of the same array).
            try
            {
                using var document = JsonDocument.Parse(blocks.GetString()!);
                blocks = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                return Outcome.Fail("invalid_blocks_format", e.Message);
            }
        }

        if (blocks.ValueKind != JsonValueKind.Array)
        {
            return Outcome.Fail("invalid_blocks_format", "blocks must be a JSON array");
        }

        return SlackBlocks.Check(blocks) is { } problem ? Outcome.Fail("invalid_blocks", problem) : null;
    }

    private string NextTs()
    {
        _lastTs = _lastTs == 0 ? FirstTsMicros + 100 : _lastTs + 100;
        return string.Create(CultureInfo.InvariantCulture, $"{_lastTs / 1_000_000}.{_lastTs % 1_000_000:D6}");
    }

    private static JsonObject MessageJson(string text, string ts, string? threadTs, JsonElement? blocks)
    {
        var message = new JsonObject
        {
            ["type"] = "message",
            ["user"] = BotUserId,
            ["bot_id"] = BotId,
            ["text"] = text,
            ["ts"] = ts,
        };
        if (threadTs is not null)
        {
            message["thread_ts"] = threadTs;
        }

        if (blocks is { } b)
        {
            message["blocks"] = JsonNode.Parse(b.GetRawText());
        }

        return message;
    }

    private static JsonElement? Blocks(JsonElement body)
    {
        if (!body.TryGetProperty("blocks", out var blocks) || blocks.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (blocks.ValueKind == JsonValueKind.String)
        {
            using var document = JsonDocument.Parse(blocks.GetString()!);
            return document.RootElement.Clone();
        }

        return blocks.Clone();
    }

    private static string? String(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static JsonElement EmptyObject()
    {
        using var document = JsonDocument.Parse("{}");
        return document.RootElement.Clone();
    }

    private static async Task WriteAsync(HttpContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    private sealed record StoredMessage(string Text, JsonElement? Blocks, string? ThreadTs);

    private sealed record Outcome(int Status, JsonObject Body, string? Error, string? Detail)
    {
        public static Outcome Success(JsonObject fields)
        {
            var body = new JsonObject { ["ok"] = true };
            foreach (var (key, value) in fields.ToList())
            {
                fields.Remove(key);
                body[key] = value;
            }

            return new Outcome(200, body, null, null);
        }

        public static Outcome Fail(string error, string? detail, int status = 200)
        {
            var body = new JsonObject { ["ok"] = false, ["error"] = error };
            if (detail is not null)
            {
                body["response_metadata"] = new JsonObject { ["messages"] = new JsonArray("[ERROR] " + detail) };
            }

            return new Outcome(status, body, error, detail);
        }
    }
}
