using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Rein.Testing.FakeProviders;

/// <summary>
/// A fake OpenAI API: <c>POST /v1/chat/completions</c> (streamed as SSE chunks ending in <c>data: [DONE]</c>,
/// or a single JSON body) and <c>POST /v1/responses</c> (Responses API, streamed events or a single JSON body).
/// </summary>
/// <remarks><see cref="FakeProviderServer.BaseUrl"/> ends in <c>/v1</c>, as OpenAI clients expect. Requests need <c>Authorization: Bearer …</c>.</remarks>
public sealed class FakeOpenAIServer : FakeProviderServer
{
    private const long Created = 1_767_225_600;

    private FakeOpenAIServer()
    {
    }

    /// <summary>Starts a server on 127.0.0.1 and a free port.</summary>
    public static async Task<FakeOpenAIServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var server = new FakeOpenAIServer();
        await server.StartCoreAsync("/v1", cancellationToken);
        return server;
    }

    /// <inheritdoc/>
    protected override bool HandlesPath(string path) => path is "/v1/chat/completions" or "/v1/responses";

    /// <inheritdoc/>
    protected override bool IsAuthorized(FakeRequest request) =>
        request.Header("Authorization")?.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) == true;

    /// <inheritdoc/>
    protected override Task WriteErrorCoreAsync(HttpContext context, int status, string message) =>
        WriteJsonAsync(context, status, new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["message"] = message,
                ["type"] = status == 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error",
                ["code"] = null,
            },
        });

    /// <inheritdoc/>
    protected override Task WriteReplyCoreAsync(HttpContext context, FakeRequest request, FakeReply reply) =>
        request.Path == "/v1/responses"
            ? WriteResponsesAsync(context, request, reply)
            : WriteChatCompletionAsync(context, request, reply);

    private async Task WriteChatCompletionAsync(HttpContext context, FakeRequest request, FakeReply reply)
    {
        var id = NextId("chatcmpl-");
        var model = RequestedModel(request);
        var calls = reply.Calls.Select(c => (Call: c, Id: c.Id ?? NextId("call_"))).ToList();
        var finish = calls.Count > 0 ? "tool_calls" : "stop";
        var usage = new JsonObject
        {
            ["prompt_tokens"] = reply.Usage.InputTokens,
            ["completion_tokens"] = reply.Usage.OutputTokens,
            ["total_tokens"] = reply.Usage.InputTokens + reply.Usage.OutputTokens,
            ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = reply.Usage.CachedInputTokens },
        };

        if (!request.IsStreaming)
        {
            if (reply.CutStream || reply.EndStreamEarly)
            {
                await CutAsync(context, reply);
                return;
            }

            var message = new JsonObject { ["role"] = "assistant", ["content"] = reply.Message };
            if (calls.Count > 0)
            {
                message["tool_calls"] = new JsonArray([.. calls.Select(c => (JsonNode)new JsonObject
                {
                    ["id"] = c.Id,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = c.Call.Name, ["arguments"] = c.Call.ArgumentsJson },
                })]);
            }

            await WriteJsonAsync(context, 200, new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion",
                ["created"] = Created,
                ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finish }),
                ["usage"] = usage,
            });
            return;
        }

        JsonObject Chunk(JsonObject delta, string? finishReason) => new()
        {
            ["id"] = id,
            ["object"] = "chat.completion.chunk",
            ["created"] = Created,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finishReason }),
        };

        await StartEventStreamAsync(context);
        await WriteEventAsync(context, null, Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null));
        foreach (var text in reply.TextChunks())
        {
            await WriteEventAsync(context, null, Chunk(new JsonObject { ["content"] = text }, null));
            if (reply.CutStream || reply.EndStreamEarly)
            {
                await CutAsync(context, reply);
                return;
            }
        }

        for (var i = 0; i < calls.Count; i++)
        {
            var (call, callId) = calls[i];
            await WriteEventAsync(context, null, Chunk(ToolDelta(i, new JsonObject { ["name"] = call.Name, ["arguments"] = "" }, callId), null));
            foreach (var part in FakeReply.Chunk(call.ArgumentsJson))
            {
                await WriteEventAsync(context, null, Chunk(ToolDelta(i, new JsonObject { ["arguments"] = part }, null), null));
            }
        }

        await WriteEventAsync(context, null, Chunk(new JsonObject(), finish));
        var usageChunk = new JsonObject
        {
            ["id"] = id,
            ["object"] = "chat.completion.chunk",
            ["created"] = Created,
            ["model"] = model,
            ["choices"] = new JsonArray(),
            ["usage"] = usage,
        };
        await WriteEventAsync(context, null, usageChunk);
        await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
    }

    private static JsonObject ToolDelta(int index, JsonObject function, string? id)
    {
        var call = new JsonObject { ["index"] = index };
        if (id is not null)
        {
            call["id"] = id;
            call["type"] = "function";
        }

        call["function"] = function;
        return new JsonObject { ["tool_calls"] = new JsonArray(call) };
    }

    private async Task WriteResponsesAsync(HttpContext context, FakeRequest request, FakeReply reply)
    {
        var responseId = NextId("resp_");
        var model = RequestedModel(request);
        var items = new List<(JsonObject Done, FakeToolCall? Call, string ItemId)>();
        var usage = new JsonObject
        {
            ["input_tokens"] = reply.Usage.InputTokens,
            ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = reply.Usage.CachedInputTokens },
            ["output_tokens"] = reply.Usage.OutputTokens,
            ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0 },
            ["total_tokens"] = reply.Usage.InputTokens + reply.Usage.OutputTokens,
        };

        if (reply.Message is { } message)
        {
            var itemId = NextId("msg_");
            items.Add((MessageItem(itemId, message, "completed"), null, itemId));
        }

        foreach (var call in reply.Calls)
        {
            var itemId = NextId("fc_");
            items.Add((FunctionItem(itemId, call.Id ?? NextId("call_"), call, call.ArgumentsJson, "completed"), call, itemId));
        }

        JsonObject Response(string status, JsonArray output, JsonNode? responseUsage) => new()
        {
            ["id"] = responseId,
            ["object"] = "response",
            ["created_at"] = Created,
            ["status"] = status,
            ["model"] = model,
            ["output"] = output,
            ["parallel_tool_calls"] = true,
            ["tool_choice"] = "auto",
            ["tools"] = new JsonArray(),
            ["error"] = null,
            ["incomplete_details"] = null,
            ["metadata"] = new JsonObject(),
            ["usage"] = responseUsage,
        };

        if (!request.IsStreaming)
        {
            if (reply.CutStream || reply.EndStreamEarly)
            {
                await CutAsync(context, reply);
                return;
            }

            await WriteJsonAsync(context, 200, Response("completed", new JsonArray([.. items.Select(i => (JsonNode)i.Done.DeepClone())]), usage));
            return;
        }

        var sequence = 0;
        Task Emit(string type, JsonObject data)
        {
            data["type"] = type;
            data["sequence_number"] = sequence++;
            return WriteEventAsync(context, type, data);
        }

        await StartEventStreamAsync(context);
        await Emit("response.created", new JsonObject { ["response"] = Response("in_progress", [], null) });
        await Emit("response.in_progress", new JsonObject { ["response"] = Response("in_progress", [], null) });
        for (var index = 0; index < items.Count; index++)
        {
            var (done, call, itemId) = items[index];
            if (call is null)
            {
                await Emit("response.output_item.added", new JsonObject { ["output_index"] = index, ["item"] = MessageItem(itemId, null, "in_progress") });
                await Emit("response.content_part.added", new JsonObject
                {
                    ["item_id"] = itemId,
                    ["output_index"] = index,
                    ["content_index"] = 0,
                    ["part"] = OutputText(""),
                });
                foreach (var text in reply.TextChunks())
                {
                    await Emit("response.output_text.delta", new JsonObject
                    {
                        ["item_id"] = itemId,
                        ["output_index"] = index,
                        ["content_index"] = 0,
                        ["delta"] = text,
                        ["logprobs"] = new JsonArray(),
                    });
                    if (reply.CutStream || reply.EndStreamEarly)
                    {
                        await CutAsync(context, reply);
                        return;
                    }
                }

                await Emit("response.output_text.done", new JsonObject
                {
                    ["item_id"] = itemId,
                    ["output_index"] = index,
                    ["content_index"] = 0,
                    ["text"] = reply.Message,
                    ["logprobs"] = new JsonArray(),
                });
                await Emit("response.content_part.done", new JsonObject
                {
                    ["item_id"] = itemId,
                    ["output_index"] = index,
                    ["content_index"] = 0,
                    ["part"] = OutputText(reply.Message ?? ""),
                });
            }
            else
            {
                var callId = done["call_id"]!.GetValue<string>();
                await Emit("response.output_item.added", new JsonObject { ["output_index"] = index, ["item"] = FunctionItem(itemId, callId, call, "", "in_progress") });
                foreach (var part in FakeReply.Chunk(call.ArgumentsJson))
                {
                    await Emit("response.function_call_arguments.delta", new JsonObject { ["item_id"] = itemId, ["output_index"] = index, ["delta"] = part });
                }

                await Emit("response.function_call_arguments.done", new JsonObject
                {
                    ["item_id"] = itemId,
                    ["output_index"] = index,
                    ["arguments"] = call.ArgumentsJson,
                });
            }

            await Emit("response.output_item.done", new JsonObject { ["output_index"] = index, ["item"] = done.DeepClone() });
        }

        await Emit("response.completed", new JsonObject
        {
            ["response"] = Response("completed", new JsonArray([.. items.Select(i => (JsonNode)i.Done.DeepClone())]), usage),
        });
    }

    private static JsonObject OutputText(string text) => new()
    {
        ["type"] = "output_text",
        ["text"] = text,
        ["annotations"] = new JsonArray(),
    };

    private static JsonObject MessageItem(string id, string? text, string status) => new()
    {
        ["id"] = id,
        ["type"] = "message",
        ["status"] = status,
        ["role"] = "assistant",
        ["content"] = text is null ? new JsonArray() : new JsonArray(OutputText(text)),
    };

    private static JsonObject FunctionItem(string id, string callId, FakeToolCall call, string arguments, string status) => new()
    {
        ["id"] = id,
        ["type"] = "function_call",
        ["status"] = status,
        ["call_id"] = callId,
        ["name"] = call.Name,
        ["arguments"] = arguments,
    };
}
