using System.Text.Json;
using System.Text.Json.Nodes;
using Rein.Journal;

namespace Rein.Guard.Secrets;

/// <summary>
/// A session store that scrubs secret values out of every event before it is stored, so no journal event (a model's
/// text, a tool call's arguments, an observation, an error) ever holds one.
/// </summary>
/// <remarks>
/// <para>
/// Each event is serialized with <see cref="JournalJson"/>; when the text holds a secret, every string value (and
/// property name) is redacted with the <see cref="SecretRedactor"/> and the event is read back. Events without
/// secrets pass through as the same instances. Reads are scrubbed the same way, for events stored before a secret
/// was added. Structural strings (the type discriminator, enum values) are never secrets of 6 characters or more in
/// practice; an event whose redacted form no longer deserializes is stored as it was.
/// </para>
/// <para>Thread-safe when the inner store is.</para>
/// </remarks>
public sealed class RedactingSessionStore : ISessionStore
{
    private readonly ISessionStore _inner;
    private readonly SecretRedactor _redactor;

    /// <summary>Wraps a store.</summary>
    /// <param name="inner">The store that keeps the events.</param>
    /// <param name="redactor">The secrets to scrub.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public RedactingSessionStore(ISessionStore inner, SecretRedactor redactor)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(redactor);
        _inner = inner;
        _redactor = redactor;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RecordedEvent>> AppendAsync(string sessionId, long expectedVersion, IReadOnlyList<SessionEvent> events, AppendDurability durability = AppendDurability.Flushed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        IReadOnlyList<SessionEvent> scrubbed = _redactor.IsEmpty ? events : [.. events.Select(e => Scrub(_redactor, e))];
        return _inner.AppendAsync(sessionId, expectedVersion, scrubbed, durability, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RecordedEvent>> ReadAsync(string sessionId, long afterSequence = 0, CancellationToken cancellationToken = default)
    {
        var events = await _inner.ReadAsync(sessionId, afterSequence, cancellationToken).ConfigureAwait(false);
        return _redactor.IsEmpty ? events : [.. events.Select(r => Scrub(_redactor, r.Event) is var e && ReferenceEquals(e, r.Event) ? r : r with { Event = e })];
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<SessionSummary>> ListAsync(int limit = 100, CancellationToken cancellationToken = default)
    {
        var sessions = await _inner.ListAsync(limit, cancellationToken).ConfigureAwait(false);
        return _redactor.IsEmpty ? sessions : [.. sessions.Select(ScrubTitle)];
    }

    /// <inheritdoc />
    public async ValueTask<SessionSummary?> GetAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        var summary = await _inner.GetAsync(sessionId, cancellationToken).ConfigureAwait(false);
        return summary is null ? null : ScrubTitle(summary);
    }

    /// <inheritdoc />
    /// <remarks>Imported events are scrubbed like appended ones: a journal recorded elsewhere may hold this user's secrets.</remarks>
    public ValueTask ImportAsync(string sessionId, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken = default)
    {
        RecordedJournal.Validate(sessionId, events);
        IReadOnlyList<RecordedEvent> scrubbed = _redactor.IsEmpty
            ? events
            : [.. events.Select(r => Scrub(_redactor, r.Event) is var e && ReferenceEquals(e, r.Event) ? r : r with { Event = e })];
        return _inner.ImportAsync(sessionId, scrubbed, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IAsyncDisposable> AcquireWriterAsync(string sessionId, CancellationToken cancellationToken = default) =>
        _inner.AcquireWriterAsync(sessionId, cancellationToken);

    /// <summary>Scrubs one event.</summary>
    /// <param name="redactor">The secrets.</param>
    /// <param name="sessionEvent">The event.</param>
    /// <returns>The scrubbed event, or <paramref name="sessionEvent"/> itself when it holds no secret.</returns>
    internal static SessionEvent Scrub(SecretRedactor redactor, SessionEvent sessionEvent)
    {
        if (redactor.IsEmpty)
        {
            return sessionEvent;
        }

        // Journal JSON escapes only what it must, so a secret in any string shows in the text as itself or in
        // its JSON-escaped form, both of which the redactor looks for.
        var json = JournalJson.Serialize(sessionEvent);
        if (!redactor.ContainsSecret(json))
        {
            return sessionEvent;
        }

        var node = JsonNode.Parse(json)!;
        if (!ScrubInPlace(redactor, node))
        {
            return sessionEvent;
        }

        try
        {
            return JournalJson.Deserialize(node.ToJsonString(JournalJson.Options));
        }
        catch (JsonException)
        {
            return sessionEvent;
        }
    }

    private SessionSummary ScrubTitle(SessionSummary summary) =>
        summary.Title is { } title && _redactor.Redact(title) is var redacted && !ReferenceEquals(redacted, title)
            ? summary with { Title = redacted }
            : summary;

    private static bool ScrubInPlace(SecretRedactor redactor, JsonNode node)
    {
        var changed = false;
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj.ToList())
                {
                    var name = redactor.Redact(key);
                    if (!ReferenceEquals(name, key))
                    {
                        obj.Remove(key);
                        obj[name] = child;
                        changed = true;
                    }

                    changed |= ScrubChild(redactor, child, replacement => obj[name] = replacement);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var index = i;
                    changed |= ScrubChild(redactor, array[i], replacement => array[index] = replacement);
                }

                break;
            default:
                break;
        }

        return changed;
    }

    private static bool ScrubChild(SecretRedactor redactor, JsonNode? child, Action<JsonNode> replace)
    {
        if (child is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            var text = value.GetValue<string>();
            var redacted = redactor.Redact(text);
            if (ReferenceEquals(redacted, text))
            {
                return false;
            }

            replace(JsonValue.Create(redacted));
            return true;
        }

        return child is not null && ScrubInPlace(redactor, child);
    }
}
