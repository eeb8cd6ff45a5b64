using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Rein.Engine;
using Rein.Testing;

namespace Rein.Providers.Tests;

/// <summary>Prompt-cache breakpoints and cache usage through the real Anthropic SDK adapter, against a loopback fake Messages API.</summary>
public sealed class AnthropicCachingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly JsonElement ObjectSchema = JsonDocument.Parse("""{"type":"object","properties":{"path":{"type":"string"}}}""").RootElement;

    internal static AITool[] Tools() =>
    [
        AIFunctionFactory.CreateDeclaration("read_file", "Reads a file.", ObjectSchema),
        AIFunctionFactory.CreateDeclaration("shell", "Runs a command.", ObjectSchema),
    ];

    [Fact]
    public async Task GetStreamingResponseAsync_FirstRequest_MarksToolsSystemAndLastMessage()
    {
        await using var fake = await FakeMessagesApi.StartAsync(Ct);
        using var client = fake.CreateClient();
        var messages = new List<ChatMessage> { new(ChatRole.System, "You are Rein."), new(ChatRole.User, "fix the build") };

        await StreamAsync(client, messages, new ChatOptions { Tools = Tools() });

        var body = fake.Bodies.Single();
        var tools = body.GetProperty("tools").EnumerateArray().ToList();
        Assert.False(tools[0].TryGetProperty("cache_control", out _));
        Assert.Equal("ephemeral", tools[1].GetProperty("cache_control").GetProperty("type").GetString());
        Assert.Equal("ephemeral", body.GetProperty("system")[0].GetProperty("cache_control").GetProperty("type").GetString());
        var last = body.GetProperty("messages")[0].GetProperty("content").EnumerateArray().Last();
        Assert.Equal("ephemeral", last.GetProperty("cache_control").GetProperty("type").GetString());
        Assert.Equal(3, CountBreakpoints(body));
        Assert.All(messages.SelectMany(m => m.Contents), c => Assert.Null(c.AdditionalProperties));
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ToolLoop_MovesTheBreakpointAndKeepsThePreviousOne()
    {
        await using var fake = await FakeMessagesApi.StartAsync(Ct);
        using var client = fake.CreateClient();
        List<ChatMessage> messages =
        [
            new(ChatRole.System, "You are Rein."),
            new(ChatRole.User, "fix the build"),
            new(ChatRole.Assistant, [new FunctionCallContent("toolu_1", "read_file", new Dictionary<string, object?> { ["path"] = "a.cs" })]),
            new(ChatRole.Tool, [new FunctionResultContent("toolu_1", "class A {}")]),
            new(ChatRole.Assistant, [new FunctionCallContent("toolu_2", "shell", new Dictionary<string, object?> { ["path"] = "b.cs" })]),
            new(ChatRole.Tool, [new FunctionResultContent("toolu_2", "build ok")]),
        ];

        await StreamAsync(client, messages, new ChatOptions { Tools = Tools() });

        var body = fake.Bodies.Single();
        Assert.Equal(4, CountBreakpoints(body));
        var results = body.GetProperty("messages").EnumerateArray()
            .SelectMany(m => m.GetProperty("content").EnumerateArray())
            .Where(b => b.GetProperty("type").GetString() == "tool_result")
            .ToList();
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal("ephemeral", r.GetProperty("cache_control").GetProperty("type").GetString()));
        Assert.All(messages.SelectMany(m => m.Contents), c => Assert.Null(c.AdditionalProperties));
    }

    [Fact]
    public async Task GetStreamingResponseAsync_CacheReadsAndWrites_InputIsTheTotalAndWritesAreReported()
    {
        await using var fake = await FakeMessagesApi.StartAsync(Ct, inputTokens: 10, cacheWrites: 200, cacheReads: 300, outputTokens: 7);
        using var client = fake.CreateClient();

        var response = await StreamAsync(client, [new ChatMessage(ChatRole.User, "hi")], null);

        Assert.Equal(new Journal.TokenUsage(InputTokens: 510, OutputTokens: 7, CachedInputTokens: 300, CacheWriteInputTokens: 200), ModelUsage.From(response.Usage));
    }

    internal static async Task<ChatResponse> StreamAsync(IChatClient client, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(messages, options, Ct))
        {
            updates.Add(update);
        }

        return updates.ToChatResponse();
    }

    private static int CountBreakpoints(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Sum(p => (p.Name == "cache_control" ? 1 : 0) + CountBreakpoints(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Sum(CountBreakpoints),
        _ => 0,
    };
}

/// <summary>A streaming Anthropic Messages API on loopback that answers "ok" with the given usage and records request bodies.</summary>
internal sealed class FakeMessagesApi : IAsyncDisposable
{
    private readonly List<JsonElement> _bodies = [];
    private LoopbackHttpServer _server = null!;

    public IReadOnlyList<JsonElement> Bodies
    {
        get
        {
            lock (_bodies)
            {
                return [.. _bodies];
            }
        }
    }

    public static async Task<FakeMessagesApi> StartAsync(CancellationToken cancellationToken, int inputTokens = 10, int cacheWrites = 0, int cacheReads = 0, int outputTokens = 5)
    {
        var fake = new FakeMessagesApi();
        string Usage(int output) => $$"""{"input_tokens":{{inputTokens}},"cache_creation_input_tokens":{{cacheWrites}},"cache_read_input_tokens":{{cacheReads}},"output_tokens":{{output}}}""";
        var startUsage = Usage(1);
        var usage = Usage(outputTokens);
        fake._server = await LoopbackHttpServer.StartAsync(async context =>
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body);
            lock (fake._bodies)
            {
                fake._bodies.Add(document.RootElement.Clone());
            }

            context.Response.ContentType = "text/event-stream";
            var events = new[]
            {
                ("message_start", """{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":""" + startUsage + "}}"),
                ("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"""),
                ("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ok"}}"""),
                ("content_block_stop", """{"type":"content_block_stop","index":0}"""),
                ("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":""" + usage + "}"),
                ("message_stop", """{"type":"message_stop"}"""),
            };
            foreach (var (name, data) in events)
            {
                await context.Response.WriteAsync($"event: {name}\ndata: {data}\n\n");
            }
        }, cancellationToken);
        return fake;
    }

    public IChatClient CreateClient() =>
        ModelProviders.Create(new ModelSpec("anthropic", "claude-sonnet-4-5"), new ProviderOptions
        {
            BaseUrl = _server.BaseAddress.ToString(),
            ApiKey = "test-key",
            GetEnvironmentVariable = _ => null,
            MaxRetries = 0,
        });

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
