using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Rein.Journal;

namespace Rein.Server.Views;

/// <summary>
/// The list views of sessions as of a journal version, so <c>GET /v1/sessions</c> reads and folds only the journals that grew since
/// it last showed them, not every listed journal on every request.
/// </summary>
/// <remarks>
/// Thread-safe. Holds one small view per session listed (no journal): a few hundred bytes each, for at most the sessions of the last
/// complete listing, or <see cref="Capacity"/> of them (see <see cref="Retain"/>).
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

    /// <summary>The session's list view and its principal, from the cache when its journal has not grown since, else read and folded.</summary>
    /// <param name="store">The store the session is in.</param>
    /// <param name="summary">The store's summary of it (its version decides whether the cached view still holds).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async ValueTask<(JsonObject View, string? Principal)> GetAsync(ISessionStore store, SessionSummary summary, CancellationToken cancellationToken)
    {
        // A session deleted and made again under its id (an import) has another start, whatever its version.
        if (!_entries.TryGetValue(summary.Id, out var entry) || entry.Version != summary.Version || entry.StartedAt != summary.StartedAt)
        {
            var state = SessionState.Fold(await store.ReadAsync(summary.Id, 0, cancellationToken).ConfigureAwait(false));
            entry = new Entry(summary.Version, summary.StartedAt, state.Principal, JsonViews.Session(summary, state));
            _entries[summary.Id] = entry;
        }

        var view = entry.View.DeepClone().AsObject();
        // The status can change without an append (a running session whose process died is listed interrupted).
        view["status"] = summary.Status;
        return (view, entry.Principal);
    }

    private sealed record Entry(long Version, DateTimeOffset StartedAt, string? Principal, JsonObject View);
}
