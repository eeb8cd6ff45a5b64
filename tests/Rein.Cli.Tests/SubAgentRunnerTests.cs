using Rein.Cli.Composition;
using Rein.Engine;
using Rein.Guard.Budgets;
using Rein.Journal;

namespace Rein.Cli.Tests;

public sealed class SubAgentRunnerTests
{
    private static SessionState Parent(TokenUsage usage, decimal cost, int steps) => SessionState.Fold(
    [
        new RecordedEvent(1, DateTimeOffset.UnixEpoch, new SessionStarted("p", "/ws", "m")),
        .. Enumerable.Range(1, steps).Select(i => new RecordedEvent(1 + i, DateTimeOffset.UnixEpoch, new ModelCalled(i, "m", null, [], null, i == 1 ? usage : TokenUsage.Zero, 1, i == 1 ? cost : 0m))),
    ]);

    [Fact]
    public void Share_ParentHasUsedSome_ChildGetsHalfOfWhatRemains()
    {
        var parent = new BudgetLimits { MaxTokens = 10_000, MaxCostUsd = 2m, MaxSteps = 20, MaxToolCalls = 9, MaxTime = TimeSpan.FromMinutes(10), DailyMaxTokens = 50_000 };

        var child = SubAgentRunner.Share(parent, Parent(new TokenUsage(3_000, 1_000), 1m, 4), 0.5);

        Assert.Equal(3_000, child.MaxTokens);
        Assert.Equal(0.5m, child.MaxCostUsd);
        Assert.Equal(8, child.MaxSteps);
        Assert.Equal(4, child.MaxToolCalls);
        Assert.Equal(TimeSpan.FromMinutes(5), child.MaxTime);
        Assert.Equal(50_000, child.DailyMaxTokens);
    }

    [Fact]
    public void Share_ParentBudgetUsedUp_ChildGetsTheSmallestLimitNotNone()
    {
        var child = SubAgentRunner.Share(new BudgetLimits { MaxTokens = 100, MaxSteps = 2 }, Parent(new TokenUsage(500, 0), 0m, 3), 0.5);

        Assert.Equal(1, child.MaxTokens);
        Assert.Equal(1, child.MaxSteps);
        Assert.Null(child.MaxCostUsd);
    }

    [Fact]
    public void Describe_ModelCallWithTools_NamesTheStepAndTools()
    {
        var called = new ModelCalled(2, "m", null, [new ModelToolCall("c", "read_file", null), new ModelToolCall("d", "grep", null)], null, TokenUsage.Zero, 1);

        Assert.Equal("step 2: read_file, grep", SubAgentRunner.Describe(new EventAppended(new RecordedEvent(5, DateTimeOffset.UnixEpoch, called))));
        Assert.Equal("stopped: completed", SubAgentRunner.Describe(new RunStopped(StopReason.Completed, null)));
        Assert.Null(SubAgentRunner.Describe(new TextDelta("hi")));
    }
}
