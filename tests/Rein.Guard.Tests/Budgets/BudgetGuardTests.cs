using System.Text.Json;
using Microsoft.Extensions.AI;
using Rein.Engine;
using Rein.Guard.Budgets;
using Rein.Journal;
using Rein.Models;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Guard.Tests.Budgets;

public sealed class BudgetGuardTests
{
    private static readonly TokenUsage TenCents = new(10_000, 0);
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly InMemorySessionStore _store;

    // gpt-4o at $10 per million tokens in and out: 10,000 input tokens cost exactly $0.10.
    private readonly PriceTable _prices = PriceTable.BuiltIn.WithOverrides(
        JsonDocument.Parse("""{"gpt-4o": {"input": 10, "output": 10}}""").RootElement, "test-settings.json");

    public BudgetGuardTests() => _store = new InMemorySessionStore(_time);

    private BudgetGuard Guard(BudgetLimits limits, IUsageLedger? ledger = null) =>
        new(new BudgetGuardOptions { Limits = limits, Prices = _prices, Ledger = ledger }, _time);

    private AgentLoop Loop(IChatClient client, BudgetGuard guard, AgentLoopOptions? options = null, params ITool[] tools)
    {
        options ??= new AgentLoopOptions();
        options.StepGuards.Add(guard);
        options.Pricing ??= _prices.CreatePricing("openai:gpt-4o");
        return new AgentLoop(client, new ToolSet(tools), new AppendOnlyContextBuilder("You are a test agent."), options, b => b.UseToolCallBudget(guard), _time);
    }

    private async Task<SessionWriter> StartAsync(string id = "s1", string model = "openai:gpt-4o", string? principal = "alice") =>
        await SessionWriter.StartAsync(_store, new SessionStarted(id, "/ws", model, Principal: principal), _ct);

    [Fact]
    public async Task RunAsync_StepsBudget_WarnsOnceThenStopsAtTheLimit()
    {
        var guard = Guard(new BudgetLimits { MaxSteps = 10, WarnAt = 0.5 });
        using var model = new CountingChatClient(Turns.Client(Turns.Calling("echo", 20)));
        using var session = await StartAsync();

        var updates = await Loop(model, guard, null, new TestTool("echo")).RunAsync(session, "go", _ct).DrainAsync();

        Assert.Equal(10, model.Calls);
        var journal = await _store.JournalAsync("s1", _ct);
        var warning = Assert.Single(journal.OfType<BudgetWarning>());
        Assert.Equal(new BudgetWarning(BudgetNames.Steps, BudgetScopes.Session, 5, 10), warning);
        var exceeded = Assert.Single(journal.OfType<BudgetExceeded>());
        Assert.Equal((BudgetNames.Steps, BudgetScopes.Session, 10d, 10d), (exceeded.Budget, exceeded.Scope, exceeded.Used, exceeded.Limit));
        Assert.Contains("budgets.session.max_steps", exceeded.Detail, StringComparison.Ordinal);
        Assert.Equal(["budget_exceeded", "session_ended"], journal.TakeLast(2).Select(e => e.TypeName));
        var stopped = Assert.IsType<RunStopped>(updates[^1]);
        Assert.Equal(StopReason.BudgetExceeded, stopped.Reason);
        Assert.Equal(exceeded.Detail, stopped.Detail);
    }

    [Fact]
    public async Task RunAsync_CallWhoseEstimateWouldCrossMaxCost_IsNeverMade()
    {
        var guard = Guard(new BudgetLimits { MaxCostUsd = 0.35m });
        using var model = new CountingChatClient(Turns.Client(Turns.Calling("echo", 10, TenCents)));
        using var session = await StartAsync();
        // The output cap alone is estimated at $0.10, so after $0.30 the next call cannot fit under $0.35.
        var options = new AgentLoopOptions { MaxOutputTokens = 10_000 };

        await Loop(model, guard, options, new TestTool("echo")).RunAsync(session, "go", _ct).DrainAsync();

        Assert.Equal(3, model.Calls);
        var journal = await _store.JournalAsync("s1", _ct);
        Assert.All(journal.OfType<ModelCalled>(), c => Assert.Equal(0.10m, c.CostUsd));
        Assert.Equal(0.30m, session.State.CostUsd);
        var exceeded = Assert.Single(journal.OfType<BudgetExceeded>());
        Assert.Equal((BudgetNames.Cost, BudgetScopes.Session, 0.35d), (exceeded.Budget, exceeded.Scope, exceeded.Limit));
        Assert.InRange(exceeded.Used, 0.40, 0.45);
        Assert.Contains("The next model call would exceed this session's cost budget: $0.30 used", exceeded.Detail, StringComparison.Ordinal);
        Assert.Contains("The call was not made", exceeded.Detail, StringComparison.Ordinal);
        Assert.Contains("--max-cost", exceeded.Detail, StringComparison.Ordinal);
        Assert.Contains("budgets.session.max_cost_usd", exceeded.Detail, StringComparison.Ordinal);
        Assert.Equal(StopReason.BudgetExceeded, session.State.StopReason);
    }

    [Fact]
    public async Task RunAsync_CostPassesWarningShare_WarnsOnceAndStopsWhenUsedUp()
    {
        var guard = Guard(new BudgetLimits { MaxCostUsd = 1m });
        using var model = new CountingChatClient(Turns.Client(Turns.Calling("echo", 20, TenCents)));
        using var session = await StartAsync();

        await Loop(model, guard, new AgentLoopOptions { MaxOutputTokens = 10 }, new TestTool("echo")).RunAsync(session, "go", _ct).DrainAsync();

        Assert.Equal(10, model.Calls);
        var journal = await _store.JournalAsync("s1", _ct);
        Assert.Equal(new BudgetWarning(BudgetNames.Cost, BudgetScopes.Session, 0.8, 1), Assert.Single(journal.OfType<BudgetWarning>()));
        var exceeded = Assert.Single(journal.OfType<BudgetExceeded>());
        Assert.Equal((1d, 1d), (exceeded.Used, exceeded.Limit));
        Assert.Contains("This session's cost budget is used up: $1.00 of $1.00.", exceeded.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_CallWhoseEstimateWouldCrossMaxTokens_IsNeverMade()
    {
        var guard = Guard(new BudgetLimits { MaxTokens = 2600 });
        using var model = new CountingChatClient(Turns.Client(Turns.Calling("echo", 10, new TokenUsage(1000, 100))));
        using var session = await StartAsync();

        await Loop(model, guard, new AgentLoopOptions { MaxOutputTokens = 500 }, new TestTool("echo")).RunAsync(session, "go", _ct).DrainAsync();

        // 2,200 used + 500 output cap + the input estimate > 2,600, though 2,200 alone is under it.
        Assert.Equal(2, model.Calls);
        var exceeded = Assert.Single((await _store.JournalAsync("s1", _ct)).OfType<BudgetExceeded>());
        Assert.Equal(BudgetNames.Tokens, exceeded.Budget);
        Assert.InRange(exceeded.Used, 2700, 3200);
        Assert.Contains("--max-tokens", exceeded.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ToolCallsPastTheBudget_AreRefusedAndTheRunStops()
    {
        var guard = Guard(new BudgetLimits { MaxToolCalls = 3 });
        var echo = new TestTool("echo");
        using var model = new CountingChatClient(Turns.Client(Turns.Calling("echo", 5, callsPerTurn: 2)));
        using var session = await StartAsync();

        await Loop(model, guard, null, echo).RunAsync(session, "go", _ct).DrainAsync();

        Assert.Equal(3, echo.Calls);
        Assert.Equal(2, model.Calls);
        var journal = await _store.JournalAsync("s1", _ct);
        var refused = Assert.Single(journal.OfType<ToolCompleted>(), c => c.Outcome == ToolOutcome.Error);
        Assert.Contains("tool-call budget is used up (3 of 3 calls)", refused.Result, StringComparison.Ordinal);
        var exceeded = Assert.Single(journal.OfType<BudgetExceeded>());
        Assert.Equal((BudgetNames.ToolCalls, 4d, 3d), (exceeded.Budget, exceeded.Used, exceeded.Limit));
        Assert.Contains("budgets.session.max_tool_calls", exceeded.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_TimeBudget_WarnsRefusesToolsAndStops()
    {
        var guard = Guard(new BudgetLimits { MaxTime = TimeSpan.FromMinutes(10) });
        var wait = new TestTool("wait", _ =>
        {
            _time.Advance(TimeSpan.FromMinutes(4));
            return ToolResult.Ok("waited");
        });
        var turns = Turns.Calling("wait", 2);
        turns.InsertRange(2, Turns.Calling("wait", 1, callsPerTurn: 2, prefix: "u").Take(1));
        using var model = new CountingChatClient(Turns.Client(turns));
        using var session = await StartAsync();

        await Loop(model, guard, new AgentLoopOptions { MaxParallelToolCalls = 1 }, wait).RunAsync(session, "go", _ct).DrainAsync();

        Assert.Equal(3, model.Calls);
        Assert.Equal(3, wait.Calls);
        var journal = await _store.JournalAsync("s1", _ct);
        Assert.Equal(new BudgetWarning(BudgetNames.Time, BudgetScopes.Session, 480, 600), Assert.Single(journal.OfType<BudgetWarning>()));
        var refused = Assert.Single(journal.OfType<ToolCompleted>(), c => c.Outcome == ToolOutcome.Error);
        Assert.Contains("time budget (10m) is used up", refused.Result, StringComparison.Ordinal);
        var exceeded = Assert.Single(journal.OfType<BudgetExceeded>());
        Assert.Equal((BudgetNames.Time, 720d, 600d), (exceeded.Budget, exceeded.Used, exceeded.Limit));
        Assert.Contains("This run's time budget is used up: 12m of 10m.", exceeded.Detail, StringComparison.Ordinal);
        Assert.Contains("--max-time", exceeded.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_TimeBudgetRunsOutDuringATool_TheToolIsCancelledAndTheRunStops()
    {
        // Real time: the tool would wait forever; the run's 1-second budget cancels it.
        var guard = new BudgetGuard(new BudgetGuardOptions { Limits = new BudgetLimits { MaxTime = TimeSpan.FromSeconds(1) }, Prices = _prices }, TimeProvider.System);
        var hang = new HangingTool();
        using var model = new CountingChatClient(Turns.Client(Turns.Calling("hang", 3)));
        using var session = await StartAsync();
        var options = new AgentLoopOptions();
        options.StepGuards.Add(guard);
        var loop = new AgentLoop(model, new ToolSet([hang]), new AppendOnlyContextBuilder("t"), options, b => b.UseToolCallBudget(guard), TimeProvider.System);

        var updates = await loop.RunAsync(session, "go", _ct).DrainAsync();

        Assert.Equal(StopReason.BudgetExceeded, Assert.IsType<RunStopped>(updates[^1]).Reason);
        Assert.Equal(1, model.Calls);
        var journal = await _store.JournalAsync("s1", _ct);
        var completed = Assert.Single(journal.OfType<ToolCompleted>());
        Assert.Equal(ToolOutcome.Error, completed.Outcome);
        Assert.Contains("time budget", completed.Result, StringComparison.Ordinal);
        Assert.True(hang.Cancelled, "the tool saw the cancellation");
        Assert.Equal(BudgetNames.Time, Assert.Single(journal.OfType<BudgetExceeded>()).Budget);
    }

    [Fact]
    public async Task RunAsync_TheDeadlineTimerFiresBeforeTheClockSaysTimeIsUp_TheRunStillStops()
    {
        // Timers and the clock can disagree by a tick: here the timer fires at once while the clock stands still.
        var clock = new EarlyTimerClock();
        var guard = new BudgetGuard(new BudgetGuardOptions { Limits = new BudgetLimits { MaxTime = TimeSpan.FromSeconds(1) }, Prices = _prices }, clock);
        var hang = new HangingTool();
        using var model = new CountingChatClient(Turns.Client(Turns.Calling("hang", 3)));
        using var session = await StartAsync();
        var options = new AgentLoopOptions();
        options.StepGuards.Add(guard);
        var loop = new AgentLoop(model, new ToolSet([hang]), new AppendOnlyContextBuilder("t"), options, b => b.UseToolCallBudget(guard), clock);

        var updates = await loop.RunAsync(session, "go", _ct).DrainAsync();

        Assert.Equal(StopReason.BudgetExceeded, Assert.IsType<RunStopped>(updates[^1]).Reason);
        Assert.Equal(1, model.Calls);
        Assert.True(hang.Cancelled, "the tool saw the cancellation");
        var journal = await _store.JournalAsync("s1", _ct);
        var exceeded = Assert.Single(journal.OfType<BudgetExceeded>());
        Assert.Equal((BudgetNames.Time, 1d, 1d), (exceeded.Budget, exceeded.Used, exceeded.Limit));
    }

    private sealed class EarlyTimerClock : TimeProvider
    {
        public override long GetTimestamp() => 0;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            System.CreateTimer(callback, state, dueTime == Timeout.InfiniteTimeSpan ? dueTime : TimeSpan.Zero, period);
    }

    private sealed class HangingTool : ITool
    {
        public bool Cancelled { get; private set; }

        public ToolDefinition Definition { get; } = new("hang", "Waits forever.", JsonDocument.Parse("""{"type":"object","properties":{"text":{"type":"string"}}}""").RootElement.Clone());

        public async ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Cancelled = true;
                throw;
            }

            return ToolResult.Ok("never");
        }
    }

    [Fact]
    public async Task RunAsync_DailyCost_CountsThePrincipalsOtherSessionsOnly()
    {
        var guard = Guard(new BudgetLimits { DailyMaxCostUsd = 0.25m }, new SessionStoreUsageLedger(_store, _time));
        var options = () => new AgentLoopOptions { MaxOutputTokens = 10 };
        var echo = new TestTool("echo");

        // Alice and Bob each spend $0.20 (two calls) in a first session.
        foreach (var (id, principal) in new[] { ("alice-1", "alice"), ("bob-1", "bob") })
        {
            using var first = new CountingChatClient(Turns.Client(Turns.Calling("echo", 1, TenCents)));
            using var s = await StartAsync(id, principal: principal);
            await Loop(first, guard, options(), echo).RunAsync(s, "go", _ct).DrainAsync();
            Assert.Equal(2, first.Calls);
        }

        using var model = new CountingChatClient(Turns.Client(Turns.Calling("echo", 5, TenCents)));
        using var session = await StartAsync("alice-2", principal: "alice");
        await Loop(model, guard, options(), echo).RunAsync(session, "go", _ct).DrainAsync();

        // $0.20 from alice-1 leaves room for one call; Bob's $0.20 would have left none.
        Assert.Equal(1, model.Calls);
        var journal = await _store.JournalAsync("alice-2", _ct);
        Assert.Equal(new BudgetWarning(BudgetNames.Cost, BudgetScopes.PrincipalDay, 0.2, 0.25), Assert.Single(journal.OfType<BudgetWarning>()));
        var exceeded = Assert.Single(journal.OfType<BudgetExceeded>());
        Assert.Equal((BudgetNames.Cost, BudgetScopes.PrincipalDay, 0.3, 0.25), (exceeded.Budget, exceeded.Scope, exceeded.Used, exceeded.Limit));
        Assert.Contains("the daily cost budget of 'alice'", exceeded.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("budgets.daily.max_cost_usd", exceeded.Detail, StringComparison.Ordinal);
        Assert.Empty((await _store.JournalAsync("bob-1", _ct)).OfType<BudgetExceeded>());
    }

    [Fact]
    public async Task RunAsync_SessionBudget_CountsEarlierRunsOfTheSession()
    {
        var guard = Guard(new BudgetLimits { MaxSteps = 3 });
        using var model = new CountingChatClient(Turns.Client(Turns.Calling("echo", 10)));
        using var session = await StartAsync();
        var echo = new TestTool("echo");

        var first = await Loop(model, guard, new AgentLoopOptions { MaxSteps = 2 }, echo).RunAsync(session, "go", _ct).DrainAsync();
        var second = await Loop(model, guard, null, echo).RunAsync(session, "go on", _ct).DrainAsync();

        Assert.Equal(StopReason.MaxSteps, Assert.IsType<RunStopped>(first[^1]).Reason);
        Assert.Equal(StopReason.BudgetExceeded, Assert.IsType<RunStopped>(second[^1]).Reason);
        Assert.Equal(3, model.Calls);
    }

    [Fact]
    public async Task RunAsync_UnpricedModelUnderCostBudget_CountsAsZeroAndRuns()
    {
        var guard = Guard(new BudgetLimits { MaxCostUsd = 0.01m });
        using var model = new CountingChatClient(Turns.Client(Turns.Calling("echo", 2, new TokenUsage(1_000_000, 1_000_000)), "mystery-model"));
        using var session = await StartAsync(model: "openai-compatible:mystery-model");
        var options = new AgentLoopOptions { Pricing = _prices.CreatePricing("openai-compatible:mystery-model") };

        var updates = await Loop(model, guard, options, new TestTool("echo")).RunAsync(session, "go", _ct).DrainAsync();

        Assert.Equal(StopReason.Completed, Assert.IsType<RunStopped>(updates[^1]).Reason);
        Assert.Equal(3, model.Calls);
        var journal = await _store.JournalAsync("s1", _ct);
        Assert.All(journal.OfType<ModelCalled>(), c => Assert.Null(c.CostUsd));
        Assert.Empty(journal.OfType<BudgetExceeded>());
    }

    [Fact]
    public async Task RunAsync_NoLimits_JournalsNothing()
    {
        var guard = Guard(BudgetLimits.None);
        using var model = new CountingChatClient(Turns.Client(Turns.Calling("echo", 3, TenCents)));
        using var session = await StartAsync();

        await Loop(model, guard, null, new TestTool("echo")).RunAsync(session, "go", _ct).DrainAsync();

        Assert.Equal(4, model.Calls);
        var journal = await _store.JournalAsync("s1", _ct);
        Assert.DoesNotContain(journal, e => e is BudgetWarning or BudgetExceeded);
    }

    [Fact]
    public async Task RunAsync_FinishedSubAgentsSteps_CountTowardTheSessionStepBudget()
    {
        var guard = Guard(new BudgetLimits { MaxSteps = 10 });
        using var model = new CountingChatClient(Turns.Client(Turns.Calling("echo", 20)));
        using var session = await StartAsync();
        await session.AppendAsync(new SubAgentFinished("task-1", "child", StopReason.Completed, 7, TokenUsage.Zero, 0m, 7), _ct);

        await Loop(model, guard, null, new TestTool("echo")).RunAsync(session, "go", _ct).DrainAsync();

        Assert.Equal(3, model.Calls);
        var exceeded = Assert.Single((await _store.JournalAsync("s1", _ct)).OfType<BudgetExceeded>());
        Assert.Equal((BudgetNames.Steps, 10d, 10d), (exceeded.Budget, exceeded.Used, exceeded.Limit));
    }

    [Fact]
    public async Task RunAsync_FinishedSubAgentsCost_CountsTowardTheSessionCostBudget()
    {
        var guard = Guard(new BudgetLimits { MaxCostUsd = 1m });
        using var model = new CountingChatClient(Turns.Client(Turns.Calling("echo", 3, TenCents)));
        using var session = await StartAsync();
        await session.AppendAsync(new SubAgentFinished("task-1", "child", StopReason.BudgetExceeded, 4, new TokenUsage(100_000, 0), 1m, 2), _ct);

        await Loop(model, guard, null, new TestTool("echo")).RunAsync(session, "go", _ct).DrainAsync();

        Assert.Equal(0, model.Calls);
        var exceeded = Assert.Single((await _store.JournalAsync("s1", _ct)).OfType<BudgetExceeded>());
        Assert.Equal((BudgetNames.Cost, 1d), (exceeded.Budget, exceeded.Used));
    }

    [Fact]
    public async Task RunAsync_SubAgentFinishedEarlierInTheStep_ItsToolCallsCountBeforeTheNextCallIsAdmitted()
    {
        var guard = Guard(new BudgetLimits { MaxToolCalls = 4 });
        var arguments = JsonDocument.Parse("""{"text":"x"}""").RootElement.Clone();
        // A stand-in for the task tool: its result carries the child's spending (three tool calls).
        var task = new TestTool("delegate", i => new ToolResult("report") { Facts = [new SubAgentFinished(i.CallId, "child", StopReason.Completed, 3, TokenUsage.Zero, 0m, 3)] });
        var echo = new TestTool("echo");
        using var model = new CountingChatClient(Turns.Client([new ScriptedTurn(null, [new ModelToolCall("a", "delegate", arguments), new ModelToolCall("b", "echo", arguments)]), new ScriptedTurn("done", [])]));
        using var session = await StartAsync();

        await Loop(model, guard, null, task, echo).RunAsync(session, "go", _ct).DrainAsync();

        Assert.Equal(0, echo.Calls);
        var refused = Assert.Single((await _store.JournalAsync("s1", _ct)).OfType<ToolCompleted>(), c => c.CallId == "b");
        Assert.Contains("tool-call budget is used up (4 of 4 calls)", refused.Result, StringComparison.Ordinal);
        Assert.Equal(1, model.Calls);
    }

    [Fact]
    public async Task RunAsync_SubAgentsShareUsedUp_StopSaysItIsTheShareOfTheParent()
    {
        var guard = new BudgetGuard(new BudgetGuardOptions { Limits = new BudgetLimits { MaxSteps = 1 }, Prices = _prices, ShareOf = "parent-1" }, _time);
        using var model = new CountingChatClient(Turns.Client(Turns.Calling("echo", 3)));
        using var session = await StartAsync();

        var updates = await Loop(model, guard, null, new TestTool("echo")).RunAsync(session, "go", _ct).DrainAsync();

        var stopped = Assert.IsType<RunStopped>(updates[^1]);
        Assert.Equal(StopReason.BudgetExceeded, stopped.Reason);
        Assert.Contains("sub-agent's share of the step budget of session parent-1", stopped.Detail, StringComparison.Ordinal);
    }
}
