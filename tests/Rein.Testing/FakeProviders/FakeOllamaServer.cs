using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Rein.Testing.FakeProviders;

/// <summary>
/// A fake Ollama server: <c>POST /api/chat</c>, streamed as NDJSON (the default, as in Ollama) or a single JSON
/// body when the request says <c>"stream": false</c>.
/// </summary>
/// <remarks><see cref="FakeProviderServer.BaseUrl"/> is the host root (use it as <c>OLLAMA_HOST</c>). No key is needed.</remarks>
public sealed class FakeOllamaServer : FakeProviderServer
{
    private const string CreatedAt = "2026-01-01T00:00:00Z";

    private FakeOllamaServer()
    {
    }

    /// <summary>Starts a server on 127.0.0.1 and a free port.</summary>
    public static async Task<FakeOllamaServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var server = new FakeOllamaServer();
        await server.StartCoreAsync("", cancellationToken);
        return server;
    }

    /// <inheritdoc/>
    protected override bool HandlesPath(string path) => path == "/api/chat";

    /// <inheritdoc/>
    protected override bool IsAuthorized(FakeRequest request) => true;

    /// <inheritdoc/>
    protected override Task WriteErrorCoreAsync(HttpContext context, int status, string message) =>
        WriteJsonAsync(context, status, new JsonObject { ["error"] = message });

    /// <inheritdoc/>
    protected override async Task WriteReplyCoreAsync(HttpContext context, FakeRequest request, FakeReply reply)
    {
        var model = RequestedModel(request);
        var streaming = !(request.Json is { ValueKind: JsonValueKind.Object } json
            && json.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.False);
        JsonObject Chunk(string content, JsonArray? toolCalls, bool done)
        {
            var message = new JsonObject { ["role"] = "assistant", ["content"] = content };
            if (toolCalls is not null)
            {
                message["tool_calls"] = toolCalls;
            }

            var chunk = new JsonObject { ["model"] = model, ["created_at"] = CreatedAt, ["message"] = message, ["done"] = done };
            if (done)
            {
                chunk["done_reason"] = "stop";
                chunk["total_duration"] = 1000;
                chunk["prompt_eval_count"] = reply.Usage.InputTokens;
                chunk["eval_count"] = reply.Usage.OutputTokens;
            }

            return chunk;
        }

        var calls = reply.Calls.Count == 0
            ? null
            : new JsonArray([.. reply.Calls.Select(c => (JsonNode)new JsonObject
            {
                ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = ParseArguments(c) },
            })]);

        if (!streaming)
        {
            if (reply.CutStream || reply.EndStreamEarly)
            {
                await CutAsync(context, reply);
                return;
            }

            await WriteJsonAsync(context, 200, Chunk(reply.Message ?? "", calls, done: true));
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/x-ndjson";
        await context.Response.StartAsync(context.RequestAborted);
        async Task WriteLineAsync(JsonObject chunk)
        {
            await context.Response.WriteAsync(ToJson(chunk) + "\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }

        foreach (var text in reply.TextChunks())
        {
            await WriteLineAsync(Chunk(text, null, done: false));
            if (reply.CutStream || reply.EndStreamEarly)
            {
                await CutAsync(context, reply);
                return;
            }
        }

        if (calls is not null)
        {
            await WriteLineAsync(Chunk("", calls, done: false));
        }

        await WriteLineAsync(Chunk("", null, done: true));
    }
}
