namespace Rein.Journal;

/// <summary>
/// Durable storage for session journals. Appends are durable when the returned task completes.
/// </summary>
/// <remarks>
/// Implementations must be safe for concurrent use. Two writers to the same session are refused:
/// <see cref="AppendAsync"/> checks the expected version (optimistic concurrency) and
/// <see cref="AcquireWriterAsync"/> grants one live writer lease per session.
/// </remarks>
public interface ISessionStore
{
    /// <summary>Appends events to a session's journal.</summary>
    /// <param name="sessionId">The session. A journal is created by appending a <see cref="SessionStarted"/> at version 0.</param>
    /// <param name="expectedVersion">The sequence number of the last event the caller has seen (0 for a new session).</param>
    /// <param name="events">The events to append, in order. <see cref="SessionStarted"/> may only be the first event of a journal and must name <paramref name="sessionId"/>.</param>
    /// <param name="durability">How durable the events must be when the call returns.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The recorded events, with their sequence numbers and timestamps.</returns>
    /// <exception cref="ConcurrencyConflictException">Another writer appended since <paramref name="expectedVersion"/>.</exception>
    /// <exception cref="SessionNotFoundException">The session does not exist and the first event is not <see cref="SessionStarted"/>.</exception>
    ValueTask<IReadOnlyList<RecordedEvent>> AppendAsync(string sessionId, long expectedVersion, IReadOnlyList<SessionEvent> events, AppendDurability durability = AppendDurability.Flushed, CancellationToken cancellationToken = default);

    /// <summary>Reads a session's journal.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="afterSequence">Only events with a greater sequence number are returned.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The events in sequence order.</returns>
    /// <exception cref="SessionNotFoundException">The session does not exist.</exception>
    ValueTask<IReadOnlyList<RecordedEvent>> ReadAsync(string sessionId, long afterSequence = 0, CancellationToken cancellationToken = default);

    /// <summary>Lists sessions, newest first.</summary>
    /// <param name="limit">The maximum number of sessions to return.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The sessions' summaries.</returns>
    ValueTask<IReadOnlyList<SessionSummary>> ListAsync(int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>Gets one session's summary.</summary>
    /// <param name="sessionId">The session identifier, or a unique prefix of it.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The summary, or <see langword="null"/> when no session matches.</returns>
    /// <exception cref="AmbiguousSessionIdException">The prefix matches more than one session.</exception>
    ValueTask<SessionSummary?> GetAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores a journal recorded elsewhere (an exported session) as it is: the events keep their sequence numbers and
    /// timestamps. Nothing is stored when the call fails.
    /// </summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="events">
    /// The whole journal, in order: sequence numbers 1, 2, 3, ... and a <see cref="SessionStarted"/> naming <paramref name="sessionId"/>
    /// first, and only first (see <see cref="RecordedJournal.Validate"/>).
    /// </param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when the journal is durable.</returns>
    /// <exception cref="SessionAlreadyExistsException">A session with this identifier exists; it is left as it was.</exception>
    /// <exception cref="ArgumentException">The events are not a whole journal of <paramref name="sessionId"/>.</exception>
    ValueTask ImportAsync(string sessionId, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken = default);

    /// <summary>Takes the single-writer lease of a session for as long as the returned handle is not disposed.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A handle that releases the lease when disposed.</returns>
    /// <exception cref="SessionBusyException">A live writer already holds the lease.</exception>
    ValueTask<IAsyncDisposable> AcquireWriterAsync(string sessionId, CancellationToken cancellationToken = default);
}

/// <summary>How durable an append must be when it returns.</summary>
public enum AppendDurability
{
    /// <summary>On stable storage: survives a power loss. Required before the harness acts on the world (a tool runs).</summary>
    Flushed,

    /// <summary>
    /// Handed to the operating system: survives the process being killed; a power loss may drop the
    /// newest such appends, never corrupting the journal. For facts that cost nothing to lose, e.g. a
    /// result after which nothing has acted yet (a lost result resumes as an interrupted call).
    /// </summary>
    Written,
}

/// <summary>What a session looks like in a listing.</summary>
/// <param name="Id">The session identifier.</param>
/// <param name="Status">The session status (see <see cref="SessionStatus"/>); <see cref="SessionStatus.Interrupted"/> when the journal says running but no live writer holds the session.</param>
/// <param name="Workspace">The workspace path.</param>
/// <param name="Model">The model specification.</param>
/// <param name="Title">The first user message, shortened.</param>
/// <param name="StartedAt">When the session started.</param>
/// <param name="UpdatedAt">When the last event was appended.</param>
/// <param name="Version">The sequence number of the last event.</param>
/// <param name="StopReason">Why the session last stopped, if it did.</param>
public sealed record SessionSummary(
    string Id,
    string Status,
    string Workspace,
    string Model,
    string? Title,
    DateTimeOffset StartedAt,
    DateTimeOffset UpdatedAt,
    long Version,
    string? StopReason);

/// <summary>Thrown when an append's expected version is not the journal's current version.</summary>
/// <param name="sessionId">The session.</param>
/// <param name="expectedVersion">The version the writer expected.</param>
/// <param name="actualVersion">The journal's actual version.</param>
public sealed class ConcurrencyConflictException(string sessionId, long expectedVersion, long actualVersion)
    : InvalidOperationException($"Session {sessionId} was changed by another writer: expected version {expectedVersion}, found {actualVersion}.")
{
    /// <summary>Gets the session.</summary>
    public string SessionId { get; } = sessionId;

    /// <summary>Gets the version the writer expected.</summary>
    public long ExpectedVersion { get; } = expectedVersion;

    /// <summary>Gets the journal's actual version.</summary>
    public long ActualVersion { get; } = actualVersion;
}

/// <summary>Thrown when a session does not exist.</summary>
/// <param name="sessionId">The session identifier that was asked for.</param>
public sealed class SessionNotFoundException(string sessionId)
    : KeyNotFoundException($"No session '{sessionId}' was found. List sessions with: rein sessions list")
{
    /// <summary>Gets the session identifier that was asked for.</summary>
    public string SessionId { get; } = sessionId;
}

/// <summary>Thrown when a session identifier prefix matches more than one session.</summary>
/// <param name="prefix">The prefix.</param>
/// <param name="matches">The matching identifiers.</param>
public sealed class AmbiguousSessionIdException(string prefix, IReadOnlyList<string> matches)
    : ArgumentException($"Session id '{prefix}' is ambiguous; it matches {string.Join(", ", matches)}.")
{
    /// <summary>Gets the matching identifiers.</summary>
    public IReadOnlyList<string> Matches { get; } = matches;
}

/// <summary>Thrown when another live writer holds a session.</summary>
/// <param name="sessionId">The session.</param>
/// <param name="owner">A description of the writer holding it.</param>
public sealed class SessionBusyException(string sessionId, string owner)
    : InvalidOperationException($"Session {sessionId} is already being run by another writer ({owner}); only one writer per session is allowed.")
{
    /// <summary>Gets the session.</summary>
    public string SessionId { get; } = sessionId;

    /// <summary>Gets a description of the writer holding the session.</summary>
    public string Owner { get; } = owner;
}

/// <summary>Thrown when a journal is imported under the identifier of a session that already exists.</summary>
/// <param name="sessionId">The session.</param>
public sealed class SessionAlreadyExistsException(string sessionId)
    : InvalidOperationException($"A session '{sessionId}' already exists in this store; nothing was imported. Remove it or import into another store (--store).")
{
    /// <summary>Gets the session.</summary>
    public string SessionId { get; } = sessionId;
}

/// <summary>Checks for journals recorded elsewhere, shared by every <see cref="ISessionStore.ImportAsync"/>.</summary>
public static class RecordedJournal
{
    /// <summary>Checks that events are the whole journal of one session.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="events">The events.</param>
    /// <returns>The journal's <see cref="SessionStarted"/>.</returns>
    /// <exception cref="ArgumentException">
    /// <paramref name="sessionId"/> is empty, the list is empty or holds a null, the sequence numbers are not 1, 2, 3, ..., or
    /// the first event is not a <see cref="SessionStarted"/> naming <paramref name="sessionId"/> (or a later one is).
    /// </exception>
    public static SessionStarted Validate(string sessionId, IReadOnlyList<RecordedEvent> events)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            throw new ArgumentException("A journal has at least its SessionStarted event.", nameof(events));
        }

        for (var i = 0; i < events.Count; i++)
        {
            var recorded = events[i] ?? throw new ArgumentException($"Event {i + 1} is null.", nameof(events));
            if (recorded.Event is null)
            {
                throw new ArgumentException($"Event {i + 1} has no event.", nameof(events));
            }

            if (recorded.Sequence != i + 1)
            {
                throw new ArgumentException($"Event {i + 1} has sequence number {recorded.Sequence}; a journal is numbered 1, 2, 3, ... without gaps.", nameof(events));
            }

            if (i > 0 && recorded.Event is SessionStarted)
            {
                throw new ArgumentException("SessionStarted can only be the first event of a journal.", nameof(events));
            }
        }

        return events[0].Event switch
        {
            SessionStarted started when string.Equals(started.SessionId, sessionId, StringComparison.Ordinal) => started,
            SessionStarted started => throw new ArgumentException($"SessionStarted names session '{started.SessionId}', but the journal is imported as '{sessionId}'.", nameof(events)),
            _ => throw new ArgumentException("The first event of a journal must be SessionStarted.", nameof(events)),
        };
    }
}
