using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Rein.Bench;

/// <summary>
/// The load benchmark's model: <c>POST /v1/chat/completions</c> streamed as OpenAI's server-sent chunks, answering each
/// session's steps after a fixed latency from replies serialized once at start, so the model's own CPU stays small beside
/// the server it loads (it shares the machine with it).
/// </summary>
/// <remarks>
/// A request names its session with a <c>[load:…]</c> or <c>[idle:…]</c> marker in the first user message; its step is the
/// number of tool results it carries. Load sessions read a file, list files, then answer; idle sessions run a shell command
/// (which asks for approval), then answer. Each reply is sent as separate chunks, each flushed, as a model streams them.
/// </remarks>
internal sealed class LoadModelServer : IAsyncDisposable
{
    private static readonly byte[] ToolRole = "\"role\":\"tool\""u8.ToArray();
    private static readonly byte[][] Markers = ["[load:"u8.ToArray(), "[idle:"u8.ToArray()];

    private readonly WebApplication _app;

    private LoadModelServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>Gets the base URL OpenAI clients take (ends in <c>/v1</c>).</summary>
    public string BaseUrl { get; }

    /// <summary>Starts the model on 127.0.0.1 and a free port.</summary>
    /// <param name="latency">How long the model takes before it answers.</param>
    /// <param name="arrived">Called with a session's marker, its step and the timestamp when its request arrived.</param>
    /// <param name="replied">Called with a session's marker, its step and the timestamp when its reply was sent.</param>
    public static async Task<LoadModelServer> StartAsync(TimeSpan latency, Action<string, int, long> arrived, Action<string, int, long> replied)
    {
        var load = new[] { Reply(ToolCall("call_1", "read_file", """{"path":"README.md"}""")), Reply(ToolCall("call_2", "list_files", "{}")), Reply(Text("done")) };
        var idle = new[] { Reply(ToolCall("call_1", "shell", """{"command":"echo waiting"}""")), Reply(Text("done")) };

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(async context =>
        {
            var at = Stopwatch.GetTimestamp();
            if (context.Request.Path != "/v1/chat/completions" || context.Request.Headers.Authorization.Count == 0)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            var (marker, step) = Identify(body.GetBuffer().AsSpan(0, (int)body.Length));
            arrived(marker, step, at);
            var script = marker.StartsWith("idle:", StringComparison.Ordinal) ? idle : load;
            await Task.Delay(latency, context.RequestAborted);

            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            foreach (var chunk in script[Math.Min(step, script.Length - 1)])
            {
                await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }

            replied(marker, step, Stopwatch.GetTimestamp());
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LoadModelServer(app, address.TrimEnd('/') + "/v1");
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    // The session's marker from its first message, and how many tool results the request carries (= the step it asks for).
    private static (string Marker, int Step) Identify(ReadOnlySpan<byte> body)
    {
        var marker = "unknown";
        foreach (var prefix in Markers)
        {
            var start = body.IndexOf(prefix);
            var end = start < 0 ? -1 : body[start..].IndexOf((byte)']');
            if (end > 0)
            {
                marker = Encoding.UTF8.GetString(body.Slice(start + 1, end - 1));
                break;
            }
        }

        var step = 0;
        for (var at = body.IndexOf(ToolRole); at >= 0; at = body.IndexOf(ToolRole))
        {
            step++;
            body = body[(at + ToolRole.Length)..];
        }

        return (marker, step);
    }

    private static IEnumerable<string> ToolCall(string id, string name, string arguments)
    {
        // The name first, then the arguments in two pieces, as models stream them.
        yield return $$$"""{"tool_calls":[{"index":0,"id":"{{{id}}}","type":"function","function":{"name":"{{{name}}}","arguments":""}}]}""";
        var half = arguments.Length / 2;
        foreach (var part in new[] { arguments[..half], arguments[half..] })
        {
            yield return """{"tool_calls":[{"index":0,"function":{"arguments":""" + JsonSerializer.Serialize(part) + "}}]}";
        }
    }

    private static IEnumerable<string> Text(string text)
    {
        var half = text.Length / 2;
        yield return $$"""{"content":{{JsonSerializer.Serialize(text[..half])}}}""";
        yield return $$"""{"content":{{JsonSerializer.Serialize(text[half..])}}}""";
    }

    // Every chunk of one reply, as the bytes of its server-sent events: the role, the deltas, the finish reason, usage, [DONE].
    private static byte[][] Reply(IEnumerable<string> deltas)
    {
        var list = deltas.ToList();
        var finish = list[0].Contains("tool_calls", StringComparison.Ordinal) ? "tool_calls" : "stop";
        const string Head = """{"id":"chatcmpl-load","object":"chat.completion.chunk","created":1767225600,"model":"bench","choices":""";
        string Choice(string delta, string? finishReason) =>
            $$"""{{Head}}[{"index":0,"delta":{{delta}},"finish_reason":{{(finishReason is null ? "null" : $"\"{finishReason}\"")}}}]}""";
        var events = new List<string> { Choice("""{"role":"assistant","content":""}""", null) };
        events.AddRange(list.Select(d => Choice(d, null)));
        events.Add(Choice("{}", finish));
        events.Add(Head + """[],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":0}}}""");
        events.Add("[DONE]");
        return [.. events.Select(e => Encoding.UTF8.GetBytes($"data: {e}\n\n"))];
    }
}
