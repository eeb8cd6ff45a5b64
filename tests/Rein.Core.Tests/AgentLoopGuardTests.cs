using Microsoft.Extensions.AI;
using Rein.Engine;
using Rein.Journal;
using Rein.Models;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Core.Tests;

public sealed class AgentLoopGuardTests
{
    private readonly InMemorySessionStore _store = new();
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    private static ScriptedChatClient Script(string json) => new(ScriptedTurn.ParseScript(json));

    private async Task<List<AgentUpdate>> RunAsync(AgentLoop loop, SessionWriter session, string? message)
    {
        var list = new List<AgentUpdate>();
        await foreach (var u in loop.RunAsync(session, message, _ct))
        {
            list.Add(u);
        }

        return list;
    }

    /// <summary>A stage that waits for an answer journaled in the session, as the policy stage does.</summary>
    private static AgentLoop WaitingLoop(IChatClient client, ITool tool) =>
        new(client, new ToolSet([tool]), new AppendOnlyContextBuilder("test"), configurePipeline: pipeline => pipeline.Use(next => async (call, ct) =>
        {
            var state = call.Session.State;
            if (!state.ApprovalRequests.ContainsKey(call.Request.Id))
            {
                await call.Session.AppendAsync(new ApprovalRequested(call.Request.Id, call.Request.Name, call.Request.Arguments, "test"), AppendDurability.Flushed, ct);
            }

            if (!state.ApprovalAnswers.TryGetValue(call.Request.Id, out var answer))
            {
                throw new ApprovalPendingException(call.Request.Id);
            }

            return answer.Decision == ApprovalDecisions.Deny ? ToolResult.Error("denied: " + answer.Reason) : await next(call, ct);
        }));

    [Fact]
    public async Task RunAsync_CallWaitingForApproval_SuspendsWithoutResultThenRunsAfterApprovalInANewProcess()
    {
        var tool = FakeTool.Echo();
        const string script = """{"turns":[{"tool_calls":[{"id":"c1","name":"echo","arguments":{"text":"hi"}}]},{"text":"done"}]}""";
        var session = await SessionWriter.StartAsync(_store, new SessionStarted("s1", "/ws", "scripted:test"), _ct);

        var first = await RunAsync(WaitingLoop(Script(script), tool), session, "go");

        Assert.Equal(StopReason.AwaitingApproval, Assert.IsType<RunStopped>(first[^1]).Reason);
        Assert.Equal(0, tool.Calls);
        var reopened = await SessionWriter.OpenAsync(_store, "s1", _ct);
        Assert.Equal(SessionStatus.AwaitingApproval, reopened.State.Status);
        Assert.Equal("c1", Assert.Single(reopened.State.OpenApprovals).CallId);
        Assert.Single(reopened.State.PendingToolCalls);

        // Someone approves from another process; a fresh loop resumes the session.
        await reopened.AppendAsync(new ApprovalDecided("c1", ApprovalDecisions.ApproveOnce, "alice"), _ct);
        var second = await RunAsync(WaitingLoop(Script(script), tool), reopened, null);

        Assert.Equal(StopReason.Completed, Assert.IsType<RunStopped>(second[^1]).Reason);
        Assert.Equal(1, tool.Calls);
        var events = (await _store.ReadAsync("s1", 0, _ct)).Select(e => e.Event).ToList();
        var completed = Assert.Single(events.OfType<ToolCompleted>());
        Assert.Equal(ToolOutcome.Success, completed.Outcome);
        Assert.Empty(SessionState.Fold(await _store.ReadAsync("s1", 0, _ct)).PendingToolCalls);
    }

    [Fact]
    public async Task RunAsync_ResumedWithoutAnswer_SuspendsAgainWithoutCallingTheModel()
    {
        var tool = FakeTool.Echo();
        var model = Script("""{"turns":[{"tool_calls":[{"id":"c1","name":"echo","arguments":{"text":"hi"}}]},{"text":"done"}]}""");
        var session = await SessionWriter.StartAsync(_store, new SessionStarted("s1", "/ws", "scripted:test"), _ct);
        await RunAsync(WaitingLoop(model, tool), session, "go");

        var again = await RunAsync(WaitingLoop(model, tool), session, null);

        Assert.Equal(StopReason.AwaitingApproval, Assert.IsType<RunStopped>(again[^1]).Reason);
        Assert.DoesNotContain(again, u => u is ModelCallStarted);
        Assert.Equal(0, tool.Calls);
    }

    [Fact]
    public async Task RunAsync_DeniedWhileWaiting_ReportsDenialToTheModel()
    {
        var tool = FakeTool.Echo();
        const string script = """{"turns":[{"tool_calls":[{"id":"c1","name":"echo","arguments":{"text":"hi"}}]},{"text":"done"}]}""";
        var session = await SessionWriter.StartAsync(_store, new SessionStarted("s1", "/ws", "scripted:test"), _ct);
        await RunAsync(WaitingLoop(Script(script), tool), session, "go");
        await session.AppendAsync(new ApprovalDecided("c1", ApprovalDecisions.Deny, "alice", "not today"), _ct);

        await RunAsync(WaitingLoop(Script(script), tool), session, null);

        var completed = Assert.Single((await _store.ReadAsync("s1", 0, _ct)).Select(e => e.Event).OfType<ToolCompleted>());
        Assert.Equal("denied: not today", completed.Result);
        Assert.Equal(0, tool.Calls);
    }

    private sealed class StopAtStep(int step) : IStepGuard
    {
        public int Checks { get; private set; }

        public ValueTask<StepVerdict> BeforeModelCallAsync(StepGuardContext context, CancellationToken cancellationToken = default)
        {
            Checks++;
            return ValueTask.FromResult(context.Step >= step ? StepVerdict.Stop(StopReason.BudgetExceeded, $"step {context.Step} is over budget") : StepVerdict.Continue);
        }
    }

    [Fact]
    public async Task RunAsync_StepGuardStops_ModelNotCalledAndRunEndsWithGuardReason()
    {
        var guard = new StopAtStep(2);
        var options = new AgentLoopOptions();
        options.StepGuards.Add(guard);
        var model = Script("""{"turns":[{"tool_calls":[{"name":"echo","arguments":{"text":"a"}}]},{"text":"never"}]}""");
        var session = await SessionWriter.StartAsync(_store, new SessionStarted("s1", "/ws", "scripted:test"), _ct);

        var updates = await RunAsync(new AgentLoop(model, new ToolSet([FakeTool.Echo()]), new AppendOnlyContextBuilder("t"), options), session, "go");

        var stopped = Assert.IsType<RunStopped>(updates[^1]);
        Assert.Equal(StopReason.BudgetExceeded, stopped.Reason);
        Assert.Equal(2, guard.Checks);
        Assert.Single(updates.OfType<ModelCallStarted>());
        Assert.Equal(1, session.State.Steps);
    }

    [Fact]
    public async Task RunAsync_Pricing_RecordsCostOnModelCalled()
    {
        var options = new AgentLoopOptions { Pricing = (_, usage) => usage.OutputTokens * 0.5m };
        var model = new FixedUsageClient(new UsageDetails { InputTokenCount = 10, OutputTokenCount = 4 });
        var session = await SessionWriter.StartAsync(_store, new SessionStarted("s1", "/ws", "test"), _ct);

        await RunAsync(new AgentLoop(model, new ToolSet([]), new AppendOnlyContextBuilder("t"), options), session, "go");

        Assert.Equal(2m, Assert.Single((await _store.ReadAsync("s1", 0, _ct)).Select(e => e.Event).OfType<ModelCalled>()).CostUsd);
        Assert.Equal(2m, session.State.CostUsd);
    }

    private sealed class FixedUsageClient(UsageDetails usage) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { Usage = usage });

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, "ok");
            yield return new ChatResponseUpdate { Contents = [new UsageContent(usage)] };
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
