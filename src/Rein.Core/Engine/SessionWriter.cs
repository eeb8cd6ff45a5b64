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
        await writer.AppendAsync([started], cancellationToken).ConfigureAwait(false);
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
        => (await AppendAsync([sessionEvent], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>Appends events atomically, in order.</summary>
    /// <param name="events">The events.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The recorded events.</returns>
    /// <exception cref="ConcurrencyConflictException">Another writer changed the session.</exception>
    public async ValueTask<IReadOnlyList<RecordedEvent>> AppendAsync(IReadOnlyList<SessionEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var sessionId = State.Version == 0 && events.Count > 0 && events[0] is SessionStarted s ? s.SessionId : State.SessionId;
            var recorded = await _store.AppendAsync(sessionId, State.Version, events, cancellationToken).ConfigureAwait(false);
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
