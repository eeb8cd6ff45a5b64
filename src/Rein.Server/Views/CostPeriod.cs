using System.Globalization;
using Rein.Guard.Budgets;

namespace Rein.Server.Views;

/// <summary>Reads the start of a cost report's period, as <c>rein cost --since</c> and <c>GET /v1/cost?since=</c> take it.</summary>
public static class CostPeriod
{
    /// <summary>Reads a date (UTC midnight, e.g. <c>2026-11-01</c>) or a duration back from now (<c>7d</c>, <c>24h</c>, <c>90m</c>).</summary>
    /// <param name="text">The text.</param>
    /// <param name="timeProvider">The clock a duration counts back from.</param>
    /// <param name="since">The start of the period.</param>
    /// <returns>Whether <paramref name="text"/> is a date or a duration.</returns>
    public static bool TryParseSince(string text, TimeProvider timeProvider, out DateTimeOffset since)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out since))
        {
            return true;
        }

        try
        {
            since = timeProvider.GetUtcNow() - BudgetLimits.ParseDuration(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
