using System.Text.Json;

namespace Rein.Cli.Tests;

/// <summary>Agent profiles' fields and nested AGENTS.md files through real <c>rein run</c> processes.</summary>
[Trait("Category", "e2e")]
public sealed class InstructionsEndToEndTests : IDisposable
{
    private readonly ReinProcess _rein = new();

    public void Dispose() => _rein.Dispose();

    private string Script(string json) => _rein.WriteFile("turns.json", json);

    private void WorkspaceFile(string relative, string content)
    {
        var path = Path.Combine(_rein.Workspace, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private async Task<List<JsonElement>> JournalAsync(ReinProcess.Result run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        var id = run.JsonLines().First(l => l.GetProperty("type").GetString() == "session_started").GetProperty("session_id").GetString()!;
        var show = await _rein.RunAsync("sessions", "show", id, "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        return [.. show.JsonLines()];
    }

    private static List<JsonElement> OfType(IEnumerable<JsonElement> events, string type) =>
        [.. events.Where(e => e.GetProperty("type").GetString() == type)];

    private static string Results(IEnumerable<JsonElement> events, int index) => OfType(events, "tool_completed")[index].GetProperty("result").GetString()!;

    private const string ReadFile = """{"tool_calls":[{"name":"read_file","arguments":{"path":"pkg/sub/file.txt"}}]}""";

    [Fact]
    public async Task Run_ReadNestedFile_NestedAgentsFilesJoinTheObservationOnce()
    {
        WorkspaceFile("AGENTS.md", "root rules");
        WorkspaceFile("pkg/AGENTS.md", "pkg rules");
        WorkspaceFile("pkg/sub/AGENTS.md", "sub rules");
        WorkspaceFile("pkg/sub/file.txt", "content");
        var script = Script($$"""{"turns":[{{ReadFile}},{{ReadFile}},{"text":"done"}]}""");

        var events = await JournalAsync(await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "read it"));

        var first = Results(events, 0);
        var pkg = first.IndexOf("<instructions source=\"pkg/AGENTS.md\">\npkg rules\n</instructions>", StringComparison.Ordinal);
        var sub = first.IndexOf("<instructions source=\"pkg/sub/AGENTS.md\">\nsub rules\n</instructions>", StringComparison.Ordinal);
        Assert.True(pkg > 0 && sub > pkg, first);
        Assert.DoesNotContain("root rules", first, StringComparison.Ordinal);
        Assert.DoesNotContain("<instructions", Results(events, 1), StringComparison.Ordinal);
        var loaded = OfType(events, "instructions_loaded");
        Assert.Equal(["pkg/AGENTS.md", "pkg/sub/AGENTS.md"], loaded.Select(l => l.GetProperty("path").GetString()));
        Assert.All(loaded, l => Assert.Equal(64, l.GetProperty("content_hash").GetString()!.Length));
        Assert.Equal("sub rules", loaded[1].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Run_NestedAgentsFileChangedByACommand_IsLoadedAgain()
    {
        WorkspaceFile("pkg/AGENTS.md", "old rules");
        WorkspaceFile("pkg/sub/file.txt", "content");
        var script = Script($$$"""
            {"turns":[{{{ReadFile}}},
            {"tool_calls":[{"name":"shell","arguments":{"command":"echo new rules > pkg/AGENTS.md"}}]},
            {{{ReadFile}}},{"text":"done"}]}
            """);

        var events = await JournalAsync(await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "read it"));

        Assert.Contains(">\nold rules\n</instructions>", Results(events, 0), StringComparison.Ordinal);
        Assert.DoesNotContain("<instructions", Results(events, 1), StringComparison.Ordinal);
        Assert.Contains(">\nnew rules\n</instructions>", Results(events, 2), StringComparison.Ordinal);
        Assert.Equal(["old rules", "new rules"], OfType(events, "instructions_loaded").Select(l => l.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task Run_NoAgentGiven_TheDefaultAgentIsCoder()
    {
        var script = Script("""{"turns":[{"text":"ok"}]}""");

        var run = await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "hi");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("coder", run.JsonLines()[0].GetProperty("agent").GetString());
    }

    [Fact]
    public async Task Run_AgentInProjectSettings_ItsProfileRunsWithItsModel()
    {
        var script = Script("""{"turns":[{"text":"from the profile's model"}]}""");
        WorkspaceFile(".rein/settings.json", """{"agent": "reader"}""");
        WorkspaceFile(".rein/agents/reader.md", $"---\nname: reader\nmodel: scripted:{script}\n---\nRead only.\n");

        var run = await _rein.RunAsync("run", "--json", "hi");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("reader", run.JsonLines()[0].GetProperty("agent").GetString());
        Assert.Equal("from the profile's model", run.JsonLines()[^1].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Run_ProfileWithOnlyReadFile_OtherToolsAreUnknownToTheModel()
    {
        WorkspaceFile(".rein/agents/reader.md", "---\nname: reader\ntools: [read_file]\n---\nRead only.\n");
        var script = Script("""{"turns":[{"tool_calls":[{"name":"shell","arguments":{"command":"touch marker.txt"}}]},{"text":"ok"}]}""");

        var events = await JournalAsync(await _rein.RunAsync("run", "--json", "--agent", "reader", "--model", $"scripted:{script}", "hi"));

        var completed = Assert.Single(OfType(events, "tool_completed"));
        Assert.Equal("error", completed.GetProperty("outcome").GetString());
        Assert.Equal("Unknown tool 'shell'. Available tools: read_file.", completed.GetProperty("result").GetString());
        Assert.False(File.Exists(Path.Combine(_rein.Workspace, "marker.txt")));
    }

    [Fact]
    public async Task Run_ProfileWithUnknownTool_IsAUsageErrorNamingFileLineAndField()
    {
        WorkspaceFile(".rein/agents/reader.md", "---\nname: reader\ntools:\n  - read_file\n  - shel\n---\nbody\n");

        var result = await _rein.RunAsync("run", "--agent", "reader", "--model", "scripted:x.json", "hi");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("reader.md:5: field 'tools': unknown tool 'shel'", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ProfileWithoutTheCliSurface_IsRefused()
    {
        WorkspaceFile(".rein/agents/bot.md", "---\nname: bot\nsurfaces: [slack, telegram]\n---\nbody\n");
        var script = Script("""{"turns":[{"text":"ok"}]}""");

        var result = await _rein.RunAsync("run", "--json", "--agent", "bot", "--model", $"scripted:{script}", "hi");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("agent 'bot' does not run on the 'cli' surface", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("session_started", result.Stdout, StringComparison.Ordinal);
    }
}
