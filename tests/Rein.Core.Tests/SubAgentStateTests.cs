using Rein.Journal;

namespace Rein.Core.Tests;

public sealed class SubAgentStateTests
{
    private static RecordedEvent At(long sequence, SessionEvent e) => new(sequence, DateTimeOffset.UnixEpoch, e);

    [Fact]
    public void Fold_ChildSession_ExposesItsParent()
    {
        var state = SessionState.Fold([At(1, new SessionStarted("child", "/ws", "m", "explorer", "alice", "parent", "call-7"))]);

        Assert.Equal(("parent", "call-7"), (state.ParentSessionId, state.ParentCallId));
    }

    [Fact]
    public void Fold_SubAgentFinished_AddsTheChildsSpendStepsAndToolCallsApartFromTheParentsOwnSteps()
    {
        var state = SessionState.Fold(
        [
            At(1, new SessionStarted("parent", "/ws", "m")),
            At(2, new ModelCalled(1, "m", null, [], null, new TokenUsage(100, 10), 1, 0.5m)),
            At(3, new SubAgentStarted("call-1", "child", null, "look around")),
            At(4, new SubAgentFinished("call-1", "child", StopReason.Completed, 4, new TokenUsage(1000, 50), 0.25m, 6)),
        ]);

        Assert.Null(state.ParentSessionId);
        Assert.Equal(new TokenUsage(1100, 60), state.Usage);
        Assert.Equal(0.75m, state.CostUsd);
        Assert.Equal(1, state.Steps);
        Assert.Equal((4, 6), (state.SubAgentSteps, state.SubAgentToolCalls));
        Assert.Equal(0, state.ToolCalls);
        Assert.Single(state.Messages);
    }
}
