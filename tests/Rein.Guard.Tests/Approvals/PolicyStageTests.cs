using Rein.Engine;
using Rein.Guard.Approvals;
using Rein.Guard.Hooks;
using Rein.Guard.Policy;
using Rein.Journal;
using Rein.Models;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Guard.Tests.Approvals;

public sealed class PolicyStageTests : IDisposable
{
    private readonly TempDirectory _workspace = new("rein-policy-stage");
    private readonly InMemorySessionStore _store = new();
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    public void Dispose() => _workspace.Dispose();

    private sealed class ScriptedChannel(params ApprovalAnswer?[] answers) : IApprovalChannel
    {
        private int _next;

        public List<ApprovalRequested> Asked { get; } = [];

        public ValueTask<ApprovalAnswer?> AskAsync(ApprovalRequested request, CancellationToken cancellationToken = default)
        {
            Asked.Add(request);
            return ValueTask.FromResult(_next < answers.Length ? answers[_next++] : null);
        }
    }

    private sealed class SilentChannel : IApprovalChannel
    {
        public async ValueTask<ApprovalAnswer?> AskAsync(ApprovalRequested request, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return null;
        }
    }

    private async Task<(RunStopped Stopped, List<SessionEvent> Events)> RunAsync(
        string script, IApprovalChannel? channel, ApprovalOptions? options = null, string mode = PermissionModes.Ask, Action<ToolCallPipelineBuilder>? before = null,
        SessionApprovals? journaled = null)
    {
        var policy = new PolicyEngine(new PolicyOptions { Workspace = _workspace.Path, Mode = mode });
        var loop = new AgentLoop(
            new ScriptedChatClient(ScriptedTurn.ParseScript(script)),
            new ToolSet([new WriteFileTool()]),
            new AppendOnlyContextBuilder("test"),
            configurePipeline: pipeline =>
            {
                before?.Invoke(pipeline);
                pipeline.UsePolicy(policy, channel, options ?? new ApprovalOptions { Principal = "alice" });
            });
        using var session = await SessionWriter.StartAsync(_store, new SessionStarted("s1", _workspace.Path, "scripted:test", Principal: "alice", Approvals: journaled), _ct);
        RunStopped? stopped = null;
        await foreach (var update in loop.RunAsync(session, "go", _ct))
        {
            stopped = update as RunStopped ?? stopped;
        }

        return (stopped!, [.. (await _store.ReadAsync("s1", 0, _ct)).Select(e => e.Event)]);
    }

    private const string TwoWrites = """
        {"turns":[
          {"tool_calls":[{"name":"write_file","arguments":{"path":"src/a.txt","content":"a"}}]},
          {"tool_calls":[{"name":"write_file","arguments":{"path":"src/b.txt","content":"b"}}]},
          {"text":"done"}]}
        """;

    [Fact]
    public async Task UsePolicy_ApproveForSession_RemembersTheSuggestedRuleAndDoesNotAskAgain()
    {
        var channel = new ScriptedChannel(new ApprovalAnswer(ApprovalDecisions.ApproveSession, "alice"));

        var (stopped, events) = await RunAsync(TwoWrites, channel);

        Assert.Equal(StopReason.Completed, stopped.Reason);
        Assert.Single(channel.Asked);
        Assert.True(File.Exists(_workspace.Combine("src", "b.txt")));
        var decided = Assert.Single(events.OfType<ApprovalDecided>());
        Assert.Equal("write_file(src/**)", decided.SessionRule);
        var decisions = events.OfType<PolicyDecided>().ToList();
        Assert.Equal([PolicyDecisions.Ask, PolicyDecisions.Allow], decisions.Select(d => d.Decision));
        Assert.Equal(PolicySources.Session, decisions[1].Source);
    }

    [Fact]
    public async Task UsePolicy_NoChannel_CallWaitsAndTheSessionSuspends()
    {
        var (stopped, events) = await RunAsync(TwoWrites, channel: null);

        Assert.Equal(StopReason.AwaitingApproval, stopped.Reason);
        Assert.False(File.Exists(_workspace.Combine("src", "a.txt")));
        var request = Assert.Single(events.OfType<ApprovalRequested>());
        Assert.Equal("write_file(src/**)", request.SuggestedRule);
        Assert.NotNull(request.ExpiresAt);
        Assert.Empty(events.OfType<ToolCompleted>());
        Assert.Equal(StopReason.AwaitingApproval, Assert.IsType<SessionSuspended>(events[^1]).Reason);
    }

    [Fact]
    public async Task UsePolicy_NobodyAnswersBeforeTheTimeout_CountsAsDenied()
    {
        var options = new ApprovalOptions { Principal = "alice", Timeout = TimeSpan.FromMilliseconds(50) };

        var (_, events) = await RunAsync("""{"turns":[{"tool_calls":[{"name":"write_file","arguments":{"path":"a.txt","content":"a"}}]},{"text":"ok"}]}""", new SilentChannel(), options);

        Assert.Equal(ApprovalDecisions.Timeout, Assert.Single(events.OfType<ApprovalDecided>()).Decision);
        Assert.Contains("timed out", Assert.Single(events.OfType<ToolCompleted>()).Result, StringComparison.Ordinal);
        Assert.False(File.Exists(_workspace.Combine("a.txt")));
    }

    [Fact]
    public async Task UsePolicy_AnswerFromSomeoneWhoMayNotApprove_IsADenial()
    {
        var options = new ApprovalOptions { Principal = "alice" };
        options.Approvers.Add("bob");
        var channel = new ScriptedChannel(new ApprovalAnswer(ApprovalDecisions.ApproveOnce, "mallory"));

        var (_, events) = await RunAsync("""{"turns":[{"tool_calls":[{"name":"write_file","arguments":{"path":"a.txt","content":"a"}}]},{"text":"ok"}]}""", channel, options);

        var decided = Assert.Single(events.OfType<ApprovalDecided>());
        Assert.Equal(ApprovalDecisions.Deny, decided.Decision);
        Assert.Contains("may not approve", decided.Reason, StringComparison.Ordinal);
        Assert.False(File.Exists(_workspace.Combine("a.txt")));
    }

    [Fact]
    public async Task UsePolicy_DenialReason_IsSentToTheModel()
    {
        var channel = new ScriptedChannel(new ApprovalAnswer(ApprovalDecisions.Deny, "alice", "write to docs/ instead"));

        var (_, events) = await RunAsync("""{"turns":[{"tool_calls":[{"name":"write_file","arguments":{"path":"a.txt","content":"a"}}]},{"text":"ok"}]}""", channel);

        var completed = Assert.Single(events.OfType<ToolCompleted>());
        Assert.Equal(ToolOutcome.Error, completed.Outcome);
        Assert.Contains("write to docs/ instead", completed.Result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UsePolicy_HookAllow_TurnsAnAskIntoAllowWithoutAsking()
    {
        var channel = new ScriptedChannel();

        var (stopped, events) = await RunAsync(
            """{"turns":[{"tool_calls":[{"name":"write_file","arguments":{"path":"a.txt","content":"a"}}]},{"text":"ok"}]}""",
            channel,
            before: pipeline => pipeline.Use(next => (call, ct) =>
            {
                call.Properties[HookStages.AllowProperty] = "reviewed by the team's hook";
                return next(call, ct);
            }));

        Assert.Equal(StopReason.Completed, stopped.Reason);
        Assert.Empty(channel.Asked);
        Assert.Contains("reviewed by the team's hook", Assert.Single(events.OfType<PolicyDecided>()).Reason, StringComparison.Ordinal);
        Assert.True(File.Exists(_workspace.Combine("a.txt")));
    }

    [Fact]
    public async Task UsePolicy_ReadOnlyMode_DeniesWritesWithTheReason()
    {
        var (_, events) = await RunAsync("""{"turns":[{"tool_calls":[{"name":"write_file","arguments":{"path":"a.txt","content":"a"}}]},{"text":"ok"}]}""", new ScriptedChannel(), mode: PermissionModes.ReadOnly);

        Assert.Equal(PolicyDecisions.Deny, Assert.Single(events.OfType<PolicyDecided>()).Decision);
        Assert.Empty(events.OfType<ApprovalRequested>());
        Assert.False(File.Exists(_workspace.Combine("a.txt")));
    }

    [Theory]
    [InlineData("y", ApprovalDecisions.ApproveOnce, null)]
    [InlineData("yes", ApprovalDecisions.ApproveOnce, null)]
    [InlineData("a", ApprovalDecisions.ApproveSession, null)]
    [InlineData("n", ApprovalDecisions.Deny, null)]
    [InlineData("n  not now please ", ApprovalDecisions.Deny, "not now please")]
    public void TerminalParse_Answers(string line, string decision, string? reason)
    {
        var answer = TerminalApprovalChannel.Parse(line, "alice");

        Assert.NotNull(answer);
        Assert.Equal(decision, answer.Decision);
        Assert.Equal(reason, answer.Reason);
        Assert.Equal("alice", answer.By);
    }

    [Theory]
    [InlineData("")]
    [InlineData("maybe")]
    [InlineData("/exit")]
    public void TerminalParse_NotAnAnswer_IsNull(string line) => Assert.Null(TerminalApprovalChannel.Parse(line, "alice"));

    [Fact]
    public async Task UsePolicy_SessionJournaledItsApprovers_TheyWinOverTheSettingsItResumesUnder()
    {
        // The settings where the session is picked up name nobody: on their own they would let "mallory" (the one answering) approve.
        var here = new ApprovalOptions { Principal = "mallory", Timeout = TimeSpan.FromDays(7) };
        var channel = new ScriptedChannel(new ApprovalAnswer(ApprovalDecisions.ApproveOnce, "mallory"));

        var (_, events) = await RunAsync(
            """{"turns":[{"tool_calls":[{"name":"write_file","arguments":{"path":"a.txt","content":"a"}}]},{"text":"ok"}]}""",
            channel,
            here,
            journaled: new SessionApprovals(["alice"], 3600));

        var decided = Assert.Single(events.OfType<ApprovalDecided>());
        Assert.Equal(ApprovalDecisions.Deny, decided.Decision);
        Assert.Contains("mallory may not approve", decided.Reason, StringComparison.Ordinal);
        Assert.False(File.Exists(_workspace.Combine("a.txt")));
        var requested = Assert.Single(events.OfType<ApprovalRequested>());
        Assert.True(requested.ExpiresAt - DateTimeOffset.UtcNow <= TimeSpan.FromHours(1), "the journaled timeout, not the resuming settings', sets the expiry");
    }

    [Fact]
    public void ApprovalOptions_ToJournal_NoApproversNamed_RecordsTheStartingPrincipal()
    {
        var options = new ApprovalOptions { Principal = "alice", Timeout = TimeSpan.FromMinutes(90) };

        var journaled = options.ToJournal();

        Assert.Equal(["alice"], journaled.Approvers);
        Assert.Equal(5400, journaled.TimeoutSeconds);
    }

    [Fact]
    public async Task TerminalChannel_EndOfInput_NobodyCanAnswer()
    {
        using var channel = new TerminalApprovalChannel(_ => ValueTask.FromResult<string?>(null), TextWriter.Null, "alice");

        Assert.Null(await channel.AskAsync(new ApprovalRequested("c1", "shell", null, "why"), _ct));
    }

    [Fact]
    public async Task Inbox_ListsAndAnswersWaitingCalls_UnknownOrExpiredAreHandled()
    {
        await RunAsync(TwoWrites, channel: null);
        var inbox = new ApprovalInbox(_store);
        var pending = Assert.Single(await inbox.ListAsync(_ct));
        Assert.Equal("s1", pending.SessionId);
        Assert.False(pending.Expired);

        await Assert.ThrowsAsync<ApprovalException>(async () =>
            await inbox.AnswerAsync("nope", new ApprovalAnswer(ApprovalDecisions.ApproveOnce, "alice"), new ApprovalOptions { Principal = "alice" }, _ct));
        await Assert.ThrowsAsync<ApprovalException>(async () =>
            await inbox.AnswerAsync(pending.Request.CallId, new ApprovalAnswer(ApprovalDecisions.ApproveOnce, "eve"), new ApprovalOptions { Principal = "alice" }, _ct));

        var (_, decided) = await inbox.AnswerAsync(pending.Request.CallId[..4], new ApprovalAnswer(ApprovalDecisions.ApproveOnce, "alice"), new ApprovalOptions { Principal = "alice" }, _ct);

        Assert.Equal(ApprovalDecisions.ApproveOnce, decided.Decision);
        Assert.Empty(await inbox.ListAsync(_ct));
    }

    [Fact]
    public async Task Inbox_SessionJournaledItsApprovers_AnswerJudgedByThemNotByTheAnsweringFolder()
    {
        await RunAsync(TwoWrites, channel: null, journaled: new SessionApprovals(["alice"], 3600));
        var inbox = new ApprovalInbox(_store);
        var callId = Assert.Single(await inbox.ListAsync(_ct)).Request.CallId;
        // Another folder's settings name no approvers, so on their own they would let the one answering approve.
        var elsewhere = new ApprovalOptions { Principal = "root" };

        var refused = await Assert.ThrowsAsync<ApprovalException>(async () =>
            await inbox.AnswerAsync(callId, new ApprovalAnswer(ApprovalDecisions.ApproveOnce, "root"), elsewhere, _ct));

        Assert.Contains("approvers: alice", refused.Message, StringComparison.Ordinal);
        Assert.Single(await inbox.ListAsync(_ct));
        Assert.Empty((await _store.ReadAsync("s1", 0, _ct)).Select(e => e.Event).OfType<ApprovalDecided>());

        var (_, decided) = await inbox.AnswerAsync(callId, new ApprovalAnswer(ApprovalDecisions.ApproveOnce, "alice"), elsewhere, _ct);

        Assert.Equal("alice", decided.By);
    }
}
