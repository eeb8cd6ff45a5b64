using System.Globalization;
using Rein.Journal;

namespace Rein.Reports;

/// <summary>Spend over a group of model calls.</summary>
/// <param name="Key">The group: a day (<c>yyyy-MM-dd</c>, UTC), an agent, a model or a session.</param>
/// <param name="Sessions">Sessions with calls in the group.</param>
/// <param name="ModelCalls">Model calls.</param>
/// <param name="InputTokens">Input tokens (cached included).</param>
/// <param name="CachedInputTokens">Input tokens read from the provider's cache.</param>
/// <param name="OutputTokens">Output tokens.</param>
/// <param name="CostUsd">Cost in US dollars of the calls with a known price.</param>
/// <param name="UnpricedCalls">Calls whose price was unknown.</param>
public sealed record CostRow(string Key, int Sessions, int ModelCalls, long InputTokens, long CachedInputTokens, long OutputTokens, decimal CostUsd, int UnpricedCalls);

/// <summary>Groups the model calls of many sessions' journals into spend per day, agent, model or session.</summary>
public static class CostReport
{
    /// <summary>The groupings: <c>day</c>, <c>agent</c>, <c>model</c>, <c>session</c>.</summary>
    public static IReadOnlyList<string> Groupings { get; } = ["day", "agent", "model", "session"];

    /// <summary>Builds the rows, largest cost first (days in date order).</summary>
    /// <param name="journals">Each session's journal.</param>
    /// <param name="by">The grouping (see <see cref="Groupings"/>).</param>
    /// <param name="since">Only calls at or after this time, if given.</param>
    /// <exception cref="ArgumentException"><paramref name="by"/> is not a grouping.</exception>
    public static IReadOnlyList<CostRow> Build(IEnumerable<IReadOnlyList<RecordedEvent>> journals, string by, DateTimeOffset? since = null)
    {
        ArgumentNullException.ThrowIfNull(journals);
        if (!Groupings.Contains(by))
        {
            throw new ArgumentException($"Group by one of: {string.Join(", ", Groupings)}.", nameof(by));
        }

        var rows = new Dictionary<string, Accumulator>(StringComparer.Ordinal);
        foreach (var journal in journals)
        {
            var started = journal.Select(e => e.Event).OfType<SessionStarted>().FirstOrDefault();
            if (started is null)
            {
                continue;
            }

            foreach (var recorded in journal)
            {
                if (recorded.Event is not ModelCalled called || (since is { } from && recorded.Timestamp < from))
                {
                    continue;
                }

                var key = by switch
                {
                    "day" => recorded.Timestamp.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    "agent" => started.Agent ?? "(none)",
                    "model" => ModelNames.Of(started.Model, called.Model),
                    _ => started.SessionId,
                };
                if (!rows.TryGetValue(key, out var row))
                {
                    row = new Accumulator();
                    rows[key] = row;
                }

                row.Add(started.SessionId, called);
            }
        }

        var result = rows.Select(p => p.Value.ToRow(p.Key));
        return by == "day"
            ? [.. result.OrderBy(r => r.Key, StringComparer.Ordinal)]
            : [.. result.OrderByDescending(r => r.CostUsd).ThenByDescending(r => r.InputTokens).ThenBy(r => r.Key, StringComparer.Ordinal)];
    }

    /// <summary>The sum of rows.</summary>
    public static CostRow Total(IReadOnlyList<CostRow> rows, int sessions)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return new CostRow("total", sessions, rows.Sum(r => r.ModelCalls), rows.Sum(r => r.InputTokens), rows.Sum(r => r.CachedInputTokens),
            rows.Sum(r => r.OutputTokens), rows.Sum(r => r.CostUsd), rows.Sum(r => r.UnpricedCalls));
    }

    private sealed class Accumulator
    {
        private readonly HashSet<string> _sessions = new(StringComparer.Ordinal);
        private int _calls;
        private int _unpriced;
        private TokenUsage _usage = TokenUsage.Zero;
        private decimal _cost;

        public void Add(string sessionId, ModelCalled called)
        {
            _sessions.Add(sessionId);
            _calls++;
            _usage += called.Usage;
            if (called.CostUsd is { } cost)
            {
                _cost += cost;
            }
            else
            {
                _unpriced++;
            }
        }

        public CostRow ToRow(string key) => new(key, _sessions.Count, _calls, _usage.InputTokens, _usage.CachedInputTokens, _usage.OutputTokens, _cost, _unpriced);
    }
}
