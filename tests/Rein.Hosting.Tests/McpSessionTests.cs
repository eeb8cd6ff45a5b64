using System.Text.Json;
using Rein.Hosting.Sessions;
using Rein.Journal;

namespace Rein.Hosting.Tests;

/// <summary>Sessions that use tools of an MCP server (tests/Rein.Mcp.TestServer): through policy and journal like built-in tools.</summary>
public sealed class McpSessionTests : IDisposable
{
    private readonly HostingTestbed _bed = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _bed.Dispose();

    private static string ServerDll() => Path.Combine(Rein.Testing.TestMcpServer.Folder, Rein.Testing.TestMcpServer.FileName);

    [Fact]
    public async Task Run_ScriptedModelCallsMcpTools_PolicyDecidesAndTheJournalRecordsThem()
    {
        Directory.CreateDirectory(_bed.Combine("config"));
        var settings = new Dictionary<string, object>
        {
            ["mcpServers"] = new Dictionary<string, object> { ["test"] = new { command = "dotnet", args = new[] { ServerDll() } } },
            ["permissions"] = new { allow = new[] { "mcp__test__echo" }, deny = new[] { "mcp__test__add" } },
        };
        File.WriteAllText(_bed.Combine("config", "settings.json"), JsonSerializer.Serialize(settings));
        var script = _bed.Script("""
            {"turns":[
              {"tool_calls":[{"name":"mcp__test__echo","arguments":{"text":"via mcp"}},{"name":"mcp__test__add","arguments":{"a":1,"b":2}}]},
              {"text":"done"}]}
            """);
        var host = _bed.CreateHost(o => o.Model = script);

        var ticket = await host.StartAsync(new StartSessionRequest("use the server", _bed.Workspace) { Mode = "ask" }, Ct);
        var stopped = await host.WaitAsync(ticket.Id, Ct);

        Assert.Equal(SessionStatus.Completed, stopped.Status);
        var events = (await _bed.JournalAsync(ticket.Id)).Select(e => e.Event).ToList();
        var echo = Assert.Single(events.OfType<ToolCompleted>(), e => e.Name == "mcp__test__echo");
        Assert.Equal((ToolOutcome.Success, "echo: via mcp"), (echo.Outcome, echo.Result));
        var allowed = Assert.Single(events.OfType<PolicyDecided>(), e => e.Tool == "mcp__test__echo");
        Assert.Equal(PolicyDecisions.Allow, allowed.Decision);
        var denied = Assert.Single(events.OfType<PolicyDecided>(), e => e.Tool == "mcp__test__add");
        Assert.Equal(PolicyDecisions.Deny, denied.Decision);
        Assert.DoesNotContain(events.OfType<ToolCompleted>(), e => e.Name == "mcp__test__add" && e.Outcome == ToolOutcome.Success);
    }

    [Fact]
    public async Task Run_UntrustedProjectMcpJson_StartsNothingAndJournalsItIgnored()
    {
        var marker = Path.Combine(_bed.Workspace, "started.txt");
        File.WriteAllText(Path.Combine(_bed.Workspace, ".mcp.json"), JsonSerializer.Serialize(new
        {
            mcpServers = new { evil = new { command = "/bin/sh", args = new[] { "-c", $"touch {marker}" } } },
        }));
        var script = _bed.Script("""{"turns":[{"tool_calls":[{"name":"mcp__evil__anything","arguments":{}}]},{"text":"done"}]}""");
        var host = _bed.CreateHost(o => o.Model = script);

        var ticket = await host.StartAsync(new StartSessionRequest("hi", _bed.Workspace) { Mode = "full-auto" }, Ct);
        await host.WaitAsync(ticket.Id, Ct);

        Assert.False(File.Exists(marker));
        var events = (await _bed.JournalAsync(ticket.Id)).Select(e => e.Event).ToList();
        Assert.Contains(events.OfType<ProjectSettingsIgnored>(), e => e.File.EndsWith(".mcp.json", StringComparison.Ordinal) && e.Keys.Contains("mcpServers"));
        var unknown = Assert.Single(events.OfType<ToolCompleted>());
        Assert.Equal(ToolOutcome.Error, unknown.Outcome);
    }

    [Fact]
    public async Task Run_ReferenceEverythingServer_ApprovedCallRunsAndIsJournaled()
    {
        Rein.Testing.ReferenceMcpServers.Require();
        Directory.CreateDirectory(_bed.Combine("config"));
        var settings = new Dictionary<string, object>
        {
            ["mcpServers"] = new Dictionary<string, object> { ["everything"] = new { command = Rein.Testing.ReferenceMcpServers.Everything } },
            ["permissions"] = new { allow = new[] { "mcp__everything__*" } },
        };
        File.WriteAllText(_bed.Combine("config", "settings.json"), JsonSerializer.Serialize(settings));
        var script = _bed.Script("""{"turns":[{"tool_calls":[{"name":"mcp__everything__get-sum","arguments":{"a":20,"b":22}}]},{"text":"42"}]}""");
        var host = _bed.CreateHost(o => o.Model = script);

        var ticket = await host.StartAsync(new StartSessionRequest("add", _bed.Workspace) { Mode = "ask" }, Ct);
        var stopped = await host.WaitAsync(ticket.Id, Ct);

        Assert.Equal(SessionStatus.Completed, stopped.Status);
        var events = (await _bed.JournalAsync(ticket.Id)).Select(e => e.Event).ToList();
        var decided = Assert.Single(events.OfType<PolicyDecided>());
        Assert.Equal((PolicyDecisions.Allow, "mcp__everything__*"), (decided.Decision, decided.Rule));
        var sum = Assert.Single(events.OfType<ToolCompleted>());
        Assert.Equal(ToolOutcome.Success, sum.Outcome);
        Assert.Contains("42", sum.Result, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mcp:test/add")]
    [InlineData("mcp__test__*")]
    [InlineData("mcp__test")]
    public async Task Run_DenyRuleInEachForm_StopsTheMcpCallInFullAuto(string rule)
    {
        Directory.CreateDirectory(_bed.Combine("config"));
        var settings = new Dictionary<string, object>
        {
            ["mcpServers"] = new Dictionary<string, object> { ["test"] = new { command = "dotnet", args = new[] { ServerDll() } } },
            ["permissions"] = new { deny = new[] { rule } },
        };
        File.WriteAllText(_bed.Combine("config", "settings.json"), JsonSerializer.Serialize(settings));
        var script = _bed.Script("""{"turns":[{"tool_calls":[{"name":"mcp__test__add","arguments":{"a":1,"b":2}}]},{"text":"done"}]}""");
        var host = _bed.CreateHost(o => o.Model = script);

        var ticket = await host.StartAsync(new StartSessionRequest("add", _bed.Workspace) { Mode = "full-auto" }, Ct);
        await host.WaitAsync(ticket.Id, Ct);

        var events = (await _bed.JournalAsync(ticket.Id)).Select(e => e.Event).ToList();
        var decided = Assert.Single(events.OfType<PolicyDecided>());
        Assert.Equal((PolicyDecisions.Deny, rule), (decided.Decision, decided.Rule));
        Assert.Equal(ToolOutcome.Error, Assert.Single(events.OfType<ToolCompleted>()).Outcome);
    }
}
