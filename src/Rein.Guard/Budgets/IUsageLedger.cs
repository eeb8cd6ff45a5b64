using Rein.Journal;

namespace Rein.Guard.Budgets;

/// <summary>Tells how much a principal has used today, for the daily budgets.</summary>
public interface IUsageLedger
{
    /// <summary>Gets a principal's usage since the start of today.</summary>
    /// <param name="principal">The principal, as recorded in <see cref="SessionStarted.Principal"/>.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The usage of every session of that principal (including one still running, as journaled so far).</returns>
    ValueTask<DailyUsage> GetTodayAsync(string principal, CancellationToken cancellationToken = default);
}

/// <summary>What one principal used in one day.</summary>
/// <param name="Usage">The tokens of the model calls.</param>
/// <param name="CostUsd">The price of the model calls that have one, in US dollars.</param>
/// <param name="Steps">The model calls.</param>
/// <param name="ToolCalls">The completed tool calls (any outcome).</param>
/// <param name="UnpricedSteps">The model calls with no known price (counted as $0 in <paramref name="CostUsd"/>).</param>
public sealed record DailyUsage(TokenUsage Usage, decimal CostUsd, int Steps, int ToolCalls, int UnpricedSteps = 0)
{
    /// <summary>Gets a day with no usage.</summary>
    public static DailyUsage Zero { get; } = new(TokenUsage.Zero, 0m, 0, 0);

    /// <summary>Gets the tokens counted by token budgets: input plus output.</summary>
    public long Tokens => Usage.InputTokens + Usage.OutputTokens;
}
