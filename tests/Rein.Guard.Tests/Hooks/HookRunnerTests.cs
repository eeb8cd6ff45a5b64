using System.Text.Json;
using Rein.Guard.Hooks;
using Rein.Journal;
using Rein.Tools;

namespace Rein.Guard.Tests.Hooks;

public sealed class HookRunnerTests : IDisposable
{
    private readonly HookTestKit _kit = new();
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    public void Dispose() => _kit.Dispose();

    private string SaveStdin(string file = "stdin.json") => _kit.Script("save-" + file + ".sh", $"cat > {file}");

    private string Answer(string name, string stdout, int exitCode = 0) =>
        _kit.Script(name, $"cat > /dev/null\ncat <<'JSON'\n{stdout}\nJSON\nexit {exitCode}");

    [Fact]
    public async Task RunPreToolUseAsync_Payload_HasClaudeCodeFields()
    {
        var runner = _kit.Runner(HookTestKit.For(HookEventNames.PreToolUse, "Bash", SaveStdin(), _kit.Script("env.sh", "echo -n \"$CLAUDE_PROJECT_DIR\" > env.txt")), new HookRunnerOptions { PermissionMode = "ask" });

        var outcome = await runner.RunPreToolUseAsync(_kit.ShellCall("npm test"), _ct);

        using var stdin = JsonDocument.Parse(_kit.Read("stdin.json"));
        var root = stdin.RootElement;
        Assert.Equal("s1", root.GetProperty("session_id").GetString());
        Assert.Equal(_kit.Workspace, root.GetProperty("cwd").GetString());
        Assert.Equal("PreToolUse", root.GetProperty("hook_event_name").GetString());
        Assert.Equal("shell", root.GetProperty("tool_name").GetString());
        Assert.Equal("npm test", root.GetProperty("tool_input").GetProperty("command").GetString());
        Assert.Equal("call-1", root.GetProperty("tool_use_id").GetString());
        Assert.Equal("ask", root.GetProperty("permission_mode").GetString());
        Assert.Equal(_kit.Workspace, _kit.Read("env.txt"));
        Assert.Null(outcome.Decision);
        Assert.All(outcome.Events, e => Assert.Equal(("PreToolUse", "ok", "call-1"), (e.HookEvent, e.Outcome, e.CallId)));
        Assert.Equal(2, outcome.Events.Count);
    }

    [Fact]
    public async Task RunPostToolUseAsync_Payload_HasToolResponse()
    {
        var runner = _kit.Runner(HookTestKit.For(HookEventNames.PostToolUse, "", SaveStdin()));

        await runner.RunPostToolUseAsync(_kit.ShellCall(), ToolResult.Error("exit code 1"), _ct);

        using var stdin = JsonDocument.Parse(_kit.Read("stdin.json"));
        var response = stdin.RootElement.GetProperty("tool_response");
        Assert.Equal("exit code 1", response.GetProperty("content").GetString());
        Assert.True(response.GetProperty("is_error").GetBoolean());
        Assert.Equal("PostToolUse", stdin.RootElement.GetProperty("hook_event_name").GetString());
    }

    [Fact]
    public async Task NonToolEvents_Payload_HasEventFields()
    {
        var settings = HookTestKit.Settings($$"""
            {"UserPromptSubmit": [{"hooks": [{"type": "command", "command": "{{SaveStdin("prompt.json")}}"}]}],
             "Stop": [{"hooks": [{"type": "command", "command": "{{SaveStdin("stop.json")}}"}]}],
             "SessionStart": [{"matcher": "resume", "hooks": [{"type": "command", "command": "{{SaveStdin("start.json")}}"}]}],
             "PreCompact": [{"hooks": [{"type": "command", "command": "{{SaveStdin("compact.json")}}"}]}],
             "ApprovalRequested": [{"hooks": [{"type": "command", "command": "{{SaveStdin("approval.json")}}"}]}]}
            """);
        var runner = _kit.Runner(settings);

        await runner.RunUserPromptSubmitAsync("s1", _kit.Workspace, "fix the bug", _ct);
        await runner.RunStopAsync("s1", _kit.Workspace, StopReason.Completed, cancellationToken: _ct);
        await runner.RunSessionStartAsync("s1", _kit.Workspace, "resume", _ct);
        await runner.RunPreCompactAsync("s1", _kit.Workspace, "manual", _ct);
        await runner.RunApprovalRequestedAsync(_kit.ShellCall("rm -rf build"), "shell(rm *) needs approval", _ct);

        string Field(string file, string name) => JsonDocument.Parse(_kit.Read(file)).RootElement.GetProperty(name).ToString();
        Assert.Equal("fix the bug", Field("prompt.json", "prompt"));
        Assert.Equal(StopReason.Completed, Field("stop.json", "stop_reason"));
        Assert.Equal("False", Field("stop.json", "stop_hook_active"));
        Assert.Equal("resume", Field("start.json", "source"));
        Assert.Equal("manual", Field("compact.json", "trigger"));
        Assert.Equal("shell(rm *) needs approval", Field("approval.json", "reason"));
        Assert.Equal("rm -rf build", JsonDocument.Parse(_kit.Read("approval.json")).RootElement.GetProperty("tool_input").GetProperty("command").GetString());
    }

    [Fact]
    public async Task RunSessionStartAsync_MatcherOverSource_SkipsOtherSources()
    {
        var runner = _kit.Runner(HookTestKit.For(HookEventNames.SessionStart, "resume", SaveStdin()));

        var outcome = await runner.RunSessionStartAsync("s1", _kit.Workspace, "startup", _ct);

        Assert.Empty(outcome.Events);
        Assert.False(_kit.Exists("stdin.json"));
    }

    [Fact]
    public async Task RunPreToolUseAsync_MatcherDoesNotMatch_RunsNothing()
    {
        var runner = _kit.Runner(HookTestKit.For(HookEventNames.PreToolUse, "Write|Edit", SaveStdin()));

        var outcome = await runner.RunPreToolUseAsync(_kit.ShellCall(), _ct);

        Assert.Empty(outcome.Events);
        Assert.False(_kit.Exists("stdin.json"));
    }

    [Fact]
    public async Task RunPreToolUseAsync_Exit2_BlocksWithOutputAsReason()
    {
        var hook = _kit.Script("deny.sh", "echo 'rm is not allowed here' >&2\nexit 2");
        var runner = _kit.Runner(HookTestKit.For(HookEventNames.PreToolUse, "Bash", hook));

        var outcome = await runner.RunPreToolUseAsync(_kit.ShellCall("rm -rf /"), _ct);

        Assert.True(outcome.Blocked);
        Assert.Equal("rm is not allowed here", outcome.Reason);
        var ran = Assert.Single(outcome.Events);
        Assert.Equal(new HookRan("PreToolUse", hook, "deny", "rm is not allowed here", "call-1", ran.DurationMs), ran);
    }

    [Theory]
    [InlineData("deny", "deny")]
    [InlineData("ask", "ask")]
    [InlineData("allow", "allow")]
    public async Task RunPreToolUseAsync_PermissionDecisionJson_IsTheDecision(string answer, string expected)
    {
        var hook = Answer("decide.sh", $$$"""{"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "{{{answer}}}", "permissionDecisionReason": "because {{{answer}}}"}}""");
        var runner = _kit.Runner(HookTestKit.For(HookEventNames.PreToolUse, "*", hook));

        var outcome = await runner.RunPreToolUseAsync(_kit.ShellCall(), _ct);

        Assert.Equal(expected, outcome.Decision);
        Assert.Equal("because " + answer, outcome.Reason);
        Assert.Equal(expected, Assert.Single(outcome.Events).Outcome);
    }

    [Fact]
    public async Task RunPreToolUseAsync_DecisionBlockJson_Denies()
    {
        var hook = Answer("block.sh", """{"decision": "block", "reason": "use the test runner instead"}""");
        var runner = _kit.Runner(HookTestKit.For(HookEventNames.PreToolUse, "*", hook));

        var outcome = await runner.RunPreToolUseAsync(_kit.ShellCall(), _ct);

        Assert.True(outcome.Blocked);
        Assert.Equal("use the test runner instead", outcome.Reason);
    }

    [Fact]
    public async Task RunPreToolUseAsync_SeveralHooks_DenyBeatsAskBeatsAllow()
    {
        var allow = Answer("allow.sh", """{"hookSpecificOutput": {"permissionDecision": "allow", "permissionDecisionReason": "fine"}}""");
        var ask = Answer("ask.sh", """{"hookSpecificOutput": {"permissionDecision": "ask", "permissionDecisionReason": "check with a person"}}""");
        var deny = _kit.Script("deny.sh", "echo 'never' >&2\nexit 2");
        var withDeny = _kit.Runner(HookTestKit.For(HookEventNames.PreToolUse, "*", allow, deny, ask));
        var withoutDeny = _kit.Runner(HookTestKit.For(HookEventNames.PreToolUse, "*", allow, ask, allow));

        var denied = await withDeny.RunPreToolUseAsync(_kit.ShellCall(), _ct);
        var asked = await withoutDeny.RunPreToolUseAsync(_kit.ShellCall(), _ct);

        Assert.Equal(("deny", "never"), (denied.Decision, denied.Reason));
        Assert.Equal(["allow", "deny", "ask"], denied.Events.Select(e => e.Outcome));
        Assert.Equal(("ask", "check with a person"), (asked.Decision, asked.Reason));
    }

    [Fact]
    public async Task RunPreToolUseAsync_UpdatedInput_RewritesAndLaterHooksSeeIt()
    {
        var rewrite = Answer("rewrite.sh", """{"hookSpecificOutput": {"hookEventName": "PreToolUse", "updatedInput": {"command": "npm test -- --ci"}}}""");
        var runner = _kit.Runner(HookTestKit.For(HookEventNames.PreToolUse, "Bash", rewrite, SaveStdin()));

        var outcome = await runner.RunPreToolUseAsync(_kit.ShellCall("npm test"), _ct);

        Assert.Equal("npm test -- --ci", outcome.UpdatedInput!.Value.GetProperty("command").GetString());
        Assert.Null(outcome.Decision);
        Assert.Equal(["rewrite", "ok"], outcome.Events.Select(e => e.Outcome));
        using var seen = JsonDocument.Parse(_kit.Read("stdin.json"));
        Assert.Equal("npm test -- --ci", seen.RootElement.GetProperty("tool_input").GetProperty("command").GetString());
    }

    [Fact]
    public async Task RunPreToolUseAsync_UpdatedInputAgainstSchema_InvalidIsRejectedAndDenies()
    {
        var rewrite = Answer("rewrite.sh", """{"hookSpecificOutput": {"updatedInput": {"command": 5}}}""");
        var runner = _kit.Runner(HookTestKit.For(HookEventNames.PreToolUse, "*", rewrite));
        var call = _kit.ShellCall() with
        {
            InputSchema = HookTestKit.Json("""{"type":"object","properties":{"command":{"type":"string"}},"required":["command"],"additionalProperties":false}"""),
        };

        var outcome = await runner.RunPreToolUseAsync(call, _ct);

        Assert.True(outcome.Blocked);
        Assert.Null(outcome.UpdatedInput);
        Assert.Contains("rewrote the arguments of 'shell' into invalid ones", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal("error", Assert.Single(outcome.Events).Outcome);
    }

    [Fact]
    public async Task RunPostToolUseAsync_UpdatedOutputAndContext_AreReturned()
    {
        var replace = Answer("replace.sh", """{"hookSpecificOutput": {"hookEventName": "PostToolUse", "updatedToolOutput": "[redacted]"}}""");
        var context = Answer("context.sh", """{"hookSpecificOutput": {"hookEventName": "PostToolUse", "additionalContext": "lint: 2 warnings"}}""");
        var runner = _kit.Runner(HookTestKit.For(HookEventNames.PostToolUse, "Bash", replace, SaveStdin(), context));

        var outcome = await runner.RunPostToolUseAsync(_kit.ShellCall(), ToolResult.Ok("password=hunter2"), _ct);

        Assert.Equal("[redacted]", outcome.UpdatedOutput);
        Assert.Equal("lint: 2 warnings", outcome.AdditionalContext);
        Assert.False(outcome.Blocked);
        using var seen = JsonDocument.Parse(_kit.Read("stdin.json"));
        Assert.Equal("[redacted]", seen.RootElement.GetProperty("tool_response").GetProperty("content").GetString());
    }

    [Fact]
    public async Task RunPreToolUseAsync_Timeout_JournaledAsTimeoutAndNotBlocking()
    {
        var settings = HookTestKit.Settings($$$"""{"PreToolUse": [{"hooks": [{"type": "command", "command": "{{{_kit.Script("slow.sh", "sleep 30")}}}", "timeout": 1}]}]}""");
        var runner = _kit.Runner(settings);

        var outcome = await runner.RunPreToolUseAsync(_kit.ShellCall(), _ct);

        Assert.Null(outcome.Decision);
        var ran = Assert.Single(outcome.Events);
        Assert.Equal("timeout", ran.Outcome);
        Assert.Contains("timed out after 1 s", ran.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("echo broken >&2\nexit 1", "exited with code 1: broken")]
    [InlineData("exit 3", "exited with code 3")]
    [InlineData("echo '{\"decision\": \"maybe\"}'", "\"decision\" must be \"block\" or \"approve\"")]
    [InlineData("echo '{\"hookSpecificOutput\": {\"hookEventName\": \"PostToolUse\"}}'", "hookEventName is \"PostToolUse\" but the event is PreToolUse")]
    public async Task RunPreToolUseAsync_FailingHook_IsNonBlockingError(string body, string reason)
    {
        var runner = _kit.Runner(HookTestKit.For(HookEventNames.PreToolUse, "*", _kit.Script("fail.sh", body)));

        var outcome = await runner.RunPreToolUseAsync(_kit.ShellCall(), _ct);

        Assert.Null(outcome.Decision);
        var ran = Assert.Single(outcome.Events);
        Assert.Equal("error", ran.Outcome);
        Assert.Contains(reason, ran.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunPreToolUseAsync_MissingScript_IsNonBlockingError()
    {
        var runner = _kit.Runner(HookTestKit.For(HookEventNames.PreToolUse, "*", "./does-not-exist.sh"));

        var outcome = await runner.RunPreToolUseAsync(_kit.ShellCall(), _ct);

        Assert.False(outcome.Blocked);
        Assert.Equal("error", Assert.Single(outcome.Events).Outcome);
    }

    [Fact]
    public async Task RunPreToolUseAsync_DiagnosticsBeforeJson_ReadsLastLine()
    {
        var hook = _kit.Script("noisy.sh", "echo 'checking...' >&2\necho '{\"decision\": \"block\", \"reason\": \"no\"}'");
        var runner = _kit.Runner(HookTestKit.For(HookEventNames.PreToolUse, "*", hook));

        var outcome = await runner.RunPreToolUseAsync(_kit.ShellCall(), _ct);

        Assert.Equal(("deny", "no"), (outcome.Decision, outcome.Reason));
    }

    [Fact]
    public async Task RunUserPromptSubmitAsync_PlainOutput_IsContext_BlockRejects()
    {
        var context = _kit.Runner(HookTestKit.For(HookEventNames.UserPromptSubmit, "", _kit.Script("ctx.sh", "echo 'branch: main'")));
        var block = _kit.Runner(HookTestKit.For(HookEventNames.UserPromptSubmit, "", Answer("block.sh", """{"decision": "block", "reason": "prompt contains a secret"}""")));

        var added = await context.RunUserPromptSubmitAsync("s1", _kit.Workspace, "hi", _ct);
        var rejected = await block.RunUserPromptSubmitAsync("s1", _kit.Workspace, "my key is sk-123", _ct);

        Assert.Equal("branch: main", added.AdditionalContext);
        Assert.False(added.Blocked);
        Assert.True(rejected.Blocked);
        Assert.Equal("prompt contains a secret", rejected.Reason);
    }

    [Fact]
    public async Task RunSessionStartAsync_Exit2_CannotBlock()
    {
        var runner = _kit.Runner(HookTestKit.For(HookEventNames.SessionStart, "", _kit.Script("start.sh", "echo nope >&2\nexit 2")));

        var outcome = await runner.RunSessionStartAsync("s1", _kit.Workspace, cancellationToken: _ct);

        Assert.False(outcome.Blocked);
        Assert.Equal("error", Assert.Single(outcome.Events).Outcome);
    }

    [Fact]
    public async Task RunStopAsync_Block_AsksToContinue_ContinueFalseStops()
    {
        var block = _kit.Runner(HookTestKit.For(HookEventNames.Stop, "", Answer("stop.sh", """{"decision": "block", "reason": "tests still fail; fix them"}""")));
        var halt = _kit.Runner(HookTestKit.For(HookEventNames.Stop, "", Answer("halt.sh", """{"continue": false, "stopReason": "quota reached"}""")));

        var keepGoing = await block.RunStopAsync("s1", _kit.Workspace, StopReason.Completed, cancellationToken: _ct);
        var stopped = await halt.RunStopAsync("s1", _kit.Workspace, StopReason.Completed, cancellationToken: _ct);

        Assert.True(keepGoing.Blocked);
        Assert.Equal("tests still fail; fix them", keepGoing.Reason);
        Assert.False(stopped.Continue);
        Assert.Equal("quota reached", stopped.StopReason);
    }

    [Fact]
    public async Task RunPreToolUseAsync_ContinueFalse_Denies()
    {
        var runner = _kit.Runner(HookTestKit.For(HookEventNames.PreToolUse, "*", Answer("halt.sh", """{"continue": false, "stopReason": "maintenance window"}""")));

        var outcome = await runner.RunPreToolUseAsync(_kit.ShellCall(), _ct);

        Assert.True(outcome.Blocked);
        Assert.False(outcome.Continue);
        Assert.Equal("maintenance window", outcome.Reason);
    }

    [Fact]
    public async Task RunApprovalRequestedAsync_PermissionDecision_AnswersTheRequest()
    {
        var runner = _kit.Runner(HookTestKit.For(HookEventNames.ApprovalRequested, "Bash", Answer("ok.sh", """{"hookSpecificOutput": {"hookEventName": "ApprovalRequested", "permissionDecision": "allow", "permissionDecisionReason": "CI account"}}""")));

        var outcome = await runner.RunApprovalRequestedAsync(_kit.ShellCall(), "needs approval", _ct);

        Assert.Equal(("allow", "CI account"), (outcome.Decision, outcome.Reason));
    }
}
