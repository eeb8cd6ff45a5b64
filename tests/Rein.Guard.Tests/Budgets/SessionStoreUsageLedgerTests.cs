using Rein.Engine;
using Rein.Guard.Budgets;
using Rein.Journal;
using Rein.Testing;

namespace Rein.Guard.Tests.Budgets;

public sealed class SessionStoreUsageLedgerTests
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 23, 50, 0, TimeSpan.Zero));
    private readonly InMemorySessionStore _store;

    public SessionStoreUsageLedgerTests() => _store = new InMemorySessionStore(_time);

    private static ModelCalled Called(int step, long input, long output, decimal? cost) =>
        new(step, "gpt-4o", "ok", [], "stop", new TokenUsage(input, output), 10, cost);

    private static ToolCompleted Completed(string id) => new(id, "echo", ToolOutcome.Success, "ok");

    private async Task<SessionWriter> StartAsync(string id, string? principal) =>
        await SessionWriter.StartAsync(_store, new SessionStarted(id, "/ws", "openai:gpt-4o", Principal: principal), _ct);

    [Fact]
    public async Task GetTodayAsync_CountsOnlyTodaysEventsOfThePrincipalsSessions()
    {
        using var yesterday = await StartAsync("a", "alice");
        await yesterday.AppendAsync([Called(1, 1000, 100, 0.5m), new ToolCallProposed("c1", "echo", null), Completed("c1")], cancellationToken: _ct);
        _time.Advance(TimeSpan.FromMinutes(20)); // 00:10 UTC, the next day
        await yesterday.AppendAsync([Called(2, 2000, 200, 1.25m), new ToolCallProposed("c2", "echo", null), Completed("c2")], cancellationToken: _ct);
        using var today = await StartAsync("b", "alice");
        await today.AppendAsync([Called(1, 300, 30, null), Called(2, 400, 40, 0.25m)], cancellationToken: _ct);
        using var bob = await StartAsync("c", "bob");
        await bob.AppendAsync([Called(1, 9999, 999, 9m)], cancellationToken: _ct);
        using var nobody = await StartAsync("d", null);
        await nobody.AppendAsync([Called(1, 9999, 999, 9m)], cancellationToken: _ct);

        var usage = await new SessionStoreUsageLedger(_store, _time).GetTodayAsync("alice", _ct);

        Assert.Equal(new DailyUsage(new TokenUsage(2700, 270), 1.50m, 3, 1, UnpricedSteps: 1), usage);
        Assert.Equal(2970, usage.Tokens);
    }

    [Fact]
    public async Task GetTodayAsync_NoSessions_ReturnsZero()
    {
        var usage = await new SessionStoreUsageLedger(_store, _time).GetTodayAsync("alice", _ct);

        Assert.Equal(DailyUsage.Zero, usage);
    }

    [Fact]
    public void StartOfDay_IsMidnightUtc() =>
        Assert.Equal(
            new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero),
            SessionStoreUsageLedger.StartOfDay(new DateTimeOffset(2026, 3, 2, 1, 30, 0, TimeSpan.FromHours(5))));

    [Fact]
    public void Constructor_NoSessionsToList_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SessionStoreUsageLedger(_store, _time, 0));

    [Fact]
    public async Task GetTodayAsync_CostWithManyDecimals_SurvivesTheJournal()
    {
        using var session = await StartAsync("a", "alice");
        await session.AppendAsync(Called(1, 1234, 567, 0.003169m), _ct);

        var usage = await new SessionStoreUsageLedger(_store, _time).GetTodayAsync("alice", _ct);

        Assert.Equal(0.003169m, usage.CostUsd);
    }
}
