using System.Text.Json;
using Microsoft.Extensions.AI;
using Rein.Journal;

namespace Rein.Core.Tests;

public sealed class SessionStateTests
{
    private static IEnumerable<RecordedEvent> Number(params SessionEvent[] events) =>
        events.Select((e, i) => new RecordedEvent(i + 1, DateTimeOffset.UnixEpoch, e));

    private static readonly JsonElement Args = JsonDocument.Parse("""{"text":"x"}""").RootElement;

    [Fact]
    public void Fold_ConversationWithToolCall_BuildsMessagesAndTotals()
    {
        var state = SessionState.Fold(Number(
            new SessionStarted("s1", "/ws", "scripted:a"),
            new UserMessage("do it"),
            new ModelCalled(1, "m", "thinking", [new ModelToolCall("c1", "echo", Args), new ModelToolCall("c2", "echo", Args)], "tool_calls", new TokenUsage(100, 10, 40), 5),
            new ToolCallProposed("c1", "echo", Args),
            new ToolCallProposed("c2", "echo", Args),
            new ToolStarted("c1", "echo"),
            new ToolCompleted("c1", "echo", ToolOutcome.Success, "one"),
            new ToolStarted("c2", "echo"),
            new ToolCompleted("c2", "echo", ToolOutcome.Error, "two"),
            new ModelCalled(2, "m", "done", [], "stop", new TokenUsage(200, 20, 150), 5),
            new SessionEnded(StopReason.Completed)));

        Assert.Equal("s1", state.SessionId);
        Assert.Equal(11, state.Version);
        Assert.Equal(2, state.Steps);
        Assert.Equal(new TokenUsage(300, 30, 190), state.Usage);
        Assert.Equal(SessionStatus.Completed, state.Status);
        Assert.Equal("done", state.LastAssistantText);
        Assert.Empty(state.PendingToolCalls);
        Assert.Equal([ChatRole.User, ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant], state.Messages.Select(m => m.Role));
        var results = state.Messages[2].Contents.OfType<FunctionResultContent>().ToList();
        Assert.Equal(["c1", "c2"], results.Select(r => r.CallId));
        Assert.Equal(2, state.Messages[1].Contents.OfType<FunctionCallContent>().Count());
    }

    [Fact]
    public void Fold_StartedButUnfinishedCall_IsPendingAndStarted()
    {
        var state = SessionState.Fold(Number(
            new SessionStarted("s1", "/ws", "m"),
            new UserMessage("go"),
            new ModelCalled(1, "m", null, [new ModelToolCall("c1", "echo", Args), new ModelToolCall("c2", "echo", Args)], null, TokenUsage.Zero, 0),
            new ToolCallProposed("c1", "echo", Args),
            new ToolCallProposed("c2", "echo", Args),
            new ToolStarted("c1", "echo")));

        Assert.Equal(SessionStatus.Running, state.Status);
        Assert.Collection(state.PendingToolCalls,
            c => Assert.True(c.CallId == "c1" && c.Started),
            c => Assert.True(c.CallId == "c2" && !c.Started));
    }

    [Fact]
    public void Apply_OutOfOrderEvent_Throws()
    {
        var state = SessionState.Fold(Number(new SessionStarted("s1", "/ws", "m")));

        Assert.Throws<InvalidOperationException>(() => state.Apply(new RecordedEvent(3, DateTimeOffset.UnixEpoch, new UserMessage("x"))));
    }

    [Theory]
    [InlineData(StopReason.Completed, SessionStatus.Completed)]
    [InlineData(StopReason.MaxSteps, SessionStatus.Stopped)]
    [InlineData(StopReason.ModelError, SessionStatus.Stopped)]
    public void Fold_SessionEnded_SetsStatusAndReason(string reason, string status)
    {
        var state = SessionState.Fold(Number(new SessionStarted("s1", "/ws", "m"), new UserMessage("x"), new SessionEnded(reason)));

        Assert.Equal(status, state.Status);
        Assert.Equal(reason, state.StopReason);
    }
}
