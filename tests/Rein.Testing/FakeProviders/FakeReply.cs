namespace Rein.Testing.FakeProviders;

/// <summary>A tool call a fake provider server returns.</summary>
/// <param name="Name">The tool name.</param>
/// <param name="ArgumentsJson">The arguments as a JSON object, e.g. <c>{"command":"echo hi"}</c>.</param>
/// <param name="Id">The call id; <see langword="null"/> for a generated one (<c>call_1</c>, <c>toolu_1</c>, ...).</param>
public sealed record FakeToolCall(string Name, string ArgumentsJson, string? Id = null);

/// <summary>Token usage a fake provider server reports.</summary>
/// <param name="InputTokens">Prompt tokens, including cached ones (OpenAI's <c>prompt_tokens</c>).</param>
/// <param name="OutputTokens">Completion tokens.</param>
/// <param name="CachedInputTokens">
/// Prompt tokens read from cache: OpenAI <c>prompt_tokens_details.cached_tokens</c>, Anthropic
/// <c>cache_read_input_tokens</c> (Anthropic's <c>input_tokens</c> is then <c>InputTokens - CachedInputTokens</c>).
/// </param>
public sealed record FakeUsage(int InputTokens, int OutputTokens, int CachedInputTokens = 0)
{
    /// <summary>The usage reported when a reply does not set one.</summary>
    public static FakeUsage Default { get; } = new(10, 5);
}

/// <summary>One scripted answer of a fake provider server: a model turn (text and/or tool calls) or an injected failure.</summary>
public sealed record FakeReply
{
    /// <summary>The assistant text, streamed in a few deltas; <see langword="null"/> for none.</summary>
    public string? Message { get; init; }

    /// <summary>The tool calls, in order (several make parallel tool calls).</summary>
    public IReadOnlyList<FakeToolCall> Calls { get; init; } = [];

    /// <summary>The usage to report.</summary>
    public FakeUsage Usage { get; init; } = FakeUsage.Default;

    /// <summary>An HTTP error status to answer with instead of a model turn (e.g. 429, 500); <see langword="null"/> for success.</summary>
    public int? ErrorStatus { get; init; }

    /// <summary>The <c>Retry-After</c> header value sent with <see cref="ErrorStatus"/> (seconds or an HTTP date); <see langword="null"/> for none.</summary>
    public string? RetryAfter { get; init; }

    /// <summary>When <see langword="true"/>, the connection is aborted after the first part of the stream.</summary>
    public bool CutStream { get; init; }

    /// <summary>
    /// When <see langword="true"/>, the response ends cleanly after the first part of the stream, without the
    /// provider's finish reason or closing event (no <c>[DONE]</c>, <c>message_stop</c>, <c>response.completed</c>).
    /// </summary>
    public bool EndStreamEarly { get; init; }

    /// <summary>A body answered with HTTP 200 instead of a model turn (e.g. a proxy's HTML page); <see langword="null"/> for a model turn.</summary>
    public string? RawBody { get; init; }

    /// <summary>The content type of <see cref="RawBody"/>. Default: <c>text/html</c>.</summary>
    public string RawContentType { get; init; } = "text/html";

    /// <summary>How long the server waits before it answers (a model's latency). Default: no wait.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>A turn with text only.</summary>
    public static FakeReply Text(string text, FakeUsage? usage = null) =>
        new() { Message = text, Usage = usage ?? FakeUsage.Default };

    /// <summary>A turn with one tool call.</summary>
    public static FakeReply ToolCall(string name, string argumentsJson, string? id = null) =>
        new() { Calls = [new FakeToolCall(name, argumentsJson, id)] };

    /// <summary>A turn with several (parallel) tool calls.</summary>
    public static FakeReply ToolCalls(params FakeToolCall[] calls) => new() { Calls = calls };

    /// <summary>An HTTP error, e.g. <c>Error(500)</c>.</summary>
    public static FakeReply Error(int status, string? retryAfter = null) => new() { ErrorStatus = status, RetryAfter = retryAfter };

    /// <summary>HTTP 429 with <c>Retry-After: <paramref name="retryAfter"/></c> (seconds by default).</summary>
    public static FakeReply RateLimited(string retryAfter = "0") => Error(429, retryAfter);

    /// <summary>A stream that starts with <paramref name="text"/>'s first part, then the connection drops.</summary>
    public static FakeReply StreamCut(string text = "partial answer") => new() { Message = text, CutStream = true };

    /// <summary>A stream that starts with <paramref name="text"/>'s first part, then ends cleanly with no finish reason or closing event.</summary>
    public static FakeReply StreamEndsEarly(string text = "partial answer") => new() { Message = text, EndStreamEarly = true };

    /// <summary>HTTP 200 with <paramref name="body"/> instead of a model turn: a page that is not the provider's format, or an empty body.</summary>
    public static FakeReply Raw(string body, string contentType = "text/html") => new() { RawBody = body, RawContentType = contentType };

    /// <summary>The text split into a few deltas, so clients must concatenate.</summary>
    internal IReadOnlyList<string> TextChunks() => Chunk(Message ?? string.Empty);

    internal static IReadOnlyList<string> Chunk(string value)
    {
        if (value.Length < 2)
        {
            return value.Length == 0 ? [] : [value];
        }

        var half = value.Length / 2;
        return [value[..half], value[half..]];
    }
}
