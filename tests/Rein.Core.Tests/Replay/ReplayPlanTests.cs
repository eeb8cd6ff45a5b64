using Rein.Journal;
using Rein.Replay;

namespace Rein.Core.Tests.Replay;

public sealed class ReplayPlanTests
{
    private static ModelCalled Step(int n) => new(n, "m", null, [new ModelToolCall($"c{n}", "shell", null)], "tool_calls", TokenUsage.Zero, 1);

    [Fact]
    public void From_ChatWithResumesAndApprovals_SplitsRunsAndKnowsWhichAnswersWereInline()
    {
        SessionEvent[] events =
        [
            new SessionStarted("s1", "/ws", "scripted:t.json", "coder"),
            new UserMessage("first"),
            Step(1),
            new PolicyDecided("c1", "shell", PolicyDecisions.Ask, "asks", null, null, "ask"),
            new ApprovalRequested("c1", "shell", null, "asks"),
            new ApprovalDecided("c1", ApprovalDecisions.ApproveOnce, "alice"),
            new SessionEnded(StopReason.Completed),
            new UserMessage("second"),
            Step(2),
            new ApprovalRequested("c2", "shell", null, "asks"),
            new SessionSuspended(StopReason.AwaitingApproval),
            new ApprovalDecided("c2", ApprovalDecisions.Deny, "bob", "no"),
            new SessionResumed(),
            new SessionEnded(StopReason.Completed),
            new SessionResumed(1),
            new UserMessage("third, after a crash"),
            new SubAgentStarted("c3", "child", "explorer", "look"),
        ];

        var plan = ReplayPlan.From(events);

        Assert.Equal(["first", "second", null, "third, after a crash"], plan.Runs.Select(r => r.Message));
        Assert.Equal("c2", Assert.Single(plan.Runs[2].ApprovalsBefore).CallId);
        Assert.Empty(plan.Runs[1].ApprovalsBefore);
        Assert.Equal(["c1"], plan.InlineApprovals.Keys);
        Assert.Equal("ask", plan.PermissionMode);
        Assert.Equal(2, plan.ModelCalls.Count);
        Assert.Equal(1, plan.SubAgents);
    }

    [Fact]
    public async Task RecordedApprovalChannel_KnownAndUnknownCall_AnswersOnlyTheRecordedOne()
    {
        var channel = new RecordedApprovalChannel(new Dictionary<string, ApprovalDecided> { ["c1"] = new("c1", ApprovalDecisions.Deny, "alice", "not now") });

        var known = await channel.AskAsync(new ApprovalRequested("c1", "shell", null, "asks"), TestContext.Current.CancellationToken);
        var unknown = await channel.AskAsync(new ApprovalRequested("c9", "shell", null, "asks"), TestContext.Current.CancellationToken);

        Assert.Equal(new Rein.Engine.ApprovalAnswer(ApprovalDecisions.Deny, "alice", "not now"), known);
        Assert.Null(unknown);
    }
}
