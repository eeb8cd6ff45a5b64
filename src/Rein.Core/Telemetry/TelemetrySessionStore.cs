using Rein.Journal;

namespace Rein.Telemetry;

/// <summary>
/// A session store that turns the events it appends into OpenTelemetry spans and metrics (GenAI semantic
/// conventions) on <see cref="ReinTelemetry.ActivitySource"/> and <see cref="ReinTelemetry.Meter"/>.
/// </summary>
/// <remarks>
/// <para>
/// Spans are built from the events as the inner store recorded them, with the recorded timestamps: put this store
/// outside any store that redacts secrets, so it only ever sees redacted events. A turn (<see cref="UserMessage"/> or
/// <see cref="SessionResumed"/> up to <see cref="SessionEnded"/> or <see cref="SessionSuspended"/>) is an
/// <c>invoke_agent</c> span; each <see cref="ModelCalled"/> a <c>chat {model}</c> child; each tool call an
/// <c>execute_tool {name}</c> child with the policy and approval decisions. A sub-agent's turn is a child of the
/// parent's <c>task</c> call.
/// </para>
/// <para>
/// When nothing listens to <see cref="ReinTelemetry.ActivitySource"/> or <see cref="ReinTelemetry.Meter"/>, appends
/// pass through with no other work. Disposing ends the spans still open. Thread-safe when the inner store is.
/// </para>
/// </remarks>
public sealed class TelemetrySessionStore : ISessionStore, IDisposable
{
    private readonly ISessionStore _inner;
    private readonly JournalSpans _spans;

    /// <summary>Wraps a store.</summary>
    /// <param name="inner">The store that keeps the events.</param>
    /// <param name="options">What goes on spans; defaults to <see cref="TelemetryOptions"/>' defaults (no content).</param>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> is null.</exception>
    public TelemetrySessionStore(ISessionStore inner, TelemetryOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _spans = new JournalSpans(options ?? new TelemetryOptions());
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RecordedEvent>> AppendAsync(string sessionId, long expectedVersion, IReadOnlyList<SessionEvent> events, AppendDurability durability = AppendDurability.Flushed, CancellationToken cancellationToken = default)
    {
        var recorded = await _inner.AppendAsync(sessionId, expectedVersion, events, durability, cancellationToken).ConfigureAwait(false);
        if (recorded.Count == 0 || !ReinTelemetry.IsObserved)
        {
            return recorded;
        }

        if (!_spans.Knows(sessionId) && recorded[0].Event is not SessionStarted)
        {
            // A session this process did not start (resumed, or answered after an approval): its first event names
            // the agent and the model.
            _spans.Observe(sessionId, await FirstEventAsync(sessionId).ConfigureAwait(false));
        }

        foreach (var e in recorded)
        {
            _spans.Observe(sessionId, e);
        }

        return recorded;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RecordedEvent>> ReadAsync(string sessionId, long afterSequence = 0, CancellationToken cancellationToken = default) =>
        _inner.ReadAsync(sessionId, afterSequence, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<SessionSummary>> ListAsync(int limit = 100, CancellationToken cancellationToken = default) =>
        _inner.ListAsync(limit, cancellationToken);

    /// <inheritdoc />
    public ValueTask<SessionSummary?> GetAsync(string sessionId, CancellationToken cancellationToken = default) =>
        _inner.GetAsync(sessionId, cancellationToken);

    /// <inheritdoc />
    /// <remarks>An imported journal happened elsewhere, earlier: it makes no spans.</remarks>
    public ValueTask ImportAsync(string sessionId, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken = default) =>
        _inner.ImportAsync(sessionId, events, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IAsyncDisposable> AcquireWriterAsync(string sessionId, CancellationToken cancellationToken = default) =>
        _inner.AcquireWriterAsync(sessionId, cancellationToken);

    /// <summary>Ends the spans still open (a turn or tool call the process did not see finish), marked <c>rein.incomplete</c>.</summary>
    public void Dispose() => _spans.EndAll();

    private async ValueTask<RecordedEvent?> FirstEventAsync(string sessionId)
    {
        try
        {
            var journal = await _inner.ReadAsync(sessionId, 0, CancellationToken.None).ConfigureAwait(false);
            return journal.Count > 0 && journal[0].Event is SessionStarted ? journal[0] : null;
        }
        catch (SessionNotFoundException)
        {
            return null;
        }
    }
}
