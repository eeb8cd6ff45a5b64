using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Rein.Testing.FakeProviders;

/// <summary>
/// A fake Anthropic Messages API: <c>POST /v1/messages</c>, streamed (<c>message_start</c>, content blocks with
/// <c>text_delta</c> / <c>input_json_delta</c>, <c>message_delta</c> with usage and stop reason, <c>message_stop</c>)
/// or a single JSON body.
/// </summary>
/// <remarks>
/// <see cref="FakeProviderServer.BaseUrl"/> has no <c>/v1</c> (the Anthropic SDK adds it). Requests need
/// <c>x-api-key</c> or <c>Authorization: Bearer …</c>.
/// </remarks>
public sealed class FakeAnthropicServer : FakeProviderServer
{
    private FakeAnthropicServer()
    {
    }

    /// <summary>Starts a server on 127.0.0.1 and a free port.</summary>
    public static async Task<FakeAnthropicServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var server = new FakeAnthropicServer();
        await server.StartCoreAsync("", cancellationToken);
        return server;
    }

    /// <inheritdoc/>
    protected override bool HandlesPath(string path) => path == "/v1/messages";

    /// <inheritdoc/>
    protected override bool IsAuthorized(FakeRequest request) =>
        !string.IsNullOrEmpty(request.Header("x-api-key"))
        || request.Header("Authorization")?.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) == true;

    /// <inheritdoc/>
    protected override Task WriteErrorCoreAsync(HttpContext context, int status, string message) =>
        WriteJsonAsync(context, status, new JsonObject
        {
            ["type"] = "error",
            ["error"] = new JsonObject
            {
                ["type"] = status switch
                {
                    429 => "rate_limit_error",
                    401 => "authentication_error",
                    404 => "not_found_error",
                    529 => "overloaded_error",
                    >= 500 => "api_error",
                    _ => "invalid_request_error",
                },
                ["message"] = message,
            },
        });

    /// <inheritdoc/>
    protected override async Task WriteReplyCoreAsync(HttpContext context, FakeRequest request, FakeReply reply)
    {
        var id = NextId("msg_");
        var model = RequestedModel(request);
        var calls = reply.Calls.Select(c => (Call: c, Id: c.Id ?? NextId("toolu_"))).ToList();
        var stopReason = calls.Count > 0 ? "tool_use" : "end_turn";
        var uncached = Math.Max(0, reply.Usage.InputTokens - reply.Usage.CachedInputTokens);
        JsonObject Usage(int outputTokens) => new()
        {
            ["input_tokens"] = uncached,
            ["cache_creation_input_tokens"] = 0,
            ["cache_read_input_tokens"] = reply.Usage.CachedInputTokens,
            ["output_tokens"] = outputTokens,
        };

        JsonObject Message(JsonArray content, string? stop, JsonObject usage) => new()
        {
            ["id"] = id,
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = model,
            ["content"] = content,
            ["stop_reason"] = stop,
            ["stop_sequence"] = null,
            ["usage"] = usage,
        };

        if (!request.IsStreaming)
        {
            if (reply.CutStream || reply.EndStreamEarly)
            {
                await CutAsync(context, reply);
                return;
            }

            var content = new JsonArray();
            if (reply.Message is { } text)
            {
                content.Add(new JsonObject { ["type"] = "text", ["text"] = text });
            }

            foreach (var (call, callId) in calls)
            {
                content.Add(new JsonObject { ["type"] = "tool_use", ["id"] = callId, ["name"] = call.Name, ["input"] = ParseArguments(call) });
            }

            await WriteJsonAsync(context, 200, Message(content, stopReason, Usage(reply.Usage.OutputTokens)));
            return;
        }

        await StartEventStreamAsync(context);
        await WriteEventAsync(context, "message_start", new JsonObject { ["type"] = "message_start", ["message"] = Message([], null, Usage(1)) });
        var index = 0;
        if (reply.Message is not null)
        {
            await WriteEventAsync(context, "content_block_start", new JsonObject
            {
                ["type"] = "content_block_start",
                ["index"] = index,
                ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" },
            });
            foreach (var text in reply.TextChunks())
            {
                await WriteEventAsync(context, "content_block_delta", new JsonObject
                {
                    ["type"] = "content_block_delta",
                    ["index"] = index,
                    ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = text },
                });
                if (reply.CutStream || reply.EndStreamEarly)
                {
                    await CutAsync(context, reply);
                    return;
                }
            }

            await WriteEventAsync(context, "content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = index });
            index++;
        }

        foreach (var (call, callId) in calls)
        {
            await WriteEventAsync(context, "content_block_start", new JsonObject
            {
                ["type"] = "content_block_start",
                ["index"] = index,
                ["content_block"] = new JsonObject { ["type"] = "tool_use", ["id"] = callId, ["name"] = call.Name, ["input"] = new JsonObject() },
            });
            foreach (var part in FakeReply.Chunk(call.ArgumentsJson))
            {
                await WriteEventAsync(context, "content_block_delta", new JsonObject
                {
                    ["type"] = "content_block_delta",
                    ["index"] = index,
                    ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = part },
                });
            }

            await WriteEventAsync(context, "content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = index });
            index++;
        }

        await WriteEventAsync(context, "message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = stopReason, ["stop_sequence"] = null },
            ["usage"] = Usage(reply.Usage.OutputTokens),
        });
        await WriteEventAsync(context, "message_stop", new JsonObject { ["type"] = "message_stop" });
    }
}
