using System.Collections.Concurrent;
using System.Text;
using Rein.Journal;

namespace Rein.Server.Views;

/// <summary>
/// The list views of sessions as of a journal version, so <c>GET /v1/sessions</c> reads only the events appended since it last showed
/// a session (none for a journal that did not grow) and serializes a view once per version, not on every request.
/// </summary>
/// <remarks>
/// Thread-safe: entries are immutable and replaced whole. Holds per session listed only its view as JSON and a
/// <see cref="SessionListFold"/> (no conversation): under a kilobyte each, for at most the sessions of the last complete listing, or
/// <see cref="Capacity"/> of them (see <see cref="Retain"/>).
/// </remarks>
internal sealed class SessionListCache
{
    /// <summary>How many views are kept at most, beyond those of the listing being served.</summary>
    internal const int Capacity = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>How many views are kept.</summary>
    internal int Count => _entries.Count;

    /// <summary>
    /// Drops the views of sessions not in <paramref name="listed"/>: always when the listing is the whole store (a session missing
    /// from it was deleted), else only once more than <see cref="Capacity"/> views are kept.
    /// </summary>
    /// <param name="listed">What the store listed just now.</param>
    /// <param name="complete">Whether that is every session in the store.</param>
    public void Retain(IReadOnlyCollection<SessionSummary> listed, bool complete)
    {
        if (!complete && _entries.Count <= Capacity)
        {
            return;
        }

        var keep = listed.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var id in _entries.Keys)
        {
            if (!keep.Contains(id))
            {
                _entries.TryRemove(id, out _);
            }
        }
    }

    /// <summary>
    /// The session's list view as UTF-8 JSON (as <see cref="JsonViews.Session(SessionSummary, SessionState)"/> serialized with
    /// <see cref="JournalJson.Options"/>) and its principal: from the cache when its journal has not grown since, else with the events
    /// appended since folded into the cached fold, or the whole journal folded again when it is not the journal the cache folded (another
    /// start, a lower version).
    /// </summary>
    /// <param name="store">The store the session is in.</param>
    /// <param name="summary">The store's summary of it (its version and status decide whether the cached view still holds).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The view, never changed afterwards (callers may keep and write it), and who started the session.</returns>
    public async ValueTask<(byte[] Json, string? Principal)> GetAsync(ISessionStore store, SessionSummary summary, CancellationToken cancellationToken)
    {
        var fold = SessionListFold.Empty;
        // A session deleted and made again under its id (an import) has another start; a version gone down is another journal too.
        if (_entries.TryGetValue(summary.Id, out var entry) && entry.StartedAt == summary.StartedAt && entry.Fold.Version <= summary.Version)
        {
            // The status can change without an append (a running session whose process died is listed interrupted).
            if (entry.Version == summary.Version && string.Equals(entry.Status, summary.Status, StringComparison.Ordinal))
            {
                return (entry.Json, entry.Fold.Principal);
            }

            fold = entry.Fold;
        }

        if (fold.Version < summary.Version)
        {
            // Journals only grow (a rewind appends WorkspaceRewound), so the same start at no lower version holds what was folded.
            fold = fold.Apply(await store.ReadAsync(summary.Id, fold.Version, cancellationToken).ConfigureAwait(false), summary.Version);
        }

        var json = Encoding.UTF8.GetBytes(JsonViews.Session(summary, fold).ToJsonString(JournalJson.Options));
        _entries[summary.Id] = new Entry(summary.Version, summary.StartedAt, summary.Status, fold, json);
        return (json, fold.Principal);
    }

    private sealed record Entry(long Version, DateTimeOffset StartedAt, string Status, SessionListFold Fold, byte[] Json);
}
