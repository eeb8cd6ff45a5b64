using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Rein.Cli.Tests;

/// <summary><c>rein mcp serve</c> driven by the MCP C# SDK's client over stdio.</summary>
public sealed class McpServeTests : IDisposable
{
    private readonly ReinProcess _rein = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _rein.Dispose();

    private async Task<McpClient> ConnectAsync(params string[] args)
    {
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "rein",
            Command = "dotnet",
            Arguments = ["exec", ReinProcess.ReinDll, "mcp", "serve", .. args],
            WorkingDirectory = _rein.Workspace,
            EnvironmentVariables = _rein.ProcessEnvironment(),
        });
        return await McpClient.CreateAsync(transport, cancellationToken: Ct);
    }

    private static JsonElement Structured(CallToolResult result) => Assert.IsType<JsonElement>(result.StructuredContent);

    private static string Text(CallToolResult result) => Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;

    [Fact]
    public async Task Serve_ListRunApproveContinueAndGet_ThroughTheSdkClient()
    {
        var script = _rein.WriteFile("script.json", """
            {"turns":[
              {"tool_calls":[{"name":"write_file","arguments":{"path":"notes.txt","content":"from mcp"}}]},
              {"text":"first done"},
              {"text":"second answer"}]}
            """);
        await using var client = await ConnectAsync("--model", $"scripted:{script}", "--mode", "ask");

        var tools = await client.ListToolsAsync(cancellationToken: Ct);
        Assert.Equal(["answer_approval", "continue_session", "get_session", "run_agent"], tools.Select(t => t.Name).Order(StringComparer.Ordinal));

        var progress = new List<ProgressNotificationValue>();
        var waiting = await client.CallToolAsync("run_agent", new Dictionary<string, object?> { ["message"] = "write notes" }, new SyncProgress(progress), cancellationToken: Ct);
        var state = Structured(waiting);
        Assert.Equal("awaiting_approval", state.GetProperty("status").GetString());
        var sessionId = state.GetProperty("session_id").GetString()!;
        var call = Assert.Single(state.GetProperty("awaiting_approval").EnumerateArray());
        Assert.Equal("write_file", call.GetProperty("tool").GetString());
        Assert.Contains("answer_approval", Text(waiting), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_rein.Workspace, "notes.txt")));
        // The server sends every step's progress before the result; the client may hand it over a moment later.
        for (var i = 0; i < 100 && progress.Count == 0; i++)
        {
            await Task.Delay(50, Ct);
        }

        Assert.Contains(progress, p => p.Message?.Contains("waiting for approval of write_file", StringComparison.Ordinal) == true);

        var answered = await client.CallToolAsync("answer_approval", new Dictionary<string, object?> { ["call_id"] = call.GetProperty("call_id").GetString(), ["decision"] = "approve" }, cancellationToken: Ct);
        Assert.Equal(("completed", "first done"), (Structured(answered).GetProperty("status").GetString(), Text(answered)));
        Assert.Equal("from mcp", File.ReadAllText(Path.Combine(_rein.Workspace, "notes.txt")));

        var continued = await client.CallToolAsync("continue_session", new Dictionary<string, object?> { ["session_id"] = sessionId, ["message"] = "more" }, cancellationToken: Ct);
        Assert.Equal("second answer", Text(continued));

        var got = await client.CallToolAsync("get_session", new Dictionary<string, object?> { ["session_id"] = sessionId }, cancellationToken: Ct);
        Assert.Equal(("completed", "second answer"), (Structured(got).GetProperty("status").GetString(), Structured(got).GetProperty("answer").GetString()));

        // The same session, as the rest of Rein sees it.
        var shown = await _rein.RunAsync("sessions", "show", sessionId, "--json");
        Assert.Equal(0, shown.ExitCode);
        Assert.Contains("\"origin\":\"mcp\"", shown.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_BadCalls_AreToolErrorsNotCrashes()
    {
        await using var client = await ConnectAsync("--model", "scripted:/nonexistent.json");

        var missing = await client.CallToolAsync("get_session", new Dictionary<string, object?> { ["session_id"] = "nope" }, cancellationToken: Ct);
        var empty = await client.CallToolAsync("run_agent", new Dictionary<string, object?>(), cancellationToken: Ct);
        var outside = await client.CallToolAsync("run_agent", new Dictionary<string, object?> { ["message"] = "x", ["workspace"] = "/" }, cancellationToken: Ct);
        var unknown = await client.CallToolAsync("delete_everything", new Dictionary<string, object?>(), cancellationToken: Ct);

        Assert.True(missing.IsError);
        Assert.True(empty.IsError);
        Assert.Contains("'message' is required", Text(empty), StringComparison.Ordinal);
        Assert.True(outside.IsError);
        Assert.True(unknown.IsError);
        var still = await client.ListToolsAsync(cancellationToken: Ct);
        Assert.Equal(4, still.Count);
    }

    [Fact]
    public async Task ServeHttp_NotLoopback_Refused()
    {
        var result = await _rein.RunAsync("mcp", "serve", "--http", "--listen", "0.0.0.0:0");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("loopback", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddListRemove_ProjectMcpJson_RoundTripsAndListStartsTheServer()
    {
        // In the workspace: `rein mcp list` starts it in the sandbox, which sees only the workspace and the system.
        var server = Rein.Testing.TestMcpServer.CopyTo(Path.Combine(_rein.Workspace, ".server"));

        var added = await _rein.RunAsync("mcp", "add", "test", "--json", "--env", "A=1", "--", "dotnet", server);
        var file = JsonDocument.Parse(File.ReadAllText(Path.Combine(_rein.Workspace, ".mcp.json"))).RootElement;
        var listed = await _rein.RunAsync("mcp", "list", "--json");
        var bad = await _rein.RunAsync("mcp", "add", "x__y", "--", "true");
        var removed = await _rein.RunAsync("mcp", "remove", "test", "--json");
        var again = await _rein.RunAsync("mcp", "remove", "test");

        Assert.Equal(0, added.ExitCode);
        Assert.Equal("1", file.GetProperty("mcpServers").GetProperty("test").GetProperty("env").GetProperty("A").GetString());
        Assert.Equal(0, listed.ExitCode);
        var entry = Assert.Single(listed.JsonLines());
        Assert.True(entry.GetProperty("started").GetBoolean(), listed.ToString());
        Assert.Contains(entry.GetProperty("tools").EnumerateArray(), t => t.GetProperty("name").GetString() == "mcp__test__echo" && t.GetProperty("tool").GetString() == "echo");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Equal(0, removed.ExitCode);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("No MCP server named 'test'", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddRemove_User_EditsTheUserSettingsAndKeepsTheirOtherKeys()
    {
        _rein.WriteFile("config/rein/settings.json", """{"model": "openai:gpt-5.5"}""");

        var added = await _rein.RunAsync("mcp", "add", "remote", "--user", "--url", "https://mcp.example.com/mcp", "-H", "Authorization: Bearer ${secret:TOKEN}");
        var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(_rein.Home, "config", "rein", "settings.json"))).RootElement;
        var removed = await _rein.RunAsync("mcp", "remove", "remote", "--user");
        var after = JsonDocument.Parse(File.ReadAllText(Path.Combine(_rein.Home, "config", "rein", "settings.json"))).RootElement;

        Assert.Equal(0, added.ExitCode);
        Assert.Equal("openai:gpt-5.5", settings.GetProperty("model").GetString());
        var remote = settings.GetProperty("mcpServers").GetProperty("remote");
        Assert.Equal(("http", "https://mcp.example.com/mcp", "Bearer ${secret:TOKEN}"), (remote.GetProperty("type").GetString(), remote.GetProperty("url").GetString(), remote.GetProperty("headers").GetProperty("Authorization").GetString()));
        Assert.Equal(0, removed.ExitCode);
        Assert.False(after.GetProperty("mcpServers").TryGetProperty("remote", out _));
        Assert.Equal("openai:gpt-5.5", after.GetProperty("model").GetString());
        Assert.False(File.Exists(Path.Combine(_rein.Workspace, ".mcp.json")));
    }

    private sealed class SyncProgress(List<ProgressNotificationValue> values) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value)
        {
            lock (values)
            {
                values.Add(value);
            }
        }
    }
}
