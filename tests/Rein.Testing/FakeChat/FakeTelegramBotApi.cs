using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Rein.Testing.FakeChat;

/// <summary>
/// A fake Telegram Bot API on 127.0.0.1 (a free port): <c>{BaseUrl}/bot{token}/{method}</c> for <c>getMe</c>,
/// <c>sendMessage</c>, <c>editMessageText</c>, <c>editMessageReplyMarkup</c>, <c>answerCallbackQuery</c>,
/// <c>sendChatAction</c>, <c>setWebhook</c>, <c>deleteWebhook</c>, <c>getWebhookInfo</c> and <c>getUpdates</c> (long
/// polling), answering as Telegram does and checking each call strictly.
/// </summary>
/// <remarks>
/// <para>
/// Parameters are read from a JSON body (what Telegram.Bot sends), a form or multipart body, or the query string.
/// Refusals use Telegram's shapes (<c>{"ok":false,"error_code":400,"description":"Bad Request: ..."}</c>) and are added
/// to <see cref="Violations"/>. Message text is parsed as Telegram parses it (<c>MarkdownV2</c>, <c>HTML</c>,
/// <c>Markdown</c>), so unescaped reserved characters, unclosed entities and over-long text are refused as they would be.
/// As in Telegram, <c>editMessageText</c> without <c>reply_markup</c> removes the inline keyboard, and an edit that
/// changes nothing is refused as "message is not modified".
/// </para>
/// <para>Thread-safe.</para>
/// </remarks>
public sealed partial class FakeTelegramBotApi : IAsyncDisposable
{
    /// <summary>The bot's user id when the token does not start with a numeric id.</summary>
    public const long DefaultBotId = 9000;

    private const string NotModified =
        "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

    private static readonly string[] Methods =
    [
        "getMe", "sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery", "sendChatAction",
        "setWebhook", "deleteWebhook", "getWebhookInfo", "getUpdates",
    ];

    private static readonly HashSet<string> JsonFields = new(StringComparer.Ordinal)
    {
        "reply_markup", "allowed_updates", "entities", "reply_parameters", "link_preview_options",
    };

    private static readonly HashSet<string> ChatActions = new(StringComparer.Ordinal)
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice", "upload_document",
        "choose_sticker", "find_location", "record_video_note", "upload_video_note",
    };

    private static readonly string[] ButtonKinds =
    [
        "callback_data", "url", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay", "web_app",
    ];

    private readonly string _botToken;
    private readonly Lock _lock = new();
    private readonly CallRecorder<TelegramCall> _recorder = new("Telegram", call => call.ToString());
    private readonly Dictionary<(long Chat, int Message), JsonObject> _messages = [];
    private readonly Dictionary<long, int> _lastMessageIds = [];
    private readonly List<(long Id, string Type, JsonNode Update)> _updates = [];
    private readonly HashSet<string> _answeredQueries = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _activePoll;
    private HashSet<string>? _allowedUpdates;
    private string? _webhookUrl;
    private string? _webhookSecret;
    private WebApplication? _app;
    private readonly RateLimits _rateLimits = new();

    private FakeTelegramBotApi(string botToken)
    {
        _botToken = botToken;
        var colon = botToken.IndexOf(':', StringComparison.Ordinal);
        BotUserId = colon > 0 && long.TryParse(botToken.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : DefaultBotId;
    }

    /// <summary>Gets the server root, <c>http://127.0.0.1:PORT</c>: the base URL for <c>TelegramBotClientOptions</c> and Rein's <c>telegram.api_url</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Gets the bot's user id: the number before the <c>:</c> of the token (as in Telegram), else <see cref="DefaultBotId"/>.</summary>
    public long BotUserId { get; }

    /// <summary>Gets every call so far, in order (a snapshot; rate-limited calls are not included; <c>getUpdates</c> is recorded when it arrives).</summary>
    public IReadOnlyList<TelegramCall> Calls => _recorder.Calls;

    /// <summary>Gets each refusal so far, as <c>method: description</c> (a snapshot).</summary>
    public IReadOnlyList<string> Violations => _recorder.Violations;

    /// <summary>Gets how many calls were answered 429 because of <see cref="RateLimitNext"/>.</summary>
    public int RateLimited => _rateLimits.Refused;

    /// <summary>Gets the webhook URL set with <c>setWebhook</c>, or <see langword="null"/>.</summary>
    public string? WebhookUrl
    {
        get
        {
            lock (_lock)
            {
                return _webhookUrl;
            }
        }
    }

    /// <summary>Gets the <c>secret_token</c> given to <c>setWebhook</c>, or <see langword="null"/>.</summary>
    public string? WebhookSecret
    {
        get
        {
            lock (_lock)
            {
                return _webhookSecret;
            }
        }
    }

    /// <summary>Gets how many updates are queued and not yet confirmed by a <c>getUpdates</c> offset.</summary>
    public int PendingUpdates
    {
        get
        {
            lock (_lock)
            {
                return _updates.Count;
            }
        }
    }

    /// <summary>Starts a fake Bot API for <paramref name="botToken"/>.</summary>
    /// <param name="botToken">The bot token, e.g. <c>9000:fake-token</c>; requests with another token get 401.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running fake; dispose it to stop it.</returns>
    /// <exception cref="ArgumentException"><paramref name="botToken"/> is empty or contains <c>/</c>.</exception>
    public static async Task<FakeTelegramBotApi> StartAsync(string botToken, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(botToken);
        if (botToken.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("A bot token cannot contain '/'.", nameof(botToken));
        }

        var fake = new FakeTelegramBotApi(botToken);
        var (app, root) = await FakeChatHost.StartAsync(fake.HandleAsync, cancellationToken);
        fake._app = app;
        fake.BaseUrl = root;
        return fake;
    }

    /// <summary>
    /// Answers the next <paramref name="count"/> calls with HTTP 429 <c>Too Many Requests: retry after N</c> and
    /// <c>parameters.retry_after</c>. Telegram.Bot retries such answers itself when N is within its <c>RetryThreshold</c>.
    /// </summary>
    /// <param name="count">How many calls to refuse.</param>
    /// <param name="retryAfterSeconds">The <c>retry_after</c> value.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative.</exception>
    public void RateLimitNext(int count, int retryAfterSeconds)
    {
        _rateLimits.Next(count, retryAfterSeconds);
    }

    /// <summary>Queues an update for <c>getUpdates</c> (waking a waiting long poll).</summary>
    /// <param name="updateJson">The update, e.g. from <see cref="TelegramUpdates.Text"/>; it must have an <c>update_id</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="updateJson"/> is not an object with a numeric <c>update_id</c> and one update field.</exception>
    public void EnqueueUpdate(string updateJson)
    {
        ArgumentNullException.ThrowIfNull(updateJson);
        if (JsonNode.Parse(updateJson) is not JsonObject update || Long(update, "update_id") is not { } id
            || update.Select(p => p.Key).FirstOrDefault(k => k != "update_id") is not { } type)
        {
            throw new ArgumentException("An update must be a JSON object with a numeric update_id and one update field.", nameof(updateJson));
        }

        lock (_lock)
        {
            _updates.Add((id, type, update));
            var arrived = _arrived;
            _arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            arrived.TrySetResult();
        }
    }

    /// <summary>Waits for the first call (past or future) that <paramref name="match"/> accepts.</summary>
    /// <param name="match">Which call to wait for.</param>
    /// <param name="timeout">How long to wait. Default: 30 seconds.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The call.</returns>
    /// <exception cref="TimeoutException">No such call arrived in time; the message lists the calls seen.</exception>
    public Task<TelegramCall> WaitForAsync(Func<TelegramCall, bool> match, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        _recorder.WaitForAsync(match, timeout, cancellationToken);

    /// <summary>Gets the current (parsed) text of a message this fake sent, after edits, or <see langword="null"/> if there is none.</summary>
    /// <param name="chatId">The chat id.</param>
    /// <param name="messageId">The message id.</param>
    public string? CurrentText(long chatId, int messageId) => CurrentMessage(chatId, messageId) is { } message ? message.GetProperty("text").GetString() : null;

    /// <summary>Gets the current inline keyboard (<c>reply_markup</c>) of a message this fake sent, after edits, or <see langword="null"/> if it has none.</summary>
    /// <param name="chatId">The chat id.</param>
    /// <param name="messageId">The message id.</param>
    public JsonElement? CurrentMarkup(long chatId, int messageId) =>
        CurrentMessage(chatId, messageId) is { } message && message.TryGetProperty("reply_markup", out var markup) ? markup : null;

    /// <summary>Gets the whole current <c>Message</c> object (text, entities, markup) of a message this fake sent, or <see langword="null"/>.</summary>
    /// <param name="chatId">The chat id.</param>
    /// <param name="messageId">The message id.</param>
    public JsonElement? CurrentMessage(long chatId, int messageId)
    {
        lock (_lock)
        {
            return _messages.TryGetValue((chatId, messageId), out var message) ? ToElement(message) : null;
        }
    }

    /// <summary>Stops the server; a waiting long poll answers with no updates.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _app, null) is { } app)
        {
            await _stopping.CancelAsync();
            await FakeChatHost.StopAsync(app);
            _stopping.Dispose();
        }
    }

    internal static JsonObject BotUser(long id) => new() { ["id"] = id, ["is_bot"] = true, ["first_name"] = "Rein", ["username"] = "rein_bot" };

    [GeneratedRegex("^[A-Za-z0-9_-]{1,256}$")]
    private static partial Regex SecretTokenPattern();

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var slash = path.IndexOf('/', 1);
        var token = path.StartsWith("/bot", StringComparison.Ordinal) && slash > 0 ? path[4..slash] : null;
        var requested = slash > 0 ? path[(slash + 1)..] : path;
        var method = Methods.FirstOrDefault(m => m.Equals(requested, StringComparison.OrdinalIgnoreCase));
        var (body, parseError) = await ReadParametersAsync(context);

        if (_rateLimits.TryTake() is { } retryAfter)
        {
            var limited = Outcome.Fail(429, $"Too Many Requests: retry after {retryAfter}");
            limited.Body["parameters"] = new JsonObject { ["retry_after"] = retryAfter };
            await WriteAsync(context, limited);
            return;
        }

        var outcome = token is null || (token.Length > 0 && method is null) ? Outcome.Fail(404, "Not Found")
            : !string.Equals(token, _botToken, StringComparison.Ordinal) ? Outcome.Fail(401, "Unauthorized")
            : parseError is not null ? Outcome.Fail(400, parseError)
            : null;
        if (outcome is not null || method == "getUpdates")
        {
            if (outcome is null)
            {
                await GetUpdatesAsync(context, body);
                return;
            }

            Finish(method ?? requested, body, outcome);
            await WriteAsync(context, outcome);
            return;
        }

        outcome = method switch
        {
            "getMe" => Outcome.Success(GetMe()),
            "sendMessage" => SendMessage(body),
            "editMessageText" => EditMessageText(body),
            "editMessageReplyMarkup" => EditMessageReplyMarkup(body),
            "answerCallbackQuery" => AnswerCallbackQuery(body),
            "sendChatAction" => SendChatAction(body),
            "setWebhook" => SetWebhook(body),
            "deleteWebhook" => DeleteWebhook(body),
            _ => GetWebhookInfo(),
        };
        Finish(method!, body, outcome);
        await WriteAsync(context, outcome);
    }

    private void Finish(string method, JsonObject body, Outcome outcome)
    {
        var error = outcome.Body["ok"]!.GetValue<bool>() ? null : (string?)outcome.Body["description"];
        if (error is not null)
        {
            _recorder.AddViolation($"{method}: {error}");
        }

        _recorder.Add(new TelegramCall(method, ToElement(body)) { Error = error });
    }


    private static async Task<(JsonObject Body, string? Error)> ReadParametersAsync(HttpContext context)
    {
        var body = new JsonObject();
        foreach (var (key, value) in context.Request.Query)
        {
            body[key] = FieldValue(key, value.ToString());
        }

        var request = context.Request;
        var mediaType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType is "application/x-www-form-urlencoded" or "multipart/form-data")
        {
            var form = await request.ReadFormAsync(context.RequestAborted);
            foreach (var (key, value) in form)
            {
                body[key] = FieldValue(key, value.ToString());
            }

            foreach (var file in form.Files)
            {
                body[file.Name] = $"(file {file.FileName}, {file.Length} bytes)";
            }

            return (body, null);
        }

        string raw;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            raw = await reader.ReadToEndAsync(context.RequestAborted);
        }

        if (raw.Length == 0)
        {
            return (body, null);
        }

        if (mediaType != "application/json")
        {
            body["(body)"] = raw;
            return (body, $"Bad Request: unsupported Content-Type \"{request.ContentType}\"");
        }

        try
        {
            if (JsonNode.Parse(raw) is not JsonObject json)
            {
                return (body, "Bad Request: the JSON body must be an object");
            }

            foreach (var (key, value) in json.ToList())
            {
                json.Remove(key);
                body[key] = value;
            }

            return (body, null);
        }
        catch (JsonException)
        {
            body["(body)"] = raw;
            return (body, "Bad Request: can't parse JSON object");
        }
    }

    private static JsonNode? FieldValue(string key, string value)
    {
        if (JsonFields.Contains(key))
        {
            try
            {
                return JsonNode.Parse(value);
            }
            catch (JsonException)
            {
                return value;
            }
        }

        return value;
    }

    private JsonObject GetMe()
    {
        var me = BotUser(BotUserId);
        me["can_join_groups"] = true;
        me["can_read_all_group_messages"] = false;
        me["supports_inline_queries"] = false;
        me["can_connect_to_business"] = false;
        me["has_main_web_app"] = false;
        return me;
    }

    private Outcome SendMessage(JsonObject body)
    {
        if (ChatId(body, out var chatId) is { } chatProblem)
        {
            return chatProblem;
        }

        if (ParseText(body) is not { } parsed)
        {
            return TextProblem(body)!;
        }

        if (Markup(body, inlineOnly: false, out var markup) is { } markupProblem)
        {
            return markupProblem;
        }

        lock (_lock)
        {
            var messageId = _lastMessageIds[chatId] = _lastMessageIds.GetValueOrDefault(chatId) + 1;
            var message = new JsonObject
            {
                ["message_id"] = messageId,
                ["from"] = BotUser(BotUserId),
                ["chat"] = TelegramUpdates.Chat(chatId, chatId > 0 ? "private" : "group", chatId),
                ["date"] = Now(),
                ["text"] = parsed.Text,
            };
            SetContent(message, parsed, markup);
            _messages[(chatId, messageId)] = message;
            return Outcome.Success(message.DeepClone());
        }
    }

    private Outcome EditMessageText(JsonObject body)
    {
        if (Target(body, out var key) is { } targetProblem)
        {
            return targetProblem;
        }

        if (ParseText(body) is not { } parsed)
        {
            return TextProblem(body)!;
        }

        if (Markup(body, inlineOnly: true, out var markup) is { } markupProblem)
        {
            return markupProblem;
        }

        lock (_lock)
        {
            if (!_messages.TryGetValue(key, out var message))
            {
                return Outcome.Fail(400, "Bad Request: message to edit not found");
            }

            var edited = (JsonObject)message.DeepClone();
            edited["text"] = parsed.Text;
            SetContent(edited, parsed, markup);
            return Replace(key, message, edited);
        }
    }

    private Outcome EditMessageReplyMarkup(JsonObject body)
    {
        if (Target(body, out var key) is { } targetProblem)
        {
            return targetProblem;
        }

        if (Markup(body, inlineOnly: true, out var markup) is { } markupProblem)
        {
            return markupProblem;
        }

        lock (_lock)
        {
            if (!_messages.TryGetValue(key, out var message))
            {
                return Outcome.Fail(400, "Bad Request: message to edit not found");
            }

            var edited = (JsonObject)message.DeepClone();
            edited.Remove("reply_markup");
            if (markup is not null)
            {
                edited["reply_markup"] = markup;
            }

            return Replace(key, message, edited);
        }
    }

    private Outcome Replace((long Chat, int Message) key, JsonObject current, JsonObject edited)
    {
        if (JsonNode.DeepEquals(current["text"], edited["text"]) && JsonNode.DeepEquals(current["entities"], edited["entities"])
            && JsonNode.DeepEquals(current["reply_markup"], edited["reply_markup"]))
        {
            return Outcome.Fail(400, NotModified);
        }

        edited["edit_date"] = Now();
        _messages[key] = edited;
        return Outcome.Success(edited.DeepClone());
    }

    private Outcome AnswerCallbackQuery(JsonObject body)
    {
        if (Str(body, "callback_query_id") is not { Length: > 0 } queryId)
        {
            return Outcome.Fail(400, "Bad Request: QUERY_ID_INVALID");
        }

        if (Str(body, "text") is { Length: > 200 })
        {
            return Outcome.Fail(400, "Bad Request: MESSAGE_TOO_LONG");
        }

        lock (_lock)
        {
            return _answeredQueries.Add(queryId)
                ? Outcome.Success(true)
                : Outcome.Fail(400, "Bad Request: query is too old and response timeout expired or query ID is invalid");
        }
    }

    private static Outcome SendChatAction(JsonObject body) =>
        ChatId(body, out _) is { } chatProblem ? chatProblem
        : Str(body, "action") is { } action && ChatActions.Contains(action) ? Outcome.Success(true)
        : Outcome.Fail(400, "Bad Request: wrong parameter action in request");

    private Outcome SetWebhook(JsonObject body)
    {
        var url = Str(body, "url") ?? string.Empty;
        if (url.Length > 0 && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps))
        {
            return Outcome.Fail(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook");
        }

        var secret = Str(body, "secret_token");
        if (secret is not null && !SecretTokenPattern().IsMatch(secret))
        {
            return Outcome.Fail(400, "Bad Request: bad webhook: secret token contains unallowed characters");
        }

        lock (_lock)
        {
            // As in Telegram, an empty url removes the webhook.
            _webhookUrl = url.Length > 0 ? url : null;
            _webhookSecret = url.Length > 0 ? secret : null;
            ApplyAllowedUpdates(body);
            DropPendingIfAsked(body);
        }

        return Outcome.Success(true);
    }

    private Outcome DeleteWebhook(JsonObject body)
    {
        lock (_lock)
        {
            _webhookUrl = null;
            _webhookSecret = null;
            DropPendingIfAsked(body);
        }

        return Outcome.Success(true);
    }

    private Outcome GetWebhookInfo()
    {
        lock (_lock)
        {
            return Outcome.Success(new JsonObject
            {
                ["url"] = _webhookUrl ?? string.Empty,
                ["has_custom_certificate"] = false,
                ["pending_update_count"] = _updates.Count,
            });
        }
    }

    private async Task GetUpdatesAsync(HttpContext context, JsonObject body)
    {
        var offset = Long(body, "offset") ?? 0;
        var limit = (int)Math.Clamp(Long(body, "limit") ?? 100, 1, 100);
        var timeout = TimeSpan.FromSeconds(Math.Max(0, Long(body, "timeout") ?? 0));
        using var mine = new CancellationTokenSource();
        CancellationTokenSource? previous;
        Outcome? conflict = null;
        lock (_lock)
        {
            previous = _activePoll;
            if (_webhookUrl is not null)
            {
                conflict = Outcome.Fail(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
            }
            else
            {
                _activePoll = mine;
                ApplyAllowedUpdates(body);
                if (offset > 0)
                {
                    _updates.RemoveAll(u => u.Id < offset);
                }
                else if (offset < 0)
                {
                    _updates.RemoveRange(0, Math.Max(0, _updates.Count + (int)Math.Max(offset, int.MinValue + 1)));
                }
            }
        }

        Finish("getUpdates", body, conflict ?? Outcome.Success(true));
        if (conflict is not null)
        {
            await WriteAsync(context, conflict);
            return;
        }

        // Telegram ends an earlier getUpdates when a new one arrives (two pollers would fight over updates).
        Cancel(previous);
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            while (true)
            {
                JsonArray picked;
                Task arrived;
                lock (_lock)
                {
                    picked = [.. _updates.Where(u => u.Id >= offset && Allowed(u.Type)).Take(limit).Select(u => u.Update.DeepClone())];
                    arrived = _arrived.Task;
                }

                var remaining = timeout - TimeProvider.System.GetElapsedTime(started);
                if (picked.Count > 0 || remaining <= TimeSpan.Zero)
                {
                    await WriteAsync(context, Outcome.Success(picked));
                    return;
                }

                using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, mine.Token, _stopping.Token);
                try
                {
                    await arrived.WaitAsync(remaining, linked.Token);
                }
                catch (TimeoutException)
                {
                    // Loop once more: the answer is then whatever is queued, or nothing.
                }
                catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
                {
                    await WriteAsync(context, mine.IsCancellationRequested
                        ? Outcome.Fail(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
                        : Outcome.Success(new JsonArray()));
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client gave up; there is nobody to answer.
        }
        finally
        {
            lock (_lock)
            {
                if (_activePoll == mine)
                {
                    _activePoll = null;
                }
            }
        }
    }

    private static void Cancel(CancellationTokenSource? poll)
    {
        try
        {
            poll?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // That poll has already answered.
        }
    }

    private bool Allowed(string type) => _allowedUpdates is null || _allowedUpdates.Contains(type);

    private void ApplyAllowedUpdates(JsonObject body)
    {
        if (body["allowed_updates"] is JsonArray allowed)
        {
            // An empty list means "the default": every update type.
            _allowedUpdates = allowed.Count == 0 ? null : [.. allowed.Select(a => (string?)a ?? string.Empty)];
        }
    }

    private void DropPendingIfAsked(JsonObject body)
    {
        if (Bool(body, "drop_pending_updates"))
        {
            _updates.Clear();
        }
    }

    private static Outcome? ChatId(JsonObject body, out long chatId)
    {
        chatId = 0;
        if (body["chat_id"] is null)
        {
            return Outcome.Fail(400, "Bad Request: chat_id is empty");
        }

        if (Long(body, "chat_id") is not { } id)
        {
            return Outcome.Fail(400, "Bad Request: chat not found");
        }

        chatId = id;
        return null;
    }

    private static Outcome? Target(JsonObject body, out (long Chat, int Message) key)
    {
        key = default;
        if (body["inline_message_id"] is not null)
        {
            return Outcome.Fail(400, "Bad Request: the fake only edits messages by chat_id and message_id");
        }

        if (ChatId(body, out var chatId) is { } chatProblem)
        {
            return chatProblem;
        }

        if (Long(body, "message_id") is not { } messageId || messageId is <= 0 or > int.MaxValue)
        {
            return Outcome.Fail(400, "Bad Request: message identifier is not specified");
        }

        key = (chatId, (int)messageId);
        return null;
    }

    private static ParsedText? ParseText(JsonObject body) =>
        Str(body, "text") is { } text && TelegramFormatting.Parse(text, Str(body, "parse_mode")) is ({ } parsed, null)
        && parsed.Text.Length is > 0 and <= 4096
            ? parsed
            : null;

    private static Outcome? TextProblem(JsonObject body)
    {
        if (Str(body, "text") is not { } text)
        {
            return Outcome.Fail(400, "Bad Request: message text is empty");
        }

        var (parsed, error) = TelegramFormatting.Parse(text, Str(body, "parse_mode"));
        return error is not null ? Outcome.Fail(400, "Bad Request: " + error)
            : parsed!.Text.Length == 0 ? Outcome.Fail(400, "Bad Request: message text is empty")
            : parsed.Text.Length > 4096 ? Outcome.Fail(400, "Bad Request: message is too long")
            : null;
    }

    private static void SetContent(JsonObject message, ParsedText parsed, JsonNode? markup)
    {
        message.Remove("entities");
        message.Remove("reply_markup");
        if (parsed.Entities.Count > 0)
        {
            message["entities"] = parsed.Entities.DeepClone();
        }

        if (markup is not null)
        {
            message["reply_markup"] = markup.DeepClone();
        }
    }

    /// <summary>Checks <c>reply_markup</c>; <paramref name="inline"/> is the inline keyboard to keep on the message, if any.</summary>
    private static Outcome? Markup(JsonObject body, bool inlineOnly, out JsonNode? inline)
    {
        inline = null;
        if (body["reply_markup"] is not { } markup)
        {
            return null;
        }

        if (markup is not JsonObject obj)
        {
            return Outcome.Fail(400, "Bad Request: can't parse reply keyboard markup JSON object");
        }

        if (obj["inline_keyboard"] is not { } keyboard)
        {
            return inlineOnly || !(obj.ContainsKey("keyboard") || obj.ContainsKey("remove_keyboard") || obj.ContainsKey("force_reply"))
                ? Outcome.Fail(400, "Bad Request: can't parse reply keyboard markup JSON object")
                : null;
        }

        if (keyboard is not JsonArray rows || rows.Any(r => r is not JsonArray))
        {
            return Outcome.Fail(400, "Bad Request: field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays");
        }

        foreach (var button in rows.Cast<JsonArray>().SelectMany(r => r))
        {
            if (ButtonProblem(button) is { } problem)
            {
                return Outcome.Fail(400, problem);
            }
        }

        inline = new JsonObject { ["inline_keyboard"] = keyboard.DeepClone() };
        return null;
    }

    private static string? ButtonProblem(JsonNode? node)
    {
        if (node is not JsonObject button)
        {
            return "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an Object";
        }

        if (Str(button, "text") is not { Length: > 0 })
        {
            return "Bad Request: can't parse inline keyboard button: Field \"text\" must be a non-empty String";
        }

        var kinds = ButtonKinds.Where(button.ContainsKey).ToList();
        if (kinds.Count == 0)
        {
            return "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard";
        }

        if (kinds.Count > 1)
        {
            return $"Bad Request: can't parse inline keyboard button: exactly one of the optional fields must be used, found {string.Join(", ", kinds)}";
        }

        return kinds[0] switch
        {
            "callback_data" => Str(button, "callback_data") is { } data && Encoding.UTF8.GetByteCount(data) is >= 1 and <= 64
                ? null
                : "Bad Request: BUTTON_DATA_INVALID",
            "url" => Str(button, "url") is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "tg"
                ? null
                : "Bad Request: BUTTON_URL_INVALID",
            _ => null,
        };
    }

    private static long Now() => TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();

    private static string? Str(JsonObject body, string name) =>
        body[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static long? Long(JsonObject body, string name) => body[name] switch
    {
        JsonValue value when value.TryGetValue<long>(out var number) => number,
        JsonValue value when value.TryGetValue<string>(out var text)
            && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => null,
    };

    private static bool Bool(JsonObject body, string name) => body[name] switch
    {
        JsonValue value when value.TryGetValue<bool>(out var flag) => flag,
        JsonValue value when value.TryGetValue<string>(out var text) => text.Equals("true", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    private static JsonElement ToElement(JsonNode node)
    {
        using var document = JsonDocument.Parse(node.ToJsonString());
        return document.RootElement.Clone();
    }

    private static async Task WriteAsync(HttpContext context, Outcome outcome)
    {
        context.Response.StatusCode = outcome.Status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(outcome.Body.ToJsonString(), context.RequestAborted);
    }

    private sealed record Outcome(int Status, JsonObject Body)
    {
        public static Outcome Success(JsonNode? result) => new(200, new JsonObject { ["ok"] = true, ["result"] = result });

        public static Outcome Fail(int status, string description) =>
            new(status, new JsonObject { ["ok"] = false, ["error_code"] = status, ["description"] = description });
    }
}
