using System.Text.Json;
using Rein.Guard.Budgets;
using Rein.Journal;

namespace Rein.Guard.Tests.Budgets;

public sealed class BudgetReservationsTests
{
    private static readonly BudgetLimits Limits = new() { MaxTokens = 100_000, MaxCostUsd = 1m, MaxSteps = 20, MaxToolCalls = 40, MaxTime = TimeSpan.FromMinutes(10), DailyMaxCostUsd = 5m };

    /// <summary>A parent that made one model call (1,000 tokens, $0.10) proposing <paramref name="calls"/> task calls, which all started.</summary>
    private static List<RecordedEvent> Parent(params string[] calls)
    {
        var arguments = JsonDocument.Parse("""{"description":"d","prompt":"p"}""").RootElement.Clone();
        var events = new List<SessionEvent>
        {
            new SessionStarted("parent", "/ws", "m"),
            new ModelCalled(1, "m", null, [.. calls.Select(c => new ModelToolCall(c, "task", arguments))], null, new TokenUsage(1_000, 0), 1, 0.10m),
        };
        events.AddRange(calls.Select(c => new ToolCallProposed(c, "task", arguments)));
        events.AddRange(calls.Select(c => new ToolStarted(c, "task")));
        return [.. events.Select((e, i) => new RecordedEvent(i + 1, DateTimeOffset.UnixEpoch, e))];
    }

    private static SessionState Fold(List<RecordedEvent> events) => SessionState.Fold(events);

    /// <summary>The parent's journal after a task call's result (with the child's spending) was journaled.</summary>
    private static List<RecordedEvent> WithResult(List<RecordedEvent> journal, string call, BudgetUsage used)
    {
        var next = journal.Count + 1;
        return
        [
            .. journal,
            new RecordedEvent(next, DateTimeOffset.UnixEpoch, new SubAgentFinished(call, $"child-{call}", StopReason.Completed, used.Steps, new TokenUsage(used.Tokens, 0), used.CostUsd, used.ToolCalls)),
            new RecordedEvent(next + 1, DateTimeOffset.UnixEpoch, new ToolCompleted(call, "task", ToolOutcome.Success, "report")),
        ];
    }

    [Fact]
    public void Reserve_TwoStartedBeforeEitherCompletes_TheSecondSeesTheFirst()
    {
        var reservations = new BudgetReservations();
        // Both read the same journal before either reserved: the worst interleaving.
        var state = Fold(Parent("c1", "c2"));

        using var first = reservations.Reserve(Limits, state, "c1", 0.5);
        using var second = reservations.Reserve(Limits, state, "c2", 0.5);

        // Left after the parent's own use: 99,000 tokens, $0.90, 19 steps, 38 tool calls (its two pending task calls count).
        Assert.Equal((49_500L, 0.45m, 9, 19), (first.Limits.MaxTokens, first.Limits.MaxCostUsd, first.Limits.MaxSteps, first.Limits.MaxToolCalls));
        Assert.Equal((24_750L, 0.225m, 5, 9), (second.Limits.MaxTokens, second.Limits.MaxCostUsd, second.Limits.MaxSteps, second.Limits.MaxToolCalls));
        Assert.Equal(TimeSpan.FromMinutes(5), second.Limits.MaxTime);
        Assert.Equal(5m, second.Limits.DailyMaxCostUsd);
    }

    [Fact]
    public void Reserve_FourParallelChildren_TogetherNeverGetMoreThanTheParentHadLeft()
    {
        var reservations = new BudgetReservations();
        var state = Fold(Parent("c1", "c2", "c3", "c4"));

        var shares = new[] { "c1", "c2", "c3", "c4" }.Select(c => reservations.Reserve(Limits, state, c, 0.5)).ToList();

        Assert.True(shares.Sum(s => s.Limits.MaxCostUsd) <= 0.90m);
        Assert.True(shares.Sum(s => s.Limits.MaxTokens) <= 99_000);
        Assert.True(shares.Sum(s => s.Limits.MaxSteps) <= 19);
        Assert.True(shares.Sum(s => s.Limits.MaxToolCalls) <= 36);
        Assert.Equal([0.45m, 0.225m, 0.1125m, 0.05625m], shares.Select(s => s.Limits.MaxCostUsd!.Value));
    }

    [Fact]
    public async Task Reserve_ManyThreadsAtOnce_SharesNeverAddUpToMoreThanWasLeft()
    {
        var reservations = new BudgetReservations();
        var calls = Enumerable.Range(1, 64).Select(i => $"c{i}").ToArray();
        var state = Fold(Parent(calls));
        using var start = new Barrier(4);

        var shares = await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(
            () =>
            {
                start.SignalAndWait(TestContext.Current.CancellationToken);
                return calls.Where((_, i) => i % 4 == t).Select(c => reservations.Reserve(Limits, state, c, 0.5)).ToList();
            },
            TestContext.Current.CancellationToken)));

        var all = shares.SelectMany(s => s).ToList();
        Assert.Equal(64, all.Count);
        Assert.True(all.Sum(s => s.Limits.MaxCostUsd) <= 0.90m);
        Assert.True(all.Sum(s => s.Limits.MaxSteps) <= 19);
        Assert.Equal(all.Sum(s => s.Limits.MaxCostUsd!.Value), reservations.HeldBy("parent").CostUsd);
    }

    [Fact]
    public void Complete_ChildUsedLessThanItsShare_TheRestIsFreeAndWhatItUsedStaysHeldUntilJournaled()
    {
        var reservations = new BudgetReservations();
        var journal = Parent("c1", "c2");
        var first = reservations.Reserve(Limits, Fold(journal), "c1", 0.5);

        first.Complete(new BudgetUsage(10_000, 0.10m, 2, 3));
        first.Dispose();
        // c1's result is not journaled yet: a reservation made now must still count what c1 used.
        using var second = reservations.Reserve(Limits, Fold(journal), "c2", 0.5);

        Assert.Equal(0.40m, second.Limits.MaxCostUsd);
        Assert.Equal(44_500, second.Limits.MaxTokens);
        Assert.Equal(8, second.Limits.MaxSteps);
        Assert.Equal(17, second.Limits.MaxToolCalls);
    }

    [Fact]
    public void Reserve_AfterTheParentJournaledAChildsResult_CountsThatChildOnce()
    {
        var reservations = new BudgetReservations();
        var journal = Parent("c1", "c2");
        var used = new BudgetUsage(10_000, 0.10m, 2, 3);
        var first = reservations.Reserve(Limits, Fold(journal), "c1", 0.5);
        first.Complete(used);

        using var second = reservations.Reserve(Limits, Fold(WithResult(journal, "c1", used)), "c2", 0.5);

        // $1 - $0.10 (parent) - $0.10 (c1, now in the parent's journal) = $0.80 left.
        Assert.Equal(0.40m, second.Limits.MaxCostUsd);
        Assert.Equal(0.40m, reservations.HeldBy("parent").CostUsd);
    }

    [Fact]
    public void Dispose_ChildNeverRan_GivesTheWholeShareBack()
    {
        var reservations = new BudgetReservations();
        var state = Fold(Parent("c1", "c2"));

        reservations.Reserve(Limits, state, "c1", 0.5).Dispose();
        using var second = reservations.Reserve(Limits, state, "c2", 0.5);

        Assert.Equal(0.45m, second.Limits.MaxCostUsd);
    }

    [Fact]
    public void Reserve_ParentUsedItsBudget_ShareIsZeroSoTheChildCannotSpend()
    {
        var reservations = new BudgetReservations();

        using var share = reservations.Reserve(new BudgetLimits { MaxCostUsd = 0.10m, MaxSteps = 1 }, Fold(Parent("c1")), "c1", 0.5);

        Assert.Equal(0m, share.Limits.MaxCostUsd);
        Assert.Equal(0, share.Limits.MaxSteps);
        Assert.Null(share.Limits.MaxTokens);
    }

    [Fact]
    public void Reserve_SessionsAreSeparate_OneParentsChildrenDoNotShrinkAnothersShare()
    {
        var reservations = new BudgetReservations();
        using var first = reservations.Reserve(Limits, Fold(Parent("c1")), "c1", 0.5);
        var other = Parent("c1");
        other[0] = new RecordedEvent(1, DateTimeOffset.UnixEpoch, new SessionStarted("other", "/ws", "m"));

        using var second = reservations.Reserve(Limits, Fold(other), "c1", 0.5);

        Assert.Equal(first.Limits, second.Limits);
    }
}
