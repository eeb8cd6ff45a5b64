using System.Text.Json;

namespace Rein.Cli.Tests;

/// <summary><c>rein run</c> with an MCP server from the project's <c>.mcp.json</c>: sandboxed, and its secrets kept out of the journal.</summary>
public sealed class McpClientEndToEndTests : IDisposable
{
    private const string Secret = "mcp-secret-5f0c9d2e7a";
    private readonly ReinProcess _rein = new();

    public void Dispose() => _rein.Dispose();

    /// <summary>Copies the test MCP server into the workspace, where the sandbox lets it run, and names it in .mcp.json.</summary>
    private void AddServer(object extra)
    {
        var server = Rein.Testing.TestMcpServer.CopyTo(Path.Combine(_rein.Workspace, ".server"));
        var entry = JsonSerializer.SerializeToNode(extra)!.AsObject();
        entry["command"] = "dotnet";
        entry["args"] = new System.Text.Json.Nodes.JsonArray((System.Text.Json.Nodes.JsonNode)server);
        _rein.WriteFile("ws/.mcp.json", new System.Text.Json.Nodes.JsonObject { ["mcpServers"] = new System.Text.Json.Nodes.JsonObject { ["test"] = entry } }.ToJsonString());
    }

    [Fact]
    public async Task Run_ServerEchoesASecretItWasGiven_TheJournalAndOutputShowItRedacted()
    {
        Assert.Equal(0, (await _rein.RunWithInputAsync(Secret, "secrets", "set", "MCP_TOKEN")).ExitCode);
        AddServer(new { env = new Dictionary<string, string> { ["SERVER_TOKEN"] = "${secret:MCP_TOKEN}" } });
        var script = _rein.WriteFile("script.json", """{"turns":[{"tool_calls":[{"name":"mcp__test__env","arguments":{"name":"SERVER_TOKEN"}}]},{"text":"read it"}]}""");
        _rein.Environment["REIN_MODE"] = "full-auto";

        var run = await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "show the token");
        var sessionId = run.JsonLines().First(l => l.TryGetProperty("session_id", out _)).GetProperty("session_id").GetString()!;
        var shown = await _rein.RunAsync("sessions", "show", sessionId, "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("[REDACTED:MCP_TOKEN]", shown.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, shown.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, run.Stdout + run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, File.ReadAllText(Path.Combine(_rein.Workspace, ".mcp.json")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SandboxFalse_JournalsTheOptOut()
    {
        AddServer(new { sandbox = false });
        var script = _rein.WriteFile("script.json", """{"turns":[{"tool_calls":[{"name":"mcp__test__echo","arguments":{"text":"hi"}}]},{"text":"done"}]}""");
        _rein.Environment["REIN_MODE"] = "full-auto";

        var run = await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "echo");
        var sessionId = run.JsonLines().First(l => l.TryGetProperty("session_id", out _)).GetProperty("session_id").GetString()!;
        var shown = await _rein.RunAsync("sessions", "show", sessionId, "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("\"sandbox_disabled\"", shown.Stdout, StringComparison.Ordinal);
        Assert.Contains("MCP server 'test' runs WITHOUT the sandbox", shown.Stdout, StringComparison.Ordinal);
        Assert.Contains("echo: hi", shown.Stdout, StringComparison.Ordinal);
    }
}
