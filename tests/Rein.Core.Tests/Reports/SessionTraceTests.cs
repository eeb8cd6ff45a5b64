using System.Text.Json;
using Rein.Journal;
using Rein.Reports;

namespace Rein.Core.Tests.Reports;

public sealed class SessionTraceTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);

    private static List<RecordedEvent> Journal(params (int Ms, SessionEvent Event)[] events) =>
        [.. events.Select((e, i) => new RecordedEvent(i + 1, T0.AddMilliseconds(e.Ms), e.Event))];

    [Fact]
    public void Build_OneTurnWithAToolCall_NestsTurnChatToolAndDecision()
    {
        var args = JsonDocument.Parse("""{"command":"make test"}""").RootElement.Clone();
        var trace = SessionTrace.Build(Journal(
            (0, new SessionStarted("s1", "/ws", "openai:gpt-5.5", "coder", "alice")),
            (10, new UserMessage("run the tests")),
            (900, new ModelCalled(1, "gpt-5.5", null, [new ModelToolCall("c1", "shell", args)], "tool_calls", new TokenUsage(1000, 50, 800), 850, 0.002m)),
            (901, new ToolCallProposed("c1", "shell", args)),
            (902, new PolicyDecided("c1", "shell", "allow", "allowed by rule", "shell(make test)", "project", "ask")),
            (903, new ToolStarted("c1", "shell")),
            (1500, new ToolCompleted("c1", "shell", ToolOutcome.Success, "ok", 597)),
            (2000, new ModelCalled(2, "gpt-5.5", "Tests pass.", [], "stop", new TokenUsage(1200, 10, 1000), 480, 0.001m)),
            (2001, new SessionEnded(StopReason.Completed))));

        Assert.Equal("session s1", trace.Name);
        Assert.Equal(0.003m, trace.CostUsd);
        Assert.Equal(2200, trace.Usage.InputTokens);
        var turn = Assert.Single(trace.Children);
        Assert.Equal("turn: run the tests", turn.Name);
        Assert.Equal(1991, turn.DurationMs);
        Assert.Collection(turn.Children,
            chat =>
            {
                Assert.Equal("chat openai:gpt-5.5", chat.Name);
                Assert.Equal(850, chat.DurationMs);
                Assert.Equal(800, chat.Usage.CachedInputTokens);
                var tool = Assert.Single(chat.Children);
                Assert.Equal("execute_tool shell", tool.Name);
                Assert.Equal(597, tool.DurationMs);
                Assert.Equal("Success · make test", tool.Detail);
                Assert.Equal("policy allow", Assert.Single(tool.Children).Name);
            },
            chat => Assert.Equal(0.001m, chat.CostUsd),
            ended => Assert.Equal("session_ended", ended.Name));
    }

    [Fact]
    public void Build_TwoMessages_MakeTwoTurns()
    {
        var trace = SessionTrace.Build(Journal(
            (0, new SessionStarted("s1", "/ws", "m")),
            (1, new UserMessage("first")),
            (2, new ModelCalled(1, "m", "a", [], "stop", new TokenUsage(10, 1), 1)),
            (3, new UserMessage("second")),
            (4, new ModelCalled(2, "m", "b", [], "stop", new TokenUsage(20, 2), 1))));

        Assert.Equal(["turn: first", "turn: second"], trace.Children.Select(c => c.Name));
        Assert.Equal(30, trace.Usage.InputTokens);
    }
}
