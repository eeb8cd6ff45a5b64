using System.Globalization;
using System.Text.Json;

namespace Rein.Guard.Budgets;

/// <summary>
/// The budgets a run must stay within; every limit is optional (<see langword="null"/> = unlimited).
/// Session limits count the whole session (all its runs), except <see cref="MaxTime"/>, which is per run.
/// Daily limits count everything one principal used since 00:00 UTC, across sessions.
/// </summary>
/// <remarks>
/// Read from settings with <see cref="FromJson"/>; command-line flags are laid over with <see cref="Overlay"/>.
/// The settings shape is
/// <c>"budgets": {"session": {"max_tokens": 200000, "max_cost_usd": 2.5, "max_steps": 80, "max_tool_calls": 200, "max_time": "30m"},
/// "daily": {"max_tokens": ..., "max_cost_usd": 20, "max_steps": ..., "max_tool_calls": ...}, "warn_at": 0.8}</c>.
/// </remarks>
public sealed record BudgetLimits
{
    /// <summary>The default share of a budget at which a warning is journaled: 0.8.</summary>
    public const double DefaultWarnAt = 0.8;

    private static readonly string[] TopKeys = ["session", "daily", "warn_at"];
    private static readonly string[] SessionKeys = ["max_tokens", "max_cost_usd", "max_steps", "max_tool_calls", "max_time"];
    private static readonly string[] DailyKeys = ["max_tokens", "max_cost_usd", "max_steps", "max_tool_calls"];

    /// <summary>Gets limits that limit nothing.</summary>
    public static BudgetLimits None { get; } = new();

    /// <summary>Gets the most tokens (input plus output) the session may use.</summary>
    public long? MaxTokens { get; init; }

    /// <summary>Gets the most the session's model calls may cost, in US dollars.</summary>
    public decimal? MaxCostUsd { get; init; }

    /// <summary>Gets the most model calls (steps) the session may make.</summary>
    public int? MaxSteps { get; init; }

    /// <summary>Gets the most tool calls the session may make.</summary>
    public int? MaxToolCalls { get; init; }

    /// <summary>Gets the longest wall-clock time one run may take.</summary>
    public TimeSpan? MaxTime { get; init; }

    /// <summary>Gets the most tokens (input plus output) one principal may use per day.</summary>
    public long? DailyMaxTokens { get; init; }

    /// <summary>Gets the most one principal's model calls may cost per day, in US dollars.</summary>
    public decimal? DailyMaxCostUsd { get; init; }

    /// <summary>Gets the most model calls one principal may make per day.</summary>
    public int? DailyMaxSteps { get; init; }

    /// <summary>Gets the most tool calls one principal may make per day.</summary>
    public int? DailyMaxToolCalls { get; init; }

    /// <summary>Gets the share of a budget (above 0, at most 1) at which a warning is journaled, or <see langword="null"/> for <see cref="DefaultWarnAt"/>.</summary>
    public double? WarnAt { get; init; }

    /// <summary>Gets whether any session limit is set.</summary>
    public bool HasSessionLimits => MaxTokens is not null || MaxCostUsd is not null || MaxSteps is not null || MaxToolCalls is not null || MaxTime is not null;

    /// <summary>Gets whether any daily limit is set.</summary>
    public bool HasDailyLimits => DailyMaxTokens is not null || DailyMaxCostUsd is not null || DailyMaxSteps is not null || DailyMaxToolCalls is not null;

    /// <summary>Gets whether any limit is set.</summary>
    public bool HasLimits => HasSessionLimits || HasDailyLimits;

    /// <summary>Lays other limits over these: values set in <paramref name="over"/> win (e.g. command-line flags over settings).</summary>
    /// <param name="over">The limits that take precedence.</param>
    /// <returns>The merged limits.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="over"/> is <see langword="null"/>.</exception>
    public BudgetLimits Overlay(BudgetLimits over)
    {
        ArgumentNullException.ThrowIfNull(over);
        return new BudgetLimits
        {
            MaxTokens = over.MaxTokens ?? MaxTokens,
            MaxCostUsd = over.MaxCostUsd ?? MaxCostUsd,
            MaxSteps = over.MaxSteps ?? MaxSteps,
            MaxToolCalls = over.MaxToolCalls ?? MaxToolCalls,
            MaxTime = over.MaxTime ?? MaxTime,
            DailyMaxTokens = over.DailyMaxTokens ?? DailyMaxTokens,
            DailyMaxCostUsd = over.DailyMaxCostUsd ?? DailyMaxCostUsd,
            DailyMaxSteps = over.DailyMaxSteps ?? DailyMaxSteps,
            DailyMaxToolCalls = over.DailyMaxToolCalls ?? DailyMaxToolCalls,
            WarnAt = over.WarnAt ?? WarnAt,
        };
    }

    /// <summary>Reads the <c>"budgets"</c> section of a settings file.</summary>
    /// <param name="budgetsSection">The section; a <see langword="null"/> or undefined element gives <see cref="None"/>.</param>
    /// <param name="path">The settings file, named in errors.</param>
    /// <returns>The limits.</returns>
    /// <exception cref="FormatException">The section is malformed or a value is out of range; the message names the file and the key.</exception>
    public static BudgetLimits FromJson(JsonElement budgetsSection, string path)
    {
        if (budgetsSection.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return None;
        }

        var where = $"{path}: \"budgets\"";
        RequireObject(budgetsSection, where, TopKeys, """{"session": {"max_cost_usd": 2.5}, "daily": {"max_cost_usd": 20}, "warn_at": 0.8}""");
        var session = Section(budgetsSection, "session", where, SessionKeys);
        var daily = Section(budgetsSection, "daily", where, DailyKeys);
        double? warnAt = null;
        if (budgetsSection.TryGetProperty("warn_at", out var warn) && warn.ValueKind != JsonValueKind.Null)
        {
            warnAt = warn.ValueKind == JsonValueKind.Number && warn.TryGetDouble(out var share) && share > 0 && share <= 1
                ? share
                : throw new FormatException($"{where}.\"warn_at\" must be a share above 0 and at most 1, e.g. 0.8 (warn at 80%).");
        }

        return new BudgetLimits
        {
            MaxTokens = ReadCount(session, "max_tokens", $"{where}.\"session\""),
            MaxCostUsd = ReadDollars(session, "max_cost_usd", $"{where}.\"session\""),
            MaxSteps = (int?)ReadCount(session, "max_steps", $"{where}.\"session\"", int.MaxValue),
            MaxToolCalls = (int?)ReadCount(session, "max_tool_calls", $"{where}.\"session\"", int.MaxValue),
            MaxTime = ReadDuration(session, "max_time", $"{where}.\"session\""),
            DailyMaxTokens = ReadCount(daily, "max_tokens", $"{where}.\"daily\""),
            DailyMaxCostUsd = ReadDollars(daily, "max_cost_usd", $"{where}.\"daily\""),
            DailyMaxSteps = (int?)ReadCount(daily, "max_steps", $"{where}.\"daily\"", int.MaxValue),
            DailyMaxToolCalls = (int?)ReadCount(daily, "max_tool_calls", $"{where}.\"daily\"", int.MaxValue),
            WarnAt = warnAt,
        };
    }

    /// <summary>
    /// Parses a duration written as whole numbers with units <c>d</c>, <c>h</c>, <c>m</c> and <c>s</c>, largest first:
    /// <c>90s</c>, <c>30m</c>, <c>2h</c>, <c>1h30m</c>.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <returns>The duration, longer than zero.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">The text is not such a duration, or it is zero.</exception>
    public static TimeSpan ParseDuration(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var span = text.AsSpan().Trim();
        var total = TimeSpan.Zero;
        var lastUnit = int.MaxValue;
        var i = 0;
        while (i < span.Length)
        {
            var start = i;
            while (i < span.Length && char.IsAsciiDigit(span[i]))
            {
                i++;
            }

            if (i == start || i == span.Length)
            {
                throw BadDuration(text);
            }

            var unit = char.ToLowerInvariant(span[i]) switch
            {
                'd' => 3,
                'h' => 2,
                'm' => 1,
                's' => 0,
                _ => throw BadDuration(text),
            };
            if (unit >= lastUnit || !long.TryParse(span[start..i], NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
            {
                throw BadDuration(text);
            }

            lastUnit = unit;
            i++;
            try
            {
                total = checked(total + unit switch
                {
                    3 => TimeSpan.FromDays(amount),
                    2 => TimeSpan.FromHours(amount),
                    1 => TimeSpan.FromMinutes(amount),
                    _ => TimeSpan.FromSeconds(amount),
                });
            }
            catch (Exception ex) when (ex is OverflowException or ArgumentOutOfRangeException)
            {
                throw new FormatException($"The duration '{text}' is too long.", ex);
            }
        }

        return total > TimeSpan.Zero ? total : throw BadDuration(text);
    }

    private static FormatException BadDuration(string text) =>
        new($"'{text}' is not a duration; write a positive number with a unit, e.g. 90s, 30m, 2h or 1h30m.");

    private static void RequireObject(JsonElement value, string where, string[] keys, string example)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{where} must be an object, e.g. {example}.");
        }

        foreach (var property in value.EnumerateObject())
        {
            if (!keys.Contains(property.Name, StringComparer.Ordinal))
            {
                throw new FormatException($"{where}.\"{property.Name}\" is not a budget setting; use {string.Join(", ", keys)}.");
            }
        }
    }

    private static JsonElement Section(JsonElement budgets, string key, string where, string[] keys)
    {
        if (!budgets.TryGetProperty(key, out var section) || section.ValueKind == JsonValueKind.Null)
        {
            return default;
        }

        RequireObject(section, $"{where}.\"{key}\"", keys, """{"max_cost_usd": 2.5, "max_tokens": 200000}""");
        return section;
    }

    private static bool TryGet(JsonElement section, string key, out JsonElement value)
    {
        value = default;
        return section.ValueKind == JsonValueKind.Object && section.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null;
    }

    private static long? ReadCount(JsonElement section, string key, string where, long max = long.MaxValue) =>
        !TryGet(section, key, out var value) ? null
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n > 0 && n <= max ? n
        : throw new FormatException($"{where}.\"{key}\" must be a positive whole number, not {Describe(value)}.");

    private static decimal? ReadDollars(JsonElement section, string key, string where) =>
        !TryGet(section, key, out var value) ? null
        : value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var dollars) && dollars > 0 ? dollars
        : throw new FormatException($"{where}.\"{key}\" must be a positive number of US dollars, e.g. 2.5, not {Describe(value)}.");

    private static TimeSpan? ReadDuration(JsonElement section, string key, string where)
    {
        if (!TryGet(section, key, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new FormatException($"{where}.\"{key}\" must be a duration string such as \"30m\", \"2h\" or \"1h30m\", not {Describe(value)}.");
        }

        try
        {
            return ParseDuration(value.GetString()!);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"{where}.\"{key}\": {ex.Message}", ex);
        }
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.String => $"the string \"{value.GetString()}\"",
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };
}
