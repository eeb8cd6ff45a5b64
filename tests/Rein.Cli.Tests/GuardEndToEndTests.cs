using System.Text.Json;

namespace Rein.Cli.Tests;

/// <summary>The production guards through real <c>rein</c> processes: policy, durable approvals, budgets, hooks, the sandbox switch.</summary>
[Trait("Category", "e2e")]
public sealed class GuardEndToEndTests : IDisposable
{
    private readonly ReinProcess _rein = new();

    public GuardEndToEndTests()
    {
        _rein.Environment["REIN_PRINCIPAL"] = "alice";
    }

    public void Dispose() => _rein.Dispose();

    private string Script(string json) => _rein.WriteFile("turns.json", json);

    private void ProjectSettings(string json)
    {
        var folder = Path.Combine(_rein.Workspace, ".rein");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "settings.json"), json);
    }

    private async Task<List<JsonElement>> JournalAsync(string sessionId)
    {
        var show = await _rein.RunAsync("sessions", "show", sessionId, "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        return [.. show.JsonLines()];
    }

    private static string SessionIdOf(ReinProcess.Result result) =>
        result.JsonLines().First(l => l.GetProperty("type").GetString() == "session_started").GetProperty("session_id").GetString()!;

    private static IEnumerable<JsonElement> OfType(IEnumerable<JsonElement> events, string type) =>
        events.Where(e => e.GetProperty("type").GetString() == type);

    [Fact]
    public async Task Run_DenyRuleMatchesOnePartOfACompoundCommand_NothingRunsAndTheRuleIsJournaled()
    {
        File.WriteAllText(Path.Combine(_rein.Workspace, "keep.txt"), "precious");
        ProjectSettings("""{"permissions": {"deny": ["shell(rm *)"]}}""");
        var script = Script("""{"turns":[{"tool_calls":[{"name":"shell","arguments":{"command":"touch marker.txt && rm keep.txt"}}]},{"text":"ok"}]}""");

        var result = await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "clean up");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("precious", File.ReadAllText(Path.Combine(_rein.Workspace, "keep.txt")));
        Assert.False(File.Exists(Path.Combine(_rein.Workspace, "marker.txt")), "no part of a denied command may run");
        var events = await JournalAsync(SessionIdOf(result));
        var decided = Assert.Single(OfType(events, "policy_decided"));
        Assert.Equal("deny", decided.GetProperty("decision").GetString());
        Assert.Equal("shell(rm *)", decided.GetProperty("rule").GetString());
        Assert.Empty(OfType(events, "tool_started"));
        Assert.Contains("Denied by policy", Assert.Single(OfType(events, "tool_completed")).GetProperty("result").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AskWithoutTerminal_SuspendsThenApprovalFromAnotherProcessLetsTheSessionFinish()
    {
        _rein.Environment["REIN_MODE"] = "ask";
        var script = Script("""{"turns":[{"tool_calls":[{"name":"write_file","arguments":{"path":"notes.txt","content":"hello"}}]},{"text":"written"}]}""");

        var run = await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "write notes");

        Assert.True(run.ExitCode == 6, run.ToString());
        Assert.False(File.Exists(Path.Combine(_rein.Workspace, "notes.txt")));
        Assert.Contains("rein approvals", run.JsonLines()[^1].GetProperty("detail").GetString(), StringComparison.Ordinal);
        var sessionId = SessionIdOf(run);

        // A new process (the first one has exited) lists and answers the request.
        var list = await _rein.RunAsync("approvals", "list", "--json");
        var pending = Assert.Single(list.JsonLines());
        Assert.Equal("write_file", pending.GetProperty("tool").GetString());
        Assert.Equal(sessionId, pending.GetProperty("session_id").GetString());
        var callId = pending.GetProperty("call_id").GetString()!;
        var sessions = await _rein.RunAsync("sessions", "list", "--json");
        Assert.Equal("awaiting_approval", Assert.Single(sessions.JsonLines()).GetProperty("status").GetString());

        var approve = await _rein.RunAsync("approvals", "approve", callId);
        Assert.True(approve.ExitCode == 0, approve.ToString());
        Assert.Empty((await _rein.RunAsync("approvals", "list", "--json")).JsonLines());

        var resume = await _rein.RunAsync("sessions", "resume", sessionId, "--json");

        Assert.True(resume.ExitCode == 0, resume.ToString());
        Assert.Equal("hello", File.ReadAllText(Path.Combine(_rein.Workspace, "notes.txt")));
        var events = await JournalAsync(sessionId);
        Assert.Single(OfType(events, "approval_requested"));
        var decided = Assert.Single(OfType(events, "approval_decided"));
        Assert.Equal("approve_once", decided.GetProperty("decision").GetString());
        // REIN_PRINCIPAL labels the session; the approval is made by the operating-system user.
        Assert.Equal(Rein.Identity.LocalUser.Name, decided.GetProperty("by").GetString());
        Assert.Equal("success", Assert.Single(OfType(events, "tool_completed")).GetProperty("outcome").GetString());
        Assert.Equal("completed", OfType(events, "session_ended").Last().GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Approvals_SameCallIdWaitingInThreeSessions_ListedAsSessionRefsAndAnsweredOneByOne()
    {
        _rein.Environment["REIN_MODE"] = "ask";
        var sessions = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            // Providers number their call ids per response, so the same id waits in every session.
            var script = Script($$$"""{"turns":[{"tool_calls":[{"id":"call_2_1","name":"shell","arguments":{"command":"echo {{{i}}} > out{{{i}}}.txt"}}]},{"text":"done"}]}""");
            var run = await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", $"task {i}");
            Assert.True(run.ExitCode == 6, run.ToString());
            sessions.Add(SessionIdOf(run));
        }

        var listed = (await _rein.RunAsync("approvals", "list", "--json")).JsonLines().ToList();
        Assert.Equal(3, listed.Count);
        var refs = sessions.Select(s => listed.Single(l => l.GetProperty("session_id").GetString() == s).GetProperty("ref").GetString()!).ToList();
        Assert.Equal(3, refs.Distinct().Count());
        Assert.All(refs, r => Assert.EndsWith(":call_2_1", r, StringComparison.Ordinal));
        Assert.Equal("echo 1 > out1.txt", listed.Single(l => l.GetProperty("session_id").GetString() == sessions[1]).GetProperty("preview").GetString());
        var text = await _rein.RunAsync("approvals", "list");
        Assert.All(refs, r => Assert.Contains(r, text.Stdout, StringComparison.Ordinal));
        Assert.Contains("echo 2 > out2.txt", text.Stdout, StringComparison.Ordinal);

        var ambiguous = await _rein.RunAsync("approvals", "approve", "call_2_1");

        Assert.True(ambiguous.ExitCode == 2, ambiguous.ToString());
        Assert.All(refs, r => Assert.Contains(r, ambiguous.Stderr, StringComparison.Ordinal));

        var approve = await _rein.RunAsync("approvals", "approve", $"{sessions[1][..12]}:call_2_1");
        Assert.True(approve.ExitCode == 0, approve.ToString());
        var deny = await _rein.RunAsync("approvals", "deny", "call_2_1", "--session", sessions[0], "--reason", "not now");
        Assert.True(deny.ExitCode == 0, deny.ToString());
        var last = await _rein.RunAsync("approvals", "approve", "call_2_1", "--json");
        Assert.True(last.ExitCode == 0, last.ToString());

        Assert.Equal(sessions[2], Assert.Single(last.JsonLines()).GetProperty("session_id").GetString());
        Assert.Empty((await _rein.RunAsync("approvals", "list", "--json")).JsonLines());
        Assert.Equal("approve_once", Assert.Single(OfType(await JournalAsync(sessions[1]), "approval_decided")).GetProperty("decision").GetString());
        Assert.Equal("deny", Assert.Single(OfType(await JournalAsync(sessions[0]), "approval_decided")).GetProperty("decision").GetString());
    }

    [Fact]
    public async Task ApprovalsDeny_ReasonReachesTheModelAndTheCallNeverRuns()
    {
        _rein.Environment["REIN_MODE"] = "ask";
        var script = Script("""{"turns":[{"tool_calls":[{"name":"shell","arguments":{"command":"touch made.txt"}}]},{"text":"understood"}]}""");
        var run = await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "make a file");
        Assert.True(run.ExitCode == 6, run.ToString());
        var callId = Assert.Single((await _rein.RunAsync("approvals", "list", "--json")).JsonLines()).GetProperty("call_id").GetString()!;

        var deny = await _rein.RunAsync("approvals", "deny", callId, "--reason", "use the existing file instead", "--resume");

        Assert.True(deny.ExitCode == 0, deny.ToString());
        Assert.False(File.Exists(Path.Combine(_rein.Workspace, "made.txt")));
        var completed = Assert.Single(OfType(await JournalAsync(SessionIdOf(run)), "tool_completed"));
        Assert.Equal("error", completed.GetProperty("outcome").GetString());
        Assert.Contains("use the existing file instead", completed.GetProperty("result").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApprovalsApprove_PrincipalNotAnApprover_IsRefusedAndNothingRuns()
    {
        _rein.Environment["REIN_MODE"] = "ask";
        ProjectSettings("""{"approvals": {"approvers": ["bob"]}}""");
        var script = Script("""{"turns":[{"tool_calls":[{"name":"write_file","arguments":{"path":"x.txt","content":"x"}}]},{"text":"done"}]}""");
        var run = await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "write x");
        var callId = Assert.Single((await _rein.RunAsync("approvals", "list", "--json")).JsonLines()).GetProperty("call_id").GetString()!;

        _rein.Environment["REIN_PRINCIPAL"] = "mallory";
        var approve = await _rein.RunAsync("approvals", "approve", callId, "--resume");

        Assert.NotEqual(0, approve.ExitCode);
        Assert.Contains($"{Rein.Identity.LocalUser.Name} may not answer", approve.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_rein.Workspace, "x.txt")));
        Assert.Single((await _rein.RunAsync("approvals", "list", "--json")).JsonLines());
        Assert.Empty(OfType(await JournalAsync(SessionIdOf(run)), "approval_decided"));
    }

    [Fact]
    public async Task Chat_ApprovalAnsweredOnTheConversationInput_ForSessionRemembersTheRule()
    {
        _rein.Environment["REIN_MODE"] = "ask";
        var script = Script("""
            {"turns":[
              {"tool_calls":[{"name":"shell","arguments":{"command":"touch ./a.txt"}}]},
              {"tool_calls":[{"name":"shell","arguments":{"command":"touch ./b.txt"}}]},
              {"text":"both written"}]}
            """);

        var chat = await _rein.RunWithInputAsync("write two files\na\n/exit\n", "chat", "--model", $"scripted:{script}");

        Assert.True(chat.ExitCode == 0, chat.ToString());
        Assert.True(File.Exists(Path.Combine(_rein.Workspace, "a.txt")));
        Assert.True(File.Exists(Path.Combine(_rein.Workspace, "b.txt")), "the second call is allowed by the remembered rule, without asking");
        Assert.Contains("approval needed", chat.Stderr, StringComparison.Ordinal);
        Assert.Contains("    touch ./a.txt", chat.Stderr, StringComparison.Ordinal);
        var sessionId = Assert.Single((await _rein.RunAsync("sessions", "list", "--json")).JsonLines()).GetProperty("id").GetString()!;
        var events = await JournalAsync(sessionId);
        var decided = Assert.Single(OfType(events, "approval_decided"));
        Assert.Equal("approve_session", decided.GetProperty("decision").GetString());
        Assert.Equal("shell(touch*)", decided.GetProperty("session_rule").GetString());
        Assert.Equal(["ask", "allow"], OfType(events, "policy_decided").Select(p => p.GetProperty("decision").GetString()));
    }

    [Fact]
    public async Task Run_CostBudget_StopsBeforeTheModelCallThatWouldCrossIt()
    {
        // Scripted turns are free by default; price them so the budget has something to count.
        ProjectSettings("""{"prices": {"scripted:*": {"input": 200, "cached_input": 20, "output": 1}}}""");
        // Each call is estimated at about $0.23 (its context at $200 per million input tokens): the second call fits
        // under $2.60 after the first spent $2.10 (81%: a warning), the third would cross it after $2.50.
        var script = Script("""
            {"turns":[
              {"tool_calls":[{"name":"list_files","arguments":{}}],"usage":{"input_tokens":10500,"output_tokens":10}},
              {"tool_calls":[{"name":"list_files","arguments":{}}],"usage":{"input_tokens":2000,"output_tokens":10}},
              {"text":"never reached","usage":{"input_tokens":10,"output_tokens":10}}]}
            """);

        var result = await _rein.RunAsync("run", "--json", "--max-cost", "2.6", "--model", $"scripted:{script}", "look around");

        Assert.True(result.ExitCode == 4, result.ToString());
        var events = await JournalAsync(SessionIdOf(result));
        Assert.Equal(2, OfType(events, "model_called").Count());
        var warning = Assert.Single(OfType(events, "budget_warning"));
        Assert.Equal("cost", warning.GetProperty("budget").GetString());
        var exceeded = Assert.Single(OfType(events, "budget_exceeded"));
        Assert.Equal("cost", exceeded.GetProperty("budget").GetString());
        Assert.True(exceeded.GetProperty("used").GetDouble() > 2.6, "the refusal counts the estimate of the call it did not make");
        Assert.Equal("budget_exceeded", OfType(events, "session_ended").Last().GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Run_PreToolUseHookExitsTwo_BlocksTheCallWithTheHooksReason()
    {
        ProjectSettings("""
            {"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "echo 'no shell today' >&2; exit 2"}]}]}}
            """);
        var script = Script("""{"turns":[{"tool_calls":[{"name":"shell","arguments":{"command":"touch made.txt"}}]},{"text":"ok"}]}""");

        var result = await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "make a file");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.False(File.Exists(Path.Combine(_rein.Workspace, "made.txt")));
        var events = await JournalAsync(SessionIdOf(result));
        var hook = Assert.Single(OfType(events, "hook_ran"), h => h.GetProperty("hook_event").GetString() == "PreToolUse");
        Assert.Equal("deny", hook.GetProperty("outcome").GetString());
        Assert.Contains("no shell today", Assert.Single(OfType(events, "tool_completed")).GetProperty("result").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SandboxNone_WarnsAndJournalsIt()
    {
        var script = Script("""{"turns":[{"text":"nothing to do"}]}""");

        var result = await _rein.RunAsync("run", "--sandbox", "none", "--model", $"scripted:{script}", "hi");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("WITHOUT isolation", result.Stderr, StringComparison.Ordinal);
        var sessionId = Assert.Single((await _rein.RunAsync("sessions", "list", "--json")).JsonLines()).GetProperty("id").GetString()!;
        Assert.Single(OfType(await JournalAsync(sessionId), "sandbox_disabled"));
    }

    [Fact]
    public async Task Run_ShellCommand_RunsInTheSandboxWithoutTheHostsHome()
    {
        File.WriteAllText(Path.Combine(_rein.Home, "secret-in-home.txt"), "host secret");
        var script = Script("""{"turns":[{"tool_calls":[{"name":"shell","arguments":{"command":"cat \"$HOME/secret-in-home.txt\" > seen.txt 2>&1; echo done"}}]},{"text":"ok"}]}""");

        var result = await _rein.RunAsync("run", "--model", $"scripted:{script}", "look");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("host secret", File.ReadAllText(Path.Combine(_rein.Workspace, "seen.txt")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_BadPermissionRule_IsAUsageErrorNamingTheFile()
    {
        ProjectSettings("""{"permissions": {"deny": ["shell(rm"]}}""");
        var script = Script("""{"turns":[{"text":"x"}]}""");

        var result = await _rein.RunAsync("run", "--model", $"scripted:{script}", "hi");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("settings.json", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("shell(rm", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AgentProfile_ItsRulesAndBudgetsApplyAndTheSessionNamesIt()
    {
        File.WriteAllText(Path.Combine(_rein.Workspace, "keep.txt"), "precious");
        var agents = Path.Combine(_rein.Workspace, ".rein", "agents");
        Directory.CreateDirectory(agents);
        File.WriteAllText(Path.Combine(agents, "careful.md"), """
            ---
            name: careful
            permissions:
              deny: ["shell(rm *)"]
            budgets:
              session:
                max_tool_calls: 5
            ---
            You never delete files.
            """);
        var script = Script("""{"turns":[{"tool_calls":[{"name":"shell","arguments":{"command":"rm keep.txt"}}]},{"text":"ok"}]}""");

        var result = await _rein.RunAsync("run", "--json", "--agent", "careful", "--model", $"scripted:{script}", "clean up");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(Path.Combine(_rein.Workspace, "keep.txt")));
        var events = await JournalAsync(SessionIdOf(result));
        Assert.Equal("careful", events[0].GetProperty("agent").GetString());
        var decided = Assert.Single(OfType(events, "policy_decided"));
        Assert.Equal("deny", decided.GetProperty("decision").GetString());
        Assert.Equal("profile", decided.GetProperty("source").GetString());
    }

    [Fact]
    public async Task Run_AgentProfileWithBadFrontMatter_IsAUsageErrorNamingFileAndLine()
    {
        var agents = Path.Combine(_rein.Workspace, ".rein", "agents");
        Directory.CreateDirectory(agents);
        File.WriteAllText(Path.Combine(agents, "broken.md"), "---\nname: broken\nmodel: [1, 2]\n---\nbody\n");

        var result = await _rein.RunAsync("run", "--agent", "broken", "--model", "scripted:x.json", "hi");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("broken.md:3: field 'model'", result.Stderr, StringComparison.Ordinal);
    }
}
