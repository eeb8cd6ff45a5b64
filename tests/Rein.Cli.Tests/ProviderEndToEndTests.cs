using System.Text.Json;
using Rein.Testing.FakeProviders;

namespace Rein.Cli.Tests;

/// <summary><c>rein run</c> against fake provider servers that speak the real wire formats, through the official SDKs.</summary>
[Trait("Category", "e2e")]
public sealed class ProviderEndToEndTests : IDisposable
{
    private readonly ReinProcess _rein = new();
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    public void Dispose() => _rein.Dispose();

    private static readonly FakeReply[] ShellThenAnswer =
    [
        FakeReply.ToolCall("shell", """{"command":"echo hello > out.txt"}"""),
        FakeReply.Text("Wrote out.txt.", new FakeUsage(120, 8, CachedInputTokens: 100)),
    ];

    private async Task AssertShellSessionAsync(ReinProcess.Result result, FakeProviderServer server)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("hello\n", await File.ReadAllTextAsync(Path.Combine(_rein.Workspace, "out.txt"), _ct));
        var lines = result.JsonLines();
        var modelCalls = lines.Where(l => l.GetProperty("type").GetString() == "model_called").ToList();
        Assert.Equal(2, modelCalls.Count);
        var usage = modelCalls[1].GetProperty("usage");
        Assert.Equal(120, usage.GetProperty("input_tokens").GetInt32());
        Assert.Equal(8, usage.GetProperty("output_tokens").GetInt32());
        Assert.Equal(100, usage.GetProperty("cached_input_tokens").GetInt32());
        Assert.Equal("Wrote out.txt.", lines[^1].GetProperty("text").GetString());
        Assert.Equal(2, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.True(r.IsStreaming, "rein streams model responses"));
        Assert.Contains("\"shell\"", server.Requests[0].Body, StringComparison.Ordinal);
        Assert.Contains("exit code 0", server.Requests[1].Body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Run_OpenAICompatibleBaseUrl_RunsShellCallAndJournalsUsage()
    {
        await using var server = await FakeOpenAIServer.StartAsync(_ct);
        server.Enqueue(ShellThenAnswer);

        var result = await _rein.RunAsync("run", "--json", "--model", "openai-compatible:local-model", "--base-url", server.BaseUrl, "write hello");

        await AssertShellSessionAsync(result, server);
        Assert.Equal("local-model", server.Requests[0].Json.GetProperty("model").GetString());
        Assert.EndsWith("/chat/completions", server.Requests[0].Path, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_OpenAIWithKeyAndBaseUrlFromEnvironment_SendsKeyAndNeverJournalsIt()
    {
        await using var server = await FakeOpenAIServer.StartAsync(_ct);
        server.Enqueue(ShellThenAnswer);
        _rein.Environment["OPENAI_API_KEY"] = "sk-test-secret-123";
        _rein.Environment["OPENAI_BASE_URL"] = server.BaseUrl;

        var result = await _rein.RunAsync("run", "--json", "--model", "openai:gpt-5.5", "write hello");

        await AssertShellSessionAsync(result, server);
        Assert.Equal("Bearer sk-test-secret-123", server.Requests[0].Header("Authorization"));
        Assert.DoesNotContain("sk-test-secret-123", result.Stdout, StringComparison.Ordinal);
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(_rein.StorePath)!, "rein.db*"))
        {
            var bytes = await File.ReadAllBytesAsync(file, _ct);
            Assert.True(bytes.AsSpan().IndexOf("sk-test-secret-123"u8) < 0, $"the API key must not be in {file}");
        }
    }

    [Fact]
    public async Task Run_OpenAIResponsesApi_RunsShellCall()
    {
        await using var server = await FakeOpenAIServer.StartAsync(_ct);
        server.Enqueue(ShellThenAnswer);
        _rein.Environment["OPENAI_API_KEY"] = "sk-test";

        var result = await _rein.RunAsync("run", "--json", "--model", "openai-responses:gpt-5.5", "--base-url", server.BaseUrl, "write hello");

        await AssertShellSessionAsync(result, server);
        Assert.EndsWith("/responses", server.Requests[0].Path, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_Anthropic_RunsShellCallThroughMessagesApi()
    {
        await using var server = await FakeAnthropicServer.StartAsync(_ct);
        server.Enqueue(ShellThenAnswer);
        _rein.Environment["ANTHROPIC_API_KEY"] = "sk-ant-test";
        _rein.Environment["ANTHROPIC_BASE_URL"] = server.BaseUrl;

        var result = await _rein.RunAsync("run", "--json", "--model", "anthropic:claude-sonnet-4-5", "write hello");

        await AssertShellSessionAsync(result, server);
        Assert.EndsWith("/v1/messages", server.Requests[0].Path, StringComparison.Ordinal);
        var toolResult = server.Requests[1].Json.GetProperty("messages").EnumerateArray()
            .SelectMany(m => m.GetProperty("content").ValueKind == JsonValueKind.Array ? m.GetProperty("content").EnumerateArray() : Enumerable.Empty<JsonElement>())
            .Single(c => c.GetProperty("type").GetString() == "tool_result");
        Assert.False(string.IsNullOrEmpty(toolResult.GetProperty("tool_use_id").GetString()));
    }

    [Fact]
    public async Task Run_Ollama_RunsShellCallThroughChatApi()
    {
        await using var server = await FakeOllamaServer.StartAsync(_ct);
        server.Enqueue(ShellThenAnswer);
        _rein.Environment["OLLAMA_HOST"] = server.BaseUrl;

        var result = await _rein.RunAsync("run", "--json", "--model", "ollama:qwen3", "write hello");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("hello\n", await File.ReadAllTextAsync(Path.Combine(_rein.Workspace, "out.txt"), _ct));
        Assert.Equal(2, server.Requests.Count);
        Assert.EndsWith("/api/chat", server.Requests[0].Path, StringComparison.Ordinal);
        Assert.Equal("qwen3", server.Requests[0].Json.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Run_RateLimitedThenOk_RetriesAndCompletes()
    {
        await using var server = await FakeOpenAIServer.StartAsync(_ct);
        server.Enqueue(FakeReply.RateLimited("0"));
        server.Enqueue(ShellThenAnswer);

        var result = await _rein.RunAsync("run", "--json", "--model", "openai-compatible:m", "--base-url", server.BaseUrl, "write hello");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task Run_ProviderKeepsFailing_ExitsThreeAndJournalsModelError()
    {
        await using var server = await FakeOpenAIServer.StartAsync(_ct);
        server.OnRequest = _ => FakeReply.Error(400);

        var result = await _rein.RunAsync("run", "--json", "--model", "openai-compatible:m", "--base-url", server.BaseUrl, "go");

        Assert.Equal(3, result.ExitCode);
        var lines = result.JsonLines();
        Assert.Contains(lines, l => l.GetProperty("type").GetString() == "model_call_failed");
        Assert.Equal("model_error", lines[^1].GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("stream-ends-early")]
    [InlineData("html-page")]
    [InlineData("empty-body")]
    public async Task Run_AnswerThatIsNotWhole_ExitsThreeJournalsModelErrorAndResumes(string answer)
    {
        await using var server = await FakeOpenAIServer.StartAsync(_ct);
        server.Enqueue(
            answer switch
            {
                "stream-ends-early" => FakeReply.StreamEndsEarly("half an answ"),
                "html-page" => FakeReply.Raw("<html><body><h1>502 Bad Gateway</h1></body></html>"),
                _ => FakeReply.Raw("", "text/event-stream"),
            },
            FakeReply.Text("The whole answer."));

        var result = await _rein.RunAsync("run", "--json", "--model", "openai-compatible:m", "--base-url", server.BaseUrl, "go");

        Assert.True(result.ExitCode == 3, result.ToString());
        var lines = result.JsonLines();
        var failed = Assert.Single(lines, l => l.GetProperty("type").GetString() == "model_call_failed");
        Assert.Contains("openai-compatible", failed.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.GetProperty("type").GetString() == "model_called");
        Assert.Equal("model_error", lines[^1].GetProperty("reason").GetString());

        var resumed = await _rein.RunAsync("sessions", "resume", lines[^1].GetProperty("session_id").GetString()!, "--json", "--model", "openai-compatible:m", "--base-url", server.BaseUrl);

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal("The whole answer.", resumed.JsonLines()[^1].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Run_ServerErrorOnceThenOk_SaysItIsRetrying()
    {
        await using var server = await FakeOpenAIServer.StartAsync(_ct);
        server.Enqueue(FakeReply.Error(500, retryAfter: "0"), FakeReply.Text("ok"));

        var result = await _rein.RunAsync("run", "--model", "openai-compatible:m", "--base-url", server.BaseUrl, "hi");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("retrying: HTTP 500, attempt 2 of 5", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("ok", result.Stdout.Trim());
    }
}
