using System.Text.Json;

namespace Rein.Cli.Tests;

/// <summary>The <c>task</c> tool through real <c>rein</c> processes: child sessions, context isolation, policy and budget shares.</summary>
/// <remarks>
/// The parent plays <c>parent.json</c>; the child runs the <c>explorer</c> profile, which pins its model to <c>child.json</c>
/// (a scripted model plays turns by the conversation it is given, so each conversation gets its own script).
/// </remarks>
[Trait("Category", "e2e")]
public sealed class SubAgentEndToEndTests : IDisposable
{
    private const string Secret = "ZEBRA-CONTENT-4711";
    private readonly ReinProcess _rein = new();

    public SubAgentEndToEndTests()
    {
        _rein.Environment["REIN_PRINCIPAL"] = "alice";
        File.WriteAllText(Path.Combine(_rein.Workspace, "notes.txt"), $"first line\n{Secret}\n");
    }

    public void Dispose() => _rein.Dispose();

    private const string TaskTurn = """{"tool_calls":[{"name":"task","arguments":{"description":"read the notes","prompt":"Read notes.txt and say how many lines it has.","agent":"explorer"}}]}""";

    /// <summary>Writes the parent's and the child's scripts and the explorer profile; returns the parent script.</summary>
    private string Scripts(string parentTurns, string childTurns)
    {
        var child = _rein.WriteFile("child.json", $$"""{"turns":[{{childTurns}}]}""");
        var agents = Path.Combine(_rein.Workspace, ".rein", "agents");
        Directory.CreateDirectory(agents);
        File.WriteAllText(Path.Combine(agents, "explorer.md"), $"---\nname: explorer\ndescription: Explores and reports.\nmodel: \"scripted:{child}\"\n---\nExplore the workspace and report briefly.\n");
        return _rein.WriteFile("parent.json", $$"""{"turns":[{{parentTurns}}]}""");
    }

    private void ProjectSettings(string json) => File.WriteAllText(Path.Combine(_rein.Workspace, ".rein", "settings.json"), json);

    private async Task<ReinProcess.Result> ShowAsync(string sessionId)
    {
        var show = await _rein.RunAsync("sessions", "show", sessionId, "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        return show;
    }

    private static IEnumerable<JsonElement> OfType(IEnumerable<JsonElement> events, string type) =>
        events.Where(e => e.GetProperty("type").GetString() == type);

    private static string SessionIdOf(ReinProcess.Result result) =>
        result.JsonLines().First(l => l.GetProperty("type").GetString() == "session_started").GetProperty("session_id").GetString()!;

    /// <summary>The sessions as <c>rein sessions list --json</c> shows them: (id, parent id, status).</summary>
    private async Task<List<(string Id, string? Parent, string Status)>> SessionsAsync()
    {
        var list = await _rein.RunAsync("sessions", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        return [.. list.JsonLines().Select(l => (
            l.GetProperty("id").GetString()!,
            l.TryGetProperty("parent_session_id", out var p) ? p.GetString() : null,
            l.GetProperty("status").GetString()!))];
    }

    [Fact]
    public async Task Run_TaskCall_ChildSessionRecordsItsParentAndOnlyTheReportReachesTheParent()
    {
        var script = Scripts(
            $$"""{{TaskTurn}}, {"text":"The notes have two lines."}""",
            """{"tool_calls":[{"name":"read_file","arguments":{"path":"notes.txt"}}]}, {"text":"notes.txt has 2 lines."}""");

        var run = await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "how long are the notes?");

        Assert.True(run.ExitCode == 0, run.ToString());
        var parentId = SessionIdOf(run);
        var sessions = await SessionsAsync();
        Assert.Equal(2, sessions.Count);
        var child = Assert.Single(sessions, s => s.Parent == parentId);
        Assert.Equal("completed", child.Status);
        Assert.Null(Assert.Single(sessions, s => s.Id == parentId).Parent);

        var parent = await ShowAsync(parentId);
        Assert.DoesNotContain(Secret, parent.Stdout, StringComparison.Ordinal);
        var events = parent.JsonLines();
        var started = Assert.Single(OfType(events, "subagent_started"));
        Assert.Equal(child.Id, started.GetProperty("child_session_id").GetString());
        Assert.Equal("explorer", started.GetProperty("agent").GetString());
        Assert.Equal(2, Assert.Single(OfType(events, "subagent_finished")).GetProperty("steps").GetInt32());
        var report = Assert.Single(OfType(events, "tool_completed")).GetProperty("result").GetString()!;
        Assert.StartsWith($"[sub-agent session {child.Id} (explorer): completed, 2 steps", report, StringComparison.Ordinal);
        Assert.EndsWith("notes.txt has 2 lines.", report, StringComparison.Ordinal);

        var childJournal = await ShowAsync(child.Id);
        Assert.Contains(Secret, childJournal.Stdout, StringComparison.Ordinal);
        var childStarted = Assert.Single(OfType(childJournal.JsonLines(), "session_started"));
        Assert.Equal(parentId, childStarted.GetProperty("parent_session_id").GetString());
        Assert.Equal("alice", childStarted.GetProperty("principal").GetString());
        Assert.Equal("Read notes.txt and say how many lines it has.", Assert.Single(OfType(childJournal.JsonLines(), "user_message")).GetProperty("text").GetString());
        Assert.DoesNotContain(OfType(childJournal.JsonLines(), "model_called"), m => m.GetProperty("tool_calls").EnumerateArray().Any(c => c.GetProperty("name").GetString() == "task"));

        var text = await _rein.RunAsync("sessions", "show", parentId);
        Assert.Contains($"sub-agent {child.Id}", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ChildRunsDeniedCommand_TheParentsPolicyDeniesIt()
    {
        File.WriteAllText(Path.Combine(_rein.Workspace, "keep.txt"), "precious");
        var script = Scripts(
            $$"""{{TaskTurn}}, {"text":"done"}""",
            """{"tool_calls":[{"name":"shell","arguments":{"command":"rm keep.txt"}}]}, {"text":"I could not delete it."}""");
        ProjectSettings("""{"permissions": {"deny": ["shell(rm *)"]}}""");

        var run = await _rein.RunAsync("run", "--json", "--sandbox", "none", "--model", $"scripted:{script}", "tidy up");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("precious", File.ReadAllText(Path.Combine(_rein.Workspace, "keep.txt")));
        var child = Assert.Single(await SessionsAsync(), s => s.Parent is not null);
        var events = (await ShowAsync(child.Id)).JsonLines();
        var decided = Assert.Single(OfType(events, "policy_decided"));
        Assert.Equal("deny", decided.GetProperty("decision").GetString());
        Assert.Equal("shell(rm *)", decided.GetProperty("rule").GetString());
        Assert.Empty(OfType(events, "tool_started"));
    }

    [Fact]
    public async Task Run_ChildOverspendsItsShare_ChildStopsAndTheParentContinues()
    {
        // The parent may use 200,000 tokens; the child gets half of what is left (100,000) and reports 110,000 on its first call.
        var script = Scripts(
            $$"""{{TaskTurn}}, {"text":"Finished without the sub-agent's answer."}""",
            """{"tool_calls":[{"name":"read_file","arguments":{"path":"notes.txt"}}],"usage":{"input_tokens":110000,"output_tokens":0}}, {"text":"never played"}""");

        var run = await _rein.RunAsync("run", "--json", "--max-tokens", "200000", "--model", $"scripted:{script}", "how long are the notes?");

        Assert.True(run.ExitCode == 0, run.ToString());
        var parentId = SessionIdOf(run);
        var child = Assert.Single(await SessionsAsync(), s => s.Parent == parentId);
        var childEvents = (await ShowAsync(child.Id)).JsonLines();
        var exceeded = Assert.Single(OfType(childEvents, "budget_exceeded"));
        Assert.Equal("tokens", exceeded.GetProperty("budget").GetString());
        Assert.Equal(100_000, exceeded.GetProperty("limit").GetDouble());
        Assert.Equal("budget_exceeded", OfType(childEvents, "session_ended").Last().GetProperty("reason").GetString());

        var parentEvents = (await ShowAsync(parentId)).JsonLines();
        Assert.Equal("budget_exceeded", Assert.Single(OfType(parentEvents, "subagent_finished")).GetProperty("stop_reason").GetString());
        var result = Assert.Single(OfType(parentEvents, "tool_completed"));
        Assert.Equal("error", result.GetProperty("outcome").GetString());
        Assert.Contains("budget_exceeded", result.GetProperty("result").GetString(), StringComparison.Ordinal);
        Assert.Equal("completed", OfType(parentEvents, "session_ended").Last().GetProperty("reason").GetString());
        Assert.Empty(OfType(parentEvents, "budget_exceeded"));
    }

    [Fact]
    public async Task Run_ChildAsksWithNobodyToAnswer_TaskFailsNamingTheChildWhichResumesAfterApproval()
    {
        _rein.Environment["REIN_MODE"] = "ask";
        var script = Scripts(
            $$"""{{TaskTurn}}, {"text":"The sub-agent waits for approval."}""",
            """{"tool_calls":[{"name":"write_file","arguments":{"path":"summary.txt","content":"two lines"}}]}, {"text":"wrote summary.txt"}""");

        var run = await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "summarize the notes");

        Assert.True(run.ExitCode == 0, run.ToString());
        var parentId = SessionIdOf(run);
        var child = Assert.Single(await SessionsAsync(), s => s.Parent == parentId);
        Assert.Equal("awaiting_approval", child.Status);
        var result = Assert.Single(OfType((await ShowAsync(parentId)).JsonLines(), "tool_completed")).GetProperty("result").GetString()!;
        Assert.Contains("awaiting_approval", result, StringComparison.Ordinal);
        Assert.Contains($"rein sessions resume {child.Id}", result, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_rein.Workspace, "summary.txt")));

        var pending = Assert.Single((await _rein.RunAsync("approvals", "list", "--json")).JsonLines());
        Assert.Equal(child.Id, pending.GetProperty("session_id").GetString());
        var approve = await _rein.RunAsync("approvals", "approve", pending.GetProperty("call_id").GetString()!);
        Assert.True(approve.ExitCode == 0, approve.ToString());
        var resume = await _rein.RunAsync("sessions", "resume", child.Id, "--json");

        Assert.True(resume.ExitCode == 0, resume.ToString());
        Assert.Equal("two lines", File.ReadAllText(Path.Combine(_rein.Workspace, "summary.txt")));
        Assert.Equal("completed", Assert.Single(await SessionsAsync(), s => s.Id == child.Id).Status);
    }
}
