using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Rein.Testing.FakeProviders;

/// <summary>
/// A local HTTP server on 127.0.0.1 (a free port) that answers like a model provider from scripted
/// <see cref="FakeReply"/>s, and records every request.
/// </summary>
/// <remarks>
/// Replies are taken from the queue (<see cref="Enqueue"/>) first, then from <see cref="OnRequest"/>; with
/// neither, the server answers 400 "no scripted reply left" (not retried by clients). A lone UTF-16 surrogate in a
/// reply's text or arguments is sent as a <c>\uD800</c>-style escape, as a provider written in Python would send it.
/// Thread-safe.
/// </remarks>
public abstract partial class FakeProviderServer : IAsyncDisposable
{
    private readonly Queue<FakeReply> _replies = new();
    private readonly List<FakeRequest> _requests = [];
    private readonly Lock _lock = new();
    private WebApplication? _app;
    private int _ids;

    /// <summary>The base URL clients use (see each server for whether it includes <c>/v1</c>).</summary>
    public string BaseUrl { get; private set; } = string.Empty;

    /// <summary>The server root, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Root { get; private set; } = null!;

    /// <summary>Called for a request when the queue is empty; return <see langword="null"/> to fall through to the 400 answer.</summary>
    public Func<FakeRequest, FakeReply?>? OnRequest { get; set; }

    /// <summary>Called after a reply was written in full (not for errors); load benchmarks time the client's next request from here.</summary>
    public Action<FakeRequest>? OnReplied { get; set; }

    /// <summary>Whether <see cref="Requests"/> keeps every request. Default: <see langword="true"/>; long load runs turn it off.</summary>
    public bool RecordRequests { get; set; } = true;

    /// <summary>Every request received so far, in order (including failed and unmatched ones).</summary>
    public IReadOnlyList<FakeRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>How many scripted replies are still queued.</summary>
    public int PendingReplies
    {
        get
        {
            lock (_lock)
            {
                return _replies.Count;
            }
        }
    }

    /// <summary>Queues replies, answered in order.</summary>
    public void Enqueue(params FakeReply[] replies)
    {
        lock (_lock)
        {
            foreach (var reply in replies)
            {
                _replies.Enqueue(reply);
            }
        }
    }

    /// <summary>Stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Starts listening; called by each server's <c>StartAsync</c>.</summary>
    protected async Task StartCoreAsync(string basePath, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Root = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        BaseUrl = Root.ToString().TrimEnd('/') + basePath;
        _app = app;
    }

    /// <summary>Whether this server serves <paramref name="path"/> (POST).</summary>
    protected abstract bool HandlesPath(string path);

    /// <summary>Whether the request carries the credentials this provider needs.</summary>
    protected abstract bool IsAuthorized(FakeRequest request);

    /// <summary>Writes a successful model turn for <paramref name="request"/>.</summary>
    protected abstract Task WriteReplyCoreAsync(HttpContext context, FakeRequest request, FakeReply reply);

    /// <summary>Writes an error body in the provider's format.</summary>
    protected abstract Task WriteErrorCoreAsync(HttpContext context, int status, string message);

    /// <summary>A new id with <paramref name="prefix"/>, unique within this server.</summary>
    protected string NextId(string prefix) => $"{prefix}{Interlocked.Increment(ref _ids)}";

    /// <summary>Writes one server-sent event and flushes it.</summary>
    protected static async Task WriteEventAsync(HttpContext context, string? eventName, JsonNode data)
    {
        var text = new StringBuilder();
        if (eventName is not null)
        {
            text.Append("event: ").Append(eventName).Append('\n');
        }

        text.Append("data: ").Append(ToJson(data)).Append("\n\n");
        await context.Response.WriteAsync(text.ToString(), context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    /// <summary>Starts a server-sent event stream.</summary>
    protected static async Task StartEventStreamAsync(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.StartAsync(context.RequestAborted);
    }

    /// <summary>
    /// Stops the response mid-way: drops the connection (<see cref="FakeReply.CutStream"/>), or ends the body cleanly
    /// without the provider's closing events (<see cref="FakeReply.EndStreamEarly"/>), as a crashing proxy or server does.
    /// </summary>
    protected static async Task CutAsync(HttpContext context, FakeReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        if (!reply.EndStreamEarly)
        {
            context.Abort();
        }
    }

    /// <summary>Parses a tool call's arguments, so servers that send objects (not strings) can embed them.</summary>
    protected static JsonNode ParseArguments(FakeToolCall call) =>
        JsonNode.Parse(MarkLoneSurrogates(call.ArgumentsJson, escaped: true)) ?? new JsonObject();

    /// <summary>Serializes a reply body; lone surrogates in its strings become <c>\uD800</c>-style escapes.</summary>
    protected static string ToJson(JsonNode node)
    {
        // System.Text.Json writes a lone surrogate as U+FFFD, so each is marked with control characters it escapes
        // verbatim, and the marks are turned into the escape afterwards.
        Mark(node);
        return LoneSurrogateMark().Replace(node.ToJsonString(), "\\u$1");
    }

    private static void Mark(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (value is JsonValue text && text.TryGetValue<string>(out var s))
                    {
                        obj[key] = MarkLoneSurrogates(s, escaped: false);
                    }
                    else
                    {
                        Mark(value);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonValue text && text.TryGetValue<string>(out var s))
                    {
                        array[i] = MarkLoneSurrogates(s, escaped: false);
                    }
                    else
                    {
                        Mark(array[i]);
                    }
                }

                break;
            default:
                break;
        }
    }

    // Each lone surrogate becomes U+0001, its four hex digits, U+0001 (as characters, or as JSON escapes inside JSON text).
    private static string MarkLoneSurrogates(string text, bool escaped)
    {
        var mark = escaped ? "\\u0001" : "\u0001";
        var output = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                output.Append(c).Append(text[i + 1]);
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                output.Append(mark).Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture)).Append(mark);
            }
            else
            {
                output.Append(c);
            }
        }

        return output.ToString();
    }

    [GeneratedRegex(@"\\u0001([0-9A-F]{4})\\u0001")]
    private static partial Regex LoneSurrogateMark();

    private async Task HandleAsync(HttpContext context)
    {
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in context.Request.Headers)
        {
            headers[header.Key] = header.Value.ToString();
        }

        var request = new FakeRequest(context.Request.Method, context.Request.Path.Value ?? "/", headers, body);
        if (RecordRequests)
        {
            lock (_lock)
            {
                _requests.Add(request);
            }
        }

        if (!HttpMethods.IsPost(request.Method) || !HandlesPath(request.Path))
        {
            await WriteErrorCoreAsync(context, 404, $"The fake server does not serve {request.Method} {request.Path}.");
            return;
        }

        if (!IsAuthorized(request))
        {
            await WriteErrorCoreAsync(context, 401, "Missing API key.");
            return;
        }

        FakeReply? reply;
        lock (_lock)
        {
            _replies.TryDequeue(out reply);
        }

        reply ??= OnRequest?.Invoke(request);
        if (reply is null)
        {
            await WriteErrorCoreAsync(context, 400, "The fake server has no scripted reply left for this request.");
            return;
        }

        if (reply.Delay > TimeSpan.Zero)
        {
            await Task.Delay(reply.Delay, context.RequestAborted);
        }

        if (reply.ErrorStatus is { } status)
        {
            if (reply.RetryAfter is { } retryAfter)
            {
                context.Response.Headers.RetryAfter = retryAfter;
            }

            await WriteErrorCoreAsync(context, status, $"Scripted failure {status}.");
            return;
        }

        if (reply.RawBody is { } raw)
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = reply.RawContentType;
            await context.Response.WriteAsync(raw, context.RequestAborted);
            return;
        }

        await WriteReplyCoreAsync(context, request, reply);
        OnReplied?.Invoke(request);
    }

    /// <summary>Writes a JSON body with a status.</summary>
    protected static async Task WriteJsonAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(ToJson(body), context.RequestAborted);
    }

    /// <summary>The <c>model</c> the client asked for, echoed back.</summary>
    protected static string RequestedModel(FakeRequest request) =>
        request.Json is { ValueKind: System.Text.Json.JsonValueKind.Object } json && json.TryGetProperty("model", out var model)
            ? model.GetString() ?? "fake-model"
            : "fake-model";
}
