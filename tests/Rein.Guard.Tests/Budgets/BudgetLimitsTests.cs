using System.Text.Json;
using Rein.Guard.Budgets;

namespace Rein.Guard.Tests.Budgets;

public sealed class BudgetLimitsTests
{
    private const string Path = "/work/p/.rein/settings.json";

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void FromJson_FullSection_ReadsEveryLimit()
    {
        var limits = BudgetLimits.FromJson(Json("""
            {
              "session": {"max_tokens": 200000, "max_cost_usd": 2.5, "max_steps": 80, "max_tool_calls": 200, "max_time": "1h30m"},
              "daily": {"max_tokens": 5000000, "max_cost_usd": 20, "max_steps": 1000, "max_tool_calls": 3000},
              "warn_at": 0.9
            }
            """), Path);

        Assert.Equal(new BudgetLimits
        {
            MaxTokens = 200_000,
            MaxCostUsd = 2.5m,
            MaxSteps = 80,
            MaxToolCalls = 200,
            MaxTime = TimeSpan.FromMinutes(90),
            DailyMaxTokens = 5_000_000,
            DailyMaxCostUsd = 20m,
            DailyMaxSteps = 1000,
            DailyMaxToolCalls = 3000,
            WarnAt = 0.9,
        }, limits);
        Assert.True(limits.HasSessionLimits);
        Assert.True(limits.HasDailyLimits);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("{}")]
    [InlineData("""{"session": null, "daily": {}}""")]
    public void FromJson_NothingSet_LimitsNothing(string json)
    {
        var limits = BudgetLimits.FromJson(Json(json), Path);

        Assert.Equal(BudgetLimits.None, limits);
        Assert.False(limits.HasLimits);
    }

    [Fact]
    public void FromJson_UndefinedSection_LimitsNothing() => Assert.Equal(BudgetLimits.None, BudgetLimits.FromJson(default, Path));

    [Theory]
    [InlineData("""[]""", "\"budgets\" must be an object")]
    [InlineData("""{"sesion": {}}""", "\"budgets\".\"sesion\" is not a budget setting; use session, daily, warn_at")]
    [InlineData("""{"session": 5}""", "\"budgets\".\"session\" must be an object")]
    [InlineData("""{"daily": "20"}""", "\"budgets\".\"daily\" must be an object")]
    [InlineData("""{"session": {"max_cost": 2}}""", "\"budgets\".\"session\".\"max_cost\" is not a budget setting")]
    [InlineData("""{"session": {"max_tokens": 0}}""", "\"budgets\".\"session\".\"max_tokens\" must be a positive whole number, not 0")]
    [InlineData("""{"session": {"max_tokens": 1.5}}""", "\"budgets\".\"session\".\"max_tokens\" must be a positive whole number, not 1.5")]
    [InlineData("""{"session": {"max_tokens": "100"}}""", "\"budgets\".\"session\".\"max_tokens\" must be a positive whole number, not the string \"100\"")]
    [InlineData("""{"session": {"max_steps": 3000000000}}""", "\"budgets\".\"session\".\"max_steps\" must be a positive whole number")]
    [InlineData("""{"session": {"max_tool_calls": -1}}""", "\"budgets\".\"session\".\"max_tool_calls\" must be a positive whole number")]
    [InlineData("""{"session": {"max_cost_usd": 0}}""", "\"budgets\".\"session\".\"max_cost_usd\" must be a positive number of US dollars")]
    [InlineData("""{"session": {"max_cost_usd": "2.5"}}""", "\"budgets\".\"session\".\"max_cost_usd\" must be a positive number of US dollars")]
    [InlineData("""{"session": {"max_time": 30}}""", "\"budgets\".\"session\".\"max_time\" must be a duration string")]
    [InlineData("""{"session": {"max_time": "30"}}""", "\"budgets\".\"session\".\"max_time\": '30' is not a duration")]
    [InlineData("""{"session": {"max_time": "soon"}}""", "\"budgets\".\"session\".\"max_time\": 'soon' is not a duration")]
    [InlineData("""{"daily": {"max_time": "8h"}}""", "\"budgets\".\"daily\".\"max_time\" is not a budget setting; use max_tokens, max_cost_usd, max_steps, max_tool_calls")]
    [InlineData("""{"daily": {"max_cost_usd": -20}}""", "\"budgets\".\"daily\".\"max_cost_usd\" must be a positive number")]
    [InlineData("""{"daily": {"max_tokens": true}}""", "\"budgets\".\"daily\".\"max_tokens\" must be a positive whole number, not true")]
    [InlineData("""{"warn_at": 0}""", "\"budgets\".\"warn_at\" must be a share above 0 and at most 1")]
    [InlineData("""{"warn_at": 80}""", "\"budgets\".\"warn_at\" must be a share above 0 and at most 1")]
    [InlineData("""{"warn_at": "0.8"}""", "\"budgets\".\"warn_at\" must be a share above 0 and at most 1")]
    public void FromJson_Malformed_ThrowsNamingFileAndKey(string json, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => BudgetLimits.FromJson(Json(json), Path));

        Assert.StartsWith(Path + ": ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("2h", 7200)]
    [InlineData("1h30m", 5400)]
    [InlineData("1h30m15s", 5415)]
    [InlineData("1d", 86400)]
    [InlineData(" 2H ", 7200)]
    [InlineData("0h5m", 300)]
    public void ParseDuration_Valid_ReturnsTheSpan(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), BudgetLimits.ParseDuration(text));

    [Theory]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("m")]
    [InlineData("1x")]
    [InlineData("30m1h")]
    [InlineData("1h1h")]
    [InlineData("0s")]
    [InlineData("-5m")]
    [InlineData("1.5h")]
    [InlineData("1h 30m")]
    public void ParseDuration_Invalid_ThrowsWithExamples(string text)
    {
        var ex = Assert.Throws<FormatException>(() => BudgetLimits.ParseDuration(text));

        Assert.Contains($"'{text}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("1h30m", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseDuration_Huge_ThrowsFormatException() =>
        Assert.Throws<FormatException>(() => BudgetLimits.ParseDuration("99999999999999d"));

    [Fact]
    public void Overlay_FlagsWinWhereSet_SettingsKeptElsewhere()
    {
        var settings = new BudgetLimits { MaxTokens = 100, MaxCostUsd = 2.5m, MaxSteps = 80, MaxTime = TimeSpan.FromHours(1), DailyMaxCostUsd = 20m, WarnAt = 0.9 };
        var flags = new BudgetLimits { MaxCostUsd = 5m, MaxTime = TimeSpan.FromMinutes(10) };

        var merged = settings.Overlay(flags);

        Assert.Equal(new BudgetLimits { MaxTokens = 100, MaxCostUsd = 5m, MaxSteps = 80, MaxTime = TimeSpan.FromMinutes(10), DailyMaxCostUsd = 20m, WarnAt = 0.9 }, merged);
        Assert.Equal(settings, settings.Overlay(BudgetLimits.None));
    }
}
