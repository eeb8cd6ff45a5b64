using Rein.Journal;
using Rein.Reports;

namespace Rein.Core.Tests.Reports;

public sealed class CostReportTests
{
    private static readonly DateTimeOffset Day1 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static List<RecordedEvent> Session(string id, string? agent, params (DateTimeOffset At, string Model, decimal? Cost)[] calls)
    {
        var events = new List<RecordedEvent> { new(1, calls[0].At, new SessionStarted(id, "/ws", "openai:" + calls[0].Model, agent)) };
        foreach (var (at, model, cost) in calls)
        {
            events.Add(new RecordedEvent(events.Count + 1, at, new ModelCalled(events.Count, model, "x", [], "stop", new TokenUsage(100, 10, 40), 5, cost)));
        }

        return events;
    }

    private static readonly List<IReadOnlyList<RecordedEvent>> Journals =
    [
        Session("s1", "coder", (Day1, "gpt-5.5", 0.01m), (Day1.AddHours(1), "gpt-5.5", 0.02m)),
        Session("s2", "reviewer", (Day1.AddDays(1), "claude", 0.5m), (Day1.AddDays(1), "gpt-5.5", null)),
    ];

    [Fact]
    public void Build_ByDay_SumsEachUtcDayInOrder()
    {
        var rows = CostReport.Build(Journals, "day");

        Assert.Equal(["2026-11-25", "2026-11-26"], rows.Select(r => r.Key));
        Assert.Equal(0.03m, rows[0].CostUsd);
        Assert.Equal(200, rows[0].InputTokens);
        Assert.Equal(80, rows[0].CachedInputTokens);
        Assert.Equal(1, rows[1].UnpricedCalls);
    }

    [Fact]
    public void Build_ByModelAndAgent_GroupsAndOrdersByCost()
    {
        var byModel = CostReport.Build(Journals, "model");
        var byAgent = CostReport.Build(Journals, "agent");

        Assert.Equal(["openai:claude", "openai:gpt-5.5"], byModel.Select(r => r.Key));
        Assert.Equal(2, byModel[1].Sessions);
        Assert.Equal(3, byModel[1].ModelCalls);
        Assert.Equal(["reviewer", "coder"], byAgent.Select(r => r.Key));
        Assert.Equal(0.53m, CostReport.Total(byAgent, 2).CostUsd);
    }

    [Theory]
    [InlineData("openai:gpt-5.5", "gpt-5.5", "openai:gpt-5.5")]
    [InlineData("openai:gpt-5.5", "gpt-5.5-2025-08-07", "openai:gpt-5.5")]
    [InlineData("openai:gpt-5.5", null, "openai:gpt-5.5")]
    [InlineData("openai:gpt-5.5", "gpt-4.1", "openai:gpt-4.1")]
    [InlineData("anthropic:claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "anthropic:claude-sonnet-4-5")]
    [InlineData("scripted:/tmp/x/turns.json", "scripted:turns.json", "scripted:/tmp/x/turns.json")]
    public void Build_ByModel_NamesModelsAsSessionsDo(string spec, string? reported, string expected)
    {
        List<IReadOnlyList<RecordedEvent>> journals =
        [
            [
                new(1, Day1, new SessionStarted("s1", "/ws", spec)),
                new(2, Day1, new ModelCalled(1, reported, "x", [], "stop", new TokenUsage(1, 1, 0), 5, 0.01m)),
            ],
        ];

        var rows = CostReport.Build(journals, "model");

        Assert.Equal(expected, Assert.Single(rows).Key);
    }

    [Fact]
    public void Build_Since_LeavesOutEarlierCalls()
    {
        var rows = CostReport.Build(Journals, "session", Day1.AddHours(12));

        Assert.Equal("s2", Assert.Single(rows).Key);
    }

    [Fact]
    public void Build_UnknownGrouping_Throws() =>
        Assert.Throws<ArgumentException>(() => CostReport.Build(Journals, "week"));
}
