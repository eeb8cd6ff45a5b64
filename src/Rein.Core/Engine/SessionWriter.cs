using Rein.Journal;

namespace Rein.Engine;

/// <summary>
/// The single writer of one session: appends events durably, then folds them into
/// <see cref="State"/> and tells subscribers.
/// </summary>
/// <remarks>Thread-safe: parallel tool calls append through the same writer, one append at a time.</remarks>
public sealed class SessionWriter : IDisposable
{
    private readonly ISessionStore _store;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _stagedLock = new();
    private readonly List<SessionEvent> _staged = [];

    private SessionWriter(ISessionStore store, SessionState state)
    {
        _store = store;
        State = state;
    }

    /// <summary>Raised after events are durably appended and applied, in sequence order.</summary>
    public event Action<RecordedEvent>? Appended;

    /// <summary>Gets the session's state, current as of the last append.</summary>
    public SessionState State { get; }

    /// <summary>Gets the session identifier.</summary>
    public string SessionId => State.SessionId;

    /// <summary>Starts a new session by journaling its <see cref="SessionStarted"/> event.</summary>
    /// <param name="store">The store.</param>
    /// <param name="started">The first event.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The writer.</returns>
    public static async ValueTask<SessionWriter> StartAsync(ISessionStore store, SessionStarted started, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(started);
        var writer = new SessionWriter(store, new SessionState());
        await writer.AppendAsync([started], AppendDurability.Flushed, cancellationToken).ConfigureAwait(false);
        return writer;
    }

    /// <summary>Opens an existing session by folding its journal.</summary>
    /// <param name="store">The store.</param>
    /// <param name="sessionId">The session identifier.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The writer.</returns>
    /// <exception cref="SessionNotFoundException">The session does not exist.</exception>
    public static async ValueTask<SessionWriter> OpenAsync(ISessionStore store, string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var events = await store.ReadAsync(sessionId, 0, cancellationToken).ConfigureAwait(false);
        return new SessionWriter(store, SessionState.Fold(events));
    }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();

    /// <summary>Appends one event.</summary>
    /// <param name="sessionEvent">The event.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The recorded event.</returns>
    public async ValueTask<RecordedEvent> AppendAsync(SessionEvent sessionEvent, CancellationToken cancellationToken = default)
        => (await AppendAsync([sessionEvent], AppendDurability.Flushed, cancellationToken).ConfigureAwait(false))[^1];

    /// <summary>Appends one event with the given durability.</summary>
    /// <param name="sessionEvent">The event.</param>
    /// <param name="durability">How durable the event (and any staged ones) must be on return.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The recorded event.</returns>
    public async ValueTask<RecordedEvent> AppendAsync(SessionEvent sessionEvent, AppendDurability durability, CancellationToken cancellationToken = default)
        => (await AppendAsync([sessionEvent], durability, cancellationToken).ConfigureAwait(false))[^1];

    /// <summary>
    /// Queues an event to be committed with the next append. Use it for facts that cause no side
    /// effect by themselves (a model's answer, a proposed call, a decision), so they become durable
    /// in one commit with the event that precedes acting on them.
    /// </summary>
    /// <param name="sessionEvent">The event.</param>
    public void Stage(SessionEvent sessionEvent)
    {
        ArgumentNullException.ThrowIfNull(sessionEvent);
        lock (_stagedLock)
        {
            _staged.Add(sessionEvent);
        }
    }

    /// <summary>Commits the staged events, if any.</summary>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when the staged events are durable.</returns>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default) =>
        await AppendAsync([], AppendDurability.Flushed, cancellationToken).ConfigureAwait(false);

    /// <summary>Appends events atomically, in order, after any staged events (in the same commit).</summary>
    /// <param name="events">The events.</param>
    /// <param name="durability">How durable the events must be on return. Default: <see cref="AppendDurability.Flushed"/>.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The recorded events, staged ones included.</returns>
    /// <exception cref="ConcurrencyConflictException">Another writer changed the session.</exception>
    public async ValueTask<IReadOnlyList<RecordedEvent>> AppendAsync(IReadOnlyList<SessionEvent> events, AppendDurability durability = AppendDurability.Flushed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            List<SessionEvent> staged;
            lock (_stagedLock)
            {
                staged = [.. _staged];
                _staged.Clear();
            }

            if (staged.Count > 0)
            {
                events = [.. staged, .. events];
            }

            if (events.Count == 0)
            {
                return [];
            }

            var sessionId = State.Version == 0 && events.Count > 0 && events[0] is SessionStarted s ? s.SessionId : State.SessionId;
            IReadOnlyList<RecordedEvent> recorded;
            try
            {
                recorded = await _store.AppendAsync(sessionId, State.Version, events, durability, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                lock (_stagedLock)
                {
                    _staged.InsertRange(0, staged);
                }

                throw;
            }

            foreach (var e in recorded)
            {
                State.Apply(e);
            }

            foreach (var e in recorded)
            {
                Appended?.Invoke(e);
            }

            return recorded;
        }
        finally
        {
            _gate.Release();
        }
    }
}
