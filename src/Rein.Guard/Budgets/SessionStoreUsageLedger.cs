using Rein.Journal;

namespace Rein.Guard.Budgets;

/// <summary>
/// Counts a principal's daily usage from the session journals in an <see cref="ISessionStore"/>.
/// </summary>
/// <remarks>
/// <para>
/// A day starts at 00:00 UTC, whatever the local time zone, so every machine sharing a store agrees on it.
/// The ledger lists the sessions updated since then, reads the journals of those whose <see cref="SessionStarted.Principal"/>
/// is the principal (compared ordinally), and counts the <see cref="ModelCalled"/> usage and cost, and the
/// <see cref="ToolCompleted"/> calls, journaled today. A session that began yesterday counts only its events of today.
/// </para>
/// <para>
/// Reading every journal of the day costs time on a busy store, so <see cref="BudgetGuard"/> asks once per run.
/// Only the newest <c>maxSessions</c> sessions are listed. Thread-safe.
/// </para>
/// </remarks>
public sealed class SessionStoreUsageLedger : IUsageLedger
{
    private readonly ISessionStore _store;
    private readonly TimeProvider _time;
    private readonly int _maxSessions;

    /// <summary>Creates a ledger over a store.</summary>
    /// <param name="store">The session store.</param>
    /// <param name="timeProvider">The clock that says what "today" is; <see langword="null"/> for the system clock.</param>
    /// <param name="maxSessions">The most sessions listed per read. Default: 1,000.</param>
    /// <exception cref="ArgumentNullException"><paramref name="store"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxSessions"/> is less than 1.</exception>
    public SessionStoreUsageLedger(ISessionStore store, TimeProvider? timeProvider = null, int maxSessions = 1000)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSessions, 1);
        _store = store;
        _time = timeProvider ?? TimeProvider.System;
        _maxSessions = maxSessions;
    }

    /// <summary>Gets the start of the day that contains <paramref name="now"/>: 00:00 UTC.</summary>
    /// <param name="now">A moment.</param>
    /// <returns>The start of its UTC day.</returns>
    public static DateTimeOffset StartOfDay(DateTimeOffset now) => new(now.UtcDateTime.Date, TimeSpan.Zero);

    /// <inheritdoc />
    public async ValueTask<DailyUsage> GetTodayAsync(string principal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var dayStart = StartOfDay(_time.GetUtcNow());
        var usage = TokenUsage.Zero;
        var cost = 0m;
        int steps = 0, toolCalls = 0, unpriced = 0;
        var sessions = await _store.ListAsync(_maxSessions, cancellationToken).ConfigureAwait(false);
        foreach (var session in sessions.Where(s => s.UpdatedAt >= dayStart))
        {
            IReadOnlyList<RecordedEvent> events;
            try
            {
                events = await _store.ReadAsync(session.Id, 0, cancellationToken).ConfigureAwait(false);
            }
            catch (SessionNotFoundException)
            {
                // Deleted between the listing and the read: it no longer counts.
                continue;
            }

            if (events.Count == 0 || events[0].Event is not SessionStarted { Principal: { } owner } || !string.Equals(owner, principal, StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var recorded in events)
            {
                if (recorded.Timestamp < dayStart)
                {
                    continue;
                }

                switch (recorded.Event)
                {
                    case ModelCalled called:
                        steps++;
                        usage += called.Usage;
                        cost += called.CostUsd ?? 0m;
                        unpriced += called.CostUsd is null ? 1 : 0;
                        break;
                    case ToolCompleted:
                        toolCalls++;
                        break;
                    default:
                        break;
                }
            }
        }

        return new DailyUsage(usage, cost, steps, toolCalls, unpriced);
    }
}
