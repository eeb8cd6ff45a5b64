using Rein.Engine;
using Rein.Guard.Hooks;
using Rein.Journal;
using Rein.Models;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Guard.Tests.Hooks;

public sealed class HookStagesTests : IDisposable
{
    private readonly HookTestKit _kit = new();
    private readonly InMemorySessionStore _store = new();
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    public void Dispose() => _kit.Dispose();

    private const string WriteNotes = """{"turns":[{"tool_calls":[{"name":"write_file","arguments":{"path":"notes.txt","content":"hello"}}]},{"text":"done"}]}""";

    private async Task<List<SessionEvent>> RunAsync(HookSettings settings, string script = WriteNotes, Action<ToolCallPipelineBuilder>? more = null)
    {
        var runner = _kit.Runner(settings);
        var loop = new AgentLoop(
            new ScriptedChatClient(ScriptedTurn.ParseScript(script)),
            new ToolSet([new WriteFileTool()]),
            new AppendOnlyContextBuilder("You are a test agent."),
            configurePipeline: pipeline =>
            {
                pipeline.UsePreToolUseHooks(runner);
                more?.Invoke(pipeline);
                pipeline.UsePostToolUseHooks(runner);
            });
        using var session = await SessionWriter.StartAsync(_store, new SessionStarted("s1", _kit.Workspace, "scripted:test"), _ct);
        await foreach (var _ in loop.RunAsync(session, "write the notes", _ct))
        {
        }

        return [.. (await _store.ReadAsync("s1", 0, _ct)).Select(e => e.Event)];
    }

    [Fact]
    public async Task UsePreToolUseHooks_Exit2_ToolNeverRunsAndJournalHasHookRanAndError()
    {
        var hook = _kit.Script("guard.sh", "echo 'notes are read-only' >&2\nexit 2");
        var post = _kit.Script("post.sh", "touch post-ran");
        var settings = HookSettings.Merge(HookTestKit.For(HookEventNames.PreToolUse, "Write", hook), HookTestKit.For(HookEventNames.PostToolUse, "*", post));

        var journal = await RunAsync(settings);

        Assert.False(_kit.Exists("notes.txt"));
        Assert.False(_kit.Exists("post-ran"));
        Assert.Equal(
            ["session_started", "user_message", "model_called", "tool_call_proposed", "hook_ran", "tool_completed", "model_called", "session_ended"],
            journal.Select(e => e.TypeName));
        var ran = journal.OfType<HookRan>().Single();
        Assert.Equal(("PreToolUse", hook, "deny", "notes are read-only"), (ran.HookEvent, ran.Command, ran.Outcome, ran.Reason));
        var completed = journal.OfType<ToolCompleted>().Single();
        Assert.Equal(ToolOutcome.Error, completed.Outcome);
        Assert.Equal("notes are read-only", completed.Result);
        Assert.Equal(completed.CallId, ran.CallId);
    }

    [Fact]
    public async Task UsePreToolUseHooks_UpdatedInput_ToolRunsWithRewrittenArguments()
    {
        var hook = _kit.Script("rewrite.sh", """cat > /dev/null; echo '{"hookSpecificOutput": {"hookEventName": "PreToolUse", "updatedInput": {"path": "notes.txt", "content": "rewritten"}}}'""");

        var journal = await RunAsync(HookTestKit.For(HookEventNames.PreToolUse, "Write", hook));

        Assert.Equal("rewritten", _kit.Read("notes.txt"));
        Assert.Equal("rewrite", journal.OfType<HookRan>().Single().Outcome);
        Assert.Equal(ToolOutcome.Success, journal.OfType<ToolCompleted>().Single().Outcome);
    }

    [Fact]
    public async Task UsePreToolUseHooks_InvalidRewrite_IsRejectedAndToolNeverRuns()
    {
        var hook = _kit.Script("rewrite.sh", """cat > /dev/null; echo '{"hookSpecificOutput": {"updatedInput": {"path": "notes.txt", "text": "wrong field"}}}'""");

        var journal = await RunAsync(HookTestKit.For(HookEventNames.PreToolUse, "*", hook));

        Assert.False(_kit.Exists("notes.txt"));
        Assert.DoesNotContain(journal, e => e is ToolStarted);
        Assert.Equal("error", journal.OfType<HookRan>().Single().Outcome);
        var completed = journal.OfType<ToolCompleted>().Single();
        Assert.Equal(ToolOutcome.Error, completed.Outcome);
        Assert.Contains("invalid ones", completed.Result, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("allow", HookStages.AllowProperty)]
    [InlineData("ask", HookStages.AskProperty)]
    public async Task UsePreToolUseHooks_AllowOrAsk_LeavesVerdictForPolicyStage(string decision, string key)
    {
        var hook = _kit.Script("decide.sh", $$$"""cat > /dev/null; echo '{"hookSpecificOutput": {"permissionDecision": "{{{decision}}}", "permissionDecisionReason": "hook says {{{decision}}}"}}'""");
        var seen = new Dictionary<string, object?>();

        await RunAsync(HookTestKit.For(HookEventNames.PreToolUse, "*", hook), more: pipeline => pipeline.Use(next => (call, ct) =>
        {
            foreach (var (k, v) in call.Properties)
            {
                seen[k] = v;
            }

            return next(call, ct);
        }));

        Assert.Equal("hook says " + decision, seen[key]);
        Assert.Equal("hello", _kit.Read("notes.txt"));
    }

    [Fact]
    public async Task UsePreToolUseHooks_Timeout_JournaledAndCallProceeds()
    {
        var settings = HookTestKit.Settings($$$"""{"PreToolUse": [{"matcher": "Write", "hooks": [{"type": "command", "command": "{{{_kit.Script("slow.sh", "sleep 30")}}}", "timeout": 1}]}]}""");

        var journal = await RunAsync(settings);

        Assert.Equal("hello", _kit.Read("notes.txt"));
        Assert.Equal("timeout", journal.OfType<HookRan>().Single().Outcome);
        Assert.Equal(ToolOutcome.Success, journal.OfType<ToolCompleted>().Single().Outcome);
    }

    [Fact]
    public async Task UsePostToolUseHooks_UpdatedOutputAndContext_ChangeTheObservation()
    {
        var replace = _kit.Script("replace.sh", """cat > /dev/null; echo '{"hookSpecificOutput": {"hookEventName": "PostToolUse", "updatedToolOutput": "wrote it"}}'""");
        var context = _kit.Script("context.sh", """cat > /dev/null; echo '{"hookSpecificOutput": {"additionalContext": "formatter: ok"}}'""");
        var block = _kit.Script("block.sh", "echo 'remember to add a test' >&2\nexit 2");

        var journal = await RunAsync(HookTestKit.For(HookEventNames.PostToolUse, "Edit|Write", replace, context, block));

        Assert.Equal("hello", _kit.Read("notes.txt"));
        var completed = journal.OfType<ToolCompleted>().Single();
        Assert.Equal(ToolOutcome.Success, completed.Outcome);
        Assert.Equal("wrote it\n\n[hook] remember to add a test\n\n[hook] formatter: ok", completed.Result);
        Assert.Equal(["rewrite", "ok", "deny"], journal.OfType<HookRan>().Select(e => e.Outcome));
        var types = journal.Select(e => e.TypeName).ToList();
        Assert.True(types.IndexOf("tool_started") < types.IndexOf("hook_ran"), "PostToolUse hooks run after the tool");
    }
}
