using System.Text.Json;
using Microsoft.Extensions.AI;
using Rein.Engine;
using Rein.Testing.FakeProviders;

namespace Rein.Providers.Tests;

/// <summary>What every provider must do, through the real SDK client that <see cref="ModelProviders.Create"/> builds, against a fake server.</summary>
public abstract class ProviderContractTests
{
    protected abstract string Provider { get; }

    protected virtual bool ReportsCachedTokens => true;

    protected virtual bool ReportsToolCallsFinishReason => true;

    /// <summary>Whether the SDK keeps the provider's error message of a refused request (OllamaSharp keeps only the status).</summary>
    protected virtual bool ReportsErrorMessage => true;

    protected abstract Task<FakeProviderServer> StartServerAsync(CancellationToken cancellationToken);

    /// <summary>Asserts the request declared the tool and carried the previous turn's call and result.</summary>
    protected abstract void AssertToolTurnSent(JsonElement body, string toolName, string callId, string result);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected IChatClient CreateClient(FakeProviderServer server, int maxRetries = 2) =>
        ModelProviders.Create(new ModelSpec(Provider, "test-model"), new ProviderOptions
        {
            BaseUrl = server.BaseUrl,
            ApiKey = "test-key",
            GetEnvironmentVariable = _ => null,
            MaxRetries = maxRetries,
            InitialRetryDelay = TimeSpan.FromMilliseconds(1),
            MaxRetryDelay = TimeSpan.FromMilliseconds(10),
        });

    protected static async Task<ChatResponse> StreamAsync(IChatClient client, IEnumerable<ChatMessage> messages, ChatOptions? options = null)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(messages, options, Ct))
        {
            updates.Add(update);
        }

        return updates.ToChatResponse();
    }

    protected static ChatOptions ShellTool() => new()
    {
        Tools =
        [
            AIFunctionFactory.CreateDeclaration(
                "shell",
                "Runs a shell command.",
                JsonDocument.Parse("""{"type":"object","properties":{"command":{"type":"string"}},"required":["command"]}""").RootElement),
        ],
        ToolMode = ChatToolMode.Auto,
        AllowMultipleToolCalls = true,
    };

    [Fact]
    public async Task GetStreamingResponseAsync_Text_ReturnsTextAndUsage()
    {
        await using var server = await StartServerAsync(Ct);
        server.Enqueue(FakeReply.Text("Hello from the fake model.", new FakeUsage(100, 20, 60)));
        using var client = CreateClient(server);

        var response = await StreamAsync(client, [new ChatMessage(ChatRole.User, "hi")]);

        Assert.Equal("Hello from the fake model.", response.Text);
        Assert.Empty(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.NotNull(response.Usage);
        Assert.Equal(100, response.Usage.InputTokenCount);
        Assert.Equal(20, response.Usage.OutputTokenCount);
        if (ReportsCachedTokens)
        {
            Assert.Equal(60, response.Usage.CachedInputTokenCount);
        }

        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal("test-model", response.ModelId);
        Assert.Single(server.Requests);
        Assert.Equal("test-model", server.Requests[0].Json.GetProperty("model").GetString());
    }

    [Fact]
    public async Task GetStreamingResponseAsync_TwoParallelToolCalls_ReturnsBothWithArguments()
    {
        await using var server = await StartServerAsync(Ct);
        server.Enqueue(FakeReply.ToolCalls(
            new FakeToolCall("shell", """{"command":"echo one"}""", "call_a"),
            new FakeToolCall("read_file", """{"path":"src/a.cs","limit":20}""", "call_b")));
        using var client = CreateClient(server);

        var response = await StreamAsync(client, [new ChatMessage(ChatRole.User, "do two things")], ShellTool());

        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        Assert.Equal(2, calls.Count);
        Assert.Equal("shell", calls[0].Name);
        Assert.Equal("echo one", calls[0].Arguments!["command"]?.ToString());
        Assert.Equal("read_file", calls[1].Name);
        Assert.Equal("src/a.cs", calls[1].Arguments!["path"]?.ToString());
        Assert.Equal("20", calls[1].Arguments!["limit"]?.ToString());
        Assert.All(calls, c => Assert.False(string.IsNullOrEmpty(c.CallId)));
        Assert.NotEqual(calls[0].CallId, calls[1].CallId);
        Assert.Null(calls[0].Exception);
        if (ReportsToolCallsFinishReason)
        {
            Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        }
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ToolResultFromPreviousTurn_ReachesServer()
    {
        await using var server = await StartServerAsync(Ct);
        server.Enqueue(FakeReply.ToolCall("shell", """{"command":"echo hi"}"""), FakeReply.Text("done"));
        using var client = CreateClient(server);
        List<ChatMessage> messages = [new(ChatRole.User, "say hi")];

        var first = await StreamAsync(client, messages, ShellTool());
        var call = Assert.Single(first.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        messages.AddRange(first.Messages);
        messages.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent(call.CallId, "hi from the tool")]));
        var second = await StreamAsync(client, messages, ShellTool());

        Assert.Equal("done", second.Text);
        Assert.Equal(2, server.Requests.Count);
        AssertToolTurnSent(server.Requests[1].Json, "shell", call.CallId, "hi from the tool");
    }

    [Fact]
    public async Task GetStreamingResponseAsync_RateLimitedTwiceWithRetryAfter_RetriesAndSucceeds()
    {
        await using var server = await StartServerAsync(Ct);
        // Retry-After of 1 and 2 seconds are capped by MaxRetryDelay (10 ms), so the test stays fast.
        server.Enqueue(FakeReply.RateLimited("1"), FakeReply.RateLimited("2"), FakeReply.Text("finally"));
        using var client = CreateClient(server, maxRetries: 3);

        var response = await StreamAsync(client, [new ChatMessage(ChatRole.User, "hi")]);

        Assert.Equal("finally", response.Text);
        Assert.Equal(3, server.Requests.Count);
        Assert.Equal(server.Requests[0].Body, server.Requests[2].Body);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ServerErrorOnEveryAttempt_ThrowsAfterMaxRetries()
    {
        await using var server = await StartServerAsync(Ct);
        server.Enqueue(FakeReply.Error(500), FakeReply.Error(500), FakeReply.Error(500), FakeReply.Text("never"));
        using var client = CreateClient(server, maxRetries: 2);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => StreamAsync(client, [new ChatMessage(ChatRole.User, "hi")]));

        Assert.Equal(3, server.Requests.Count);
        Assert.Equal(1, server.PendingReplies);
        Assert.Contains("500", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_StreamCutMidway_ThrowsModelCallException()
    {
        await using var server = await StartServerAsync(Ct);
        // However the cut lands (before or after the headers), every attempt ends the same way.
        server.OnRequest = _ => FakeReply.StreamCut("this answer never finishes");
        using var client = CreateClient(server, maxRetries: 0);

        var error = await Assert.ThrowsAsync<ModelCallException>(() => StreamAsync(client, [new ChatMessage(ChatRole.User, "hi")]));

        Assert.Contains("cut", error.Message, StringComparison.Ordinal);
        AssertNoInternals(error.Message);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_StreamEndsWithoutFinish_ThrowsModelCallException()
    {
        await using var server = await StartServerAsync(Ct);
        server.Enqueue(FakeReply.StreamEndsEarly("this answer never finishes"));
        using var client = CreateClient(server);

        var error = await Assert.ThrowsAsync<ModelCallException>(() => StreamAsync(client, [new ChatMessage(ChatRole.User, "hi")]));

        Assert.Contains("stopped before it was complete", error.Message, StringComparison.Ordinal);
        AssertNoInternals(error.Message);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_EmptyAnswerWithFinishReason_IsNotAnError()
    {
        await using var server = await StartServerAsync(Ct);
        server.Enqueue(FakeReply.Text(""));
        using var client = CreateClient(server);

        var response = await StreamAsync(client, [new ChatMessage(ChatRole.User, "hi")]);

        Assert.Equal("", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Theory]
    [InlineData("<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")]
    [InlineData("", "text/event-stream")]
    [InlineData("", "application/json")]
    public async Task GetStreamingResponseAsync_OkWithBodyNotInProviderFormat_ThrowsModelCallException(string body, string contentType)
    {
        await using var server = await StartServerAsync(Ct);
        server.Enqueue(FakeReply.Raw(body, contentType));
        using var client = CreateClient(server);

        var error = await Assert.ThrowsAsync<ModelCallException>(() => StreamAsync(client, [new ChatMessage(ChatRole.User, "hi")]));

        Assert.Contains(Provider, error.Message, StringComparison.Ordinal);
        AssertNoInternals(error.Message);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_Unauthorized_SaysStatusAndKeyInUserTerms()
    {
        await using var server = await StartServerAsync(Ct);
        server.Enqueue(FakeReply.Error(401));
        using var client = CreateClient(server);

        var error = await Assert.ThrowsAsync<ModelCallException>(() => StreamAsync(client, [new ChatMessage(ChatRole.User, "hi")]));

        Assert.Contains("HTTP 401", error.Message, StringComparison.Ordinal);
        Assert.Contains("API key", error.Message, StringComparison.Ordinal);
        if (ReportsErrorMessage)
        {
            Assert.Contains("Scripted failure 401", error.Message, StringComparison.Ordinal);
        }

        AssertNoInternals(error.Message);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ServerErrorThenOk_ReportsTheRetryToTheObserver()
    {
        await using var server = await StartServerAsync(Ct);
        server.Enqueue(FakeReply.Error(500), FakeReply.RateLimited("0"), FakeReply.Text("ok"));
        using var client = CreateClient(server, maxRetries: 4);
        var retries = new List<string>();

        using (ModelRetries.Observe(r => { lock (retries) { retries.Add(r.Text); } }))
        {
            await StreamAsync(client, [new ChatMessage(ChatRole.User, "hi")]);
        }

        Assert.Equal(["retrying: HTTP 500, attempt 2 of 5", "retrying: HTTP 429 (rate limited), attempt 3 of 5"], retries);
    }

    private static void AssertNoInternals(string message)
    {
        foreach (var internals in new[] { "Exception", "System.", "(Parameter", "LineNumber", "BytePositionInLine", "   at " })
        {
            Assert.DoesNotContain(internals, message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task GetResponseAsync_NotStreaming_ReturnsTextAndToolCall()
    {
        await using var server = await StartServerAsync(Ct);
        server.Enqueue(new FakeReply { Message = "Let me check.", Calls = [new FakeToolCall("shell", """{"command":"ls"}""")] });
        using var client = CreateClient(server);

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], ShellTool(), Ct);

        Assert.Equal("Let me check.", response.Text);
        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("ls", call.Arguments!["command"]?.ToString());
    }

    [Fact]
    public async Task GetStreamingResponseAsync_LoneSurrogateEscapes_ArriveAsReplacementCharacter()
    {
        await using var server = await StartServerAsync(Ct);
        server.Enqueue(new FakeReply { Message = "cut \ud83d emoji and \udc00 low", Calls = [new FakeToolCall("shell", "{\"command\":\"cat a\ud800.txt\"}")] });
        using var client = CreateClient(server);

        var response = await StreamAsync(client, [new ChatMessage(ChatRole.User, "hi")], ShellTool());

        Assert.Equal("cut \ufffd emoji and \ufffd low", response.Text);
        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Null(call.Exception);
        Assert.Equal("cat a\ufffd.txt", call.Arguments!["command"]?.ToString());
    }

    [Fact]
    public async Task GetResponseAsync_LoneSurrogateEscapes_ArriveAsReplacementCharacter()
    {
        await using var server = await StartServerAsync(Ct);
        server.Enqueue(new FakeReply { Message = "cut \ud83d emoji and \udc00 low", Calls = [new FakeToolCall("shell", "{\"command\":\"cat a\ud800.txt\"}")] });
        using var client = CreateClient(server);

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], ShellTool(), Ct);

        Assert.Equal("cut \ufffd emoji and \ufffd low", response.Text);
        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Null(call.Exception);
        Assert.Equal("cat a\ufffd.txt", call.Arguments!["command"]?.ToString());
    }

    protected static IEnumerable<JsonElement> Items(JsonElement body, string property) =>
        body.TryGetProperty(property, out var array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray() : [];

    protected static string Str(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value)
            ? value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()
            : string.Empty;
}

public sealed class OpenAIChatProviderTests : ProviderContractTests
{
    protected override string Provider => "openai";

    protected override async Task<FakeProviderServer> StartServerAsync(CancellationToken cancellationToken) =>
        await FakeOpenAIServer.StartAsync(cancellationToken);

    protected override void AssertToolTurnSent(JsonElement body, string toolName, string callId, string result)
    {
        Assert.Contains(Items(body, "tools"), t => Str(t.GetProperty("function"), "name") == toolName);
        var messages = Items(body, "messages").ToList();
        Assert.Contains(messages, m => Str(m, "role") == "assistant"
            && Items(m, "tool_calls").Any(c => Str(c, "id") == callId && Str(c.GetProperty("function"), "name") == toolName));
        var tool = Assert.Single(messages, m => Str(m, "role") == "tool");
        Assert.Equal(callId, Str(tool, "tool_call_id"));
        Assert.Contains(result, Str(tool, "content"), StringComparison.Ordinal);
    }
}

public sealed class OpenAIResponsesProviderTests : ProviderContractTests
{
    protected override string Provider => "openai-responses";

    protected override async Task<FakeProviderServer> StartServerAsync(CancellationToken cancellationToken) =>
        await FakeOpenAIServer.StartAsync(cancellationToken);

    protected override void AssertToolTurnSent(JsonElement body, string toolName, string callId, string result)
    {
        Assert.Contains(Items(body, "tools"), t => Str(t, "name") == toolName);
        var input = Items(body, "input").ToList();
        Assert.Contains(input, i => Str(i, "type") == "function_call" && Str(i, "call_id") == callId && Str(i, "name") == toolName);
        var output = Assert.Single(input, i => Str(i, "type") == "function_call_output");
        Assert.Equal(callId, Str(output, "call_id"));
        Assert.Contains(result, Str(output, "output"), StringComparison.Ordinal);
    }
}

public sealed class AnthropicProviderTests : ProviderContractTests
{
    protected override string Provider => "anthropic";

    protected override async Task<FakeProviderServer> StartServerAsync(CancellationToken cancellationToken) =>
        await FakeAnthropicServer.StartAsync(cancellationToken);

    protected override void AssertToolTurnSent(JsonElement body, string toolName, string callId, string result)
    {
        Assert.Contains(Items(body, "tools"), t => Str(t, "name") == toolName);
        var blocks = Items(body, "messages").SelectMany(m => Items(m, "content")).ToList();
        Assert.Contains(blocks, b => Str(b, "type") == "tool_use" && Str(b, "id") == callId && Str(b, "name") == toolName);
        var toolResult = Assert.Single(blocks, b => Str(b, "type") == "tool_result");
        Assert.Equal(callId, Str(toolResult, "tool_use_id"));
        Assert.Contains(result, toolResult.GetProperty("content").GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_NoMaxOutputTokens_SendsDefaultMaxTokens()
    {
        await using var server = await FakeAnthropicServer.StartAsync(Ct);
        server.Enqueue(FakeReply.Text("ok"));
        using var client = CreateClient(server);

        await StreamAsync(client, [new ChatMessage(ChatRole.User, "hi")]);

        Assert.Equal(ModelProviders.DefaultAnthropicMaxOutputTokens, server.Requests[0].Json.GetProperty("max_tokens").GetInt32());
    }
}

public sealed class OllamaProviderTests : ProviderContractTests
{
    protected override string Provider => "ollama";

    protected override bool ReportsCachedTokens => false;

    protected override bool ReportsErrorMessage => false;

    // Ollama itself reports done_reason "stop" for turns with tool calls.
    protected override bool ReportsToolCallsFinishReason => false;

    protected override async Task<FakeProviderServer> StartServerAsync(CancellationToken cancellationToken) =>
        await FakeOllamaServer.StartAsync(cancellationToken);

    protected override void AssertToolTurnSent(JsonElement body, string toolName, string callId, string result)
    {
        Assert.Contains(Items(body, "tools"), t => Str(t.GetProperty("function"), "name") == toolName);
        var messages = Items(body, "messages").ToList();
        Assert.Contains(messages, m => Str(m, "role") == "assistant"
            && Items(m, "tool_calls").Any(c => Str(c.GetProperty("function"), "name") == toolName));
        var tool = Assert.Single(messages, m => Str(m, "role") == "tool");
        Assert.Contains(result, Str(tool, "content"), StringComparison.Ordinal);
    }
}
