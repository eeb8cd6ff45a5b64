using System.Text.Json;
using Rein.Hosting.Composition;
using Rein.Engine;
using Rein.Journal;
using Rein.Testing;

namespace Rein.Cli.Tests;

public sealed class SubAgentRunnerTests
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task SettleInterruptedAsync_ProcessDiedWhileAChildRan_ChildsSpendingIsJournaledInTheParentOnce()
    {
        var store = new InMemorySessionStore();
        var arguments = JsonDocument.Parse("""{"description":"look around","prompt":"p"}""").RootElement.Clone();
        using var parent = await SessionWriter.StartAsync(store, new SessionStarted("parent", "/ws", "m"), _ct);
        await parent.AppendAsync(
            [
                new ModelCalled(1, "m", null, [new ModelToolCall("call-1", "task", arguments)], null, new TokenUsage(100, 0), 1, 0.01m),
                new ToolCallProposed("call-1", "task", arguments),
                new ToolStarted("call-1", "task"),
            ],
            AppendDurability.Flushed,
            _ct);
        // The child was cut off mid-run: no end, no result in the parent.
        using (var child = await SessionWriter.StartAsync(store, new SessionStarted("child", "/ws", "m", "explorer", null, "parent", "call-1"), _ct))
        {
            await child.AppendAsync(
                [
                    new ModelCalled(1, "m", null, [], null, new TokenUsage(5_000, 500), 1, 0.40m),
                    new ToolCompleted("c", "read_file", ToolOutcome.Success, "x"),
                    new ModelCalled(2, "m", null, [], null, new TokenUsage(5_000, 500), 1, 0.40m),
                ],
                AppendDurability.Flushed,
                _ct);
        }

        await SubAgentRunner.SettleInterruptedAsync(store, parent, _ct);
        await SubAgentRunner.SettleInterruptedAsync(store, parent, _ct);

        var journal = (await store.ReadAsync("parent", 0, _ct)).Select(e => e.Event).ToList();
        var finished = Assert.Single(journal.OfType<SubAgentFinished>());
        Assert.Equal(new SubAgentFinished("call-1", "child", StopReason.Cancelled, 2, new TokenUsage(10_000, 1_000), 0.80m, 1), finished);
        Assert.Equal("look around", Assert.Single(journal.OfType<SubAgentStarted>()).Description);
        Assert.Equal(0.81m, parent.State.CostUsd);
        Assert.Equal((1, 2, 1), (parent.State.Steps, parent.State.SubAgentSteps, parent.State.SubAgentToolCalls));
    }

    [Fact]
    public async Task SettleInterruptedAsync_NoTaskCallCutOff_JournalsNothing()
    {
        var store = new InMemorySessionStore();
        using var parent = await SessionWriter.StartAsync(store, new SessionStarted("parent", "/ws", "m"), _ct);
        using (await SessionWriter.StartAsync(store, new SessionStarted("child", "/ws", "m", null, null, "parent", "call-1"), _ct))
        {
        }

        await SubAgentRunner.SettleInterruptedAsync(store, parent, _ct);

        Assert.Single(await store.ReadAsync("parent", 0, _ct));
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
