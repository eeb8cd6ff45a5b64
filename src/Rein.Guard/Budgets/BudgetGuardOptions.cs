namespace Rein.Guard.Budgets;

/// <summary>Options for <see cref="BudgetGuard"/>.</summary>
public sealed class BudgetGuardOptions
{
    /// <summary>The output cap assumed for a model call that sets none, in tokens: 4,096.</summary>
    public const int DefaultOutputTokenEstimate = 4096;

    /// <summary>Gets or sets the limits. Default: <see cref="BudgetLimits.None"/>.</summary>
    public BudgetLimits Limits { get; set; } = BudgetLimits.None;

    /// <summary>Gets or sets the prices used to estimate a model call's cost. Default: <see cref="PriceTable.BuiltIn"/>.</summary>
    public PriceTable Prices { get; set; } = PriceTable.BuiltIn;

    /// <summary>
    /// Gets or sets where a principal's usage of today is read from, for the daily limits; without one (or when the
    /// session records no principal) daily limits are not checked. Default: <see langword="null"/>.
    /// </summary>
    public IUsageLedger? Ledger { get; set; }

    /// <summary>
    /// Gets or sets the output tokens a model call is assumed to produce when it sets no <c>MaxOutputTokens</c>.
    /// Default: <see cref="DefaultOutputTokenEstimate"/> (4,096).
    /// </summary>
    public int DefaultMaxOutputTokens { get; set; } = DefaultOutputTokenEstimate;

    /// <summary>
    /// Gets or sets the parent session when the session limits are a sub-agent's share of that session's budgets
    /// (see <see cref="BudgetReservations"/>), so stop messages say so; <see langword="null"/> for a session's own budgets. Default: <see langword="null"/>.
    /// </summary>
    public string? ShareOf { get; set; }
}

/// <summary>The budgets' names, as journaled in <c>budget_warning</c> and <c>budget_exceeded</c>.</summary>
public static class BudgetNames
{
    /// <summary>Tokens, input plus output.</summary>
    public const string Tokens = "tokens";

    /// <summary>The price of the model calls, in US dollars.</summary>
    public const string Cost = "cost";

    /// <summary>Model calls.</summary>
    public const string Steps = "steps";

    /// <summary>Tool calls.</summary>
    public const string ToolCalls = "tool_calls";

    /// <summary>The wall-clock time of a run, in seconds.</summary>
    public const string Time = "time";
}

/// <summary>The scopes a budget counts over, as journaled.</summary>
public static class BudgetScopes
{
    /// <summary>One session (its runs together; the time budget is per run).</summary>
    public const string Session = "session";

    /// <summary>One principal's sessions since 00:00 UTC.</summary>
    public const string PrincipalDay = "principal_day";
}
