using Rein.Journal;

namespace Rein.Testing;

/// <summary>
/// A session store in memory, for loop tests. Keeps the contract (versions, leases, JSON
/// round-trip) so tests see what a real store would give them.
/// </summary>
public sealed class InMemorySessionStore(TimeProvider? timeProvider = null) : ISessionStore
{
    private readonly object _gate = new();
    private readonly Dictionary<string, List<(long Seq, DateTimeOffset At, string Json)>> _journals = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SessionSummary> _summaries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _writers = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>Called before each append commits; throw from it to simulate a failing disk.</summary>
    public Action<string, IReadOnlyList<SessionEvent>>? OnAppend { get; set; }

    public ValueTask<IReadOnlyList<RecordedEvent>> AppendAsync(string sessionId, long expectedVersion, IReadOnlyList<SessionEvent> events, AppendDurability durability = AppendDurability.Flushed, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            OnAppend?.Invoke(sessionId, events);
            if (!_journals.TryGetValue(sessionId, out var journal))
            {
                if (expectedVersion != 0 || events.Count == 0 || events[0] is not SessionStarted started)
                {
                    throw new SessionNotFoundException(sessionId);
                }

                journal = [];
                _journals[sessionId] = journal;
                var now0 = _time.GetUtcNow();
                _summaries[sessionId] = new SessionSummary(sessionId, SessionStatus.Running, started.Workspace, started.Model, null, now0, now0, 0, null);
            }

            var version = journal.Count;
            if (version != expectedVersion)
            {
                throw new ConcurrencyConflictException(sessionId, expectedVersion, version);
            }

            var now = _time.GetUtcNow();
            var recorded = new List<RecordedEvent>();
            var summary = _summaries[sessionId];
            foreach (var e in events)
            {
                var json = JournalJson.Serialize(e);
                journal.Add((journal.Count + 1, now, json));
                recorded.Add(new RecordedEvent(journal.Count, now, JournalJson.Deserialize(json)));
                summary = summary with
                {
                    Status = SessionStatus.After(summary.Status, e),
                    Title = summary.Title ?? (e as UserMessage)?.Text,
                    StopReason = e switch { SessionEnded end => end.Reason, SessionSuspended s => s.Reason, UserMessage => null, _ => summary.StopReason },
                    UpdatedAt = now,
                    Version = journal.Count,
                };
            }

            _summaries[sessionId] = summary;
            return ValueTask.FromResult<IReadOnlyList<RecordedEvent>>(recorded);
        }
    }

    public ValueTask<IReadOnlyList<RecordedEvent>> ReadAsync(string sessionId, long afterSequence = 0, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_journals.TryGetValue(sessionId, out var journal))
            {
                throw new SessionNotFoundException(sessionId);
            }

            return ValueTask.FromResult<IReadOnlyList<RecordedEvent>>(
                [.. journal.Where(e => e.Seq > afterSequence).Select(e => new RecordedEvent(e.Seq, e.At, JournalJson.Deserialize(e.Json)))]);
        }
    }

    public ValueTask<IReadOnlyList<SessionSummary>> ListAsync(int limit = 100, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<SessionSummary>>([.. _summaries.Values.OrderByDescending(s => s.StartedAt).Take(limit)]);
        }
    }

    public ValueTask<SessionSummary?> GetAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_summaries.GetValueOrDefault(sessionId));
        }
    }

    public ValueTask ImportAsync(string sessionId, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken = default)
    {
        var started = RecordedJournal.Validate(sessionId, events);
        lock (_gate)
        {
            if (_journals.ContainsKey(sessionId))
            {
                throw new SessionAlreadyExistsException(sessionId);
            }

            var summary = new SessionSummary(sessionId, SessionStatus.Running, started.Workspace, started.Model, null, events[0].Timestamp, events[^1].Timestamp, events.Count, null);
            foreach (var e in events.Select(r => r.Event))
            {
                summary = summary with
                {
                    Status = SessionStatus.After(summary.Status, e),
                    Title = summary.Title ?? (e as UserMessage)?.Text,
                    StopReason = e switch { SessionEnded end => end.Reason, SessionSuspended s => s.Reason, UserMessage => null, _ => summary.StopReason },
                };
            }

            _journals[sessionId] = [.. events.Select(r => (r.Sequence, r.Timestamp, JournalJson.Serialize(r.Event)))];
            _summaries[sessionId] = summary;
            return ValueTask.CompletedTask;
        }
    }

    public ValueTask<IAsyncDisposable> AcquireWriterAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_writers.Add(sessionId))
            {
                throw new SessionBusyException(sessionId, "another writer in this process");
            }

            return ValueTask.FromResult<IAsyncDisposable>(new Lease(this, sessionId));
        }
    }

    private sealed class Lease(InMemorySessionStore store, string sessionId) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            lock (store._gate)
            {
                store._writers.Remove(sessionId);
            }

            return ValueTask.CompletedTask;
        }
    }
}
