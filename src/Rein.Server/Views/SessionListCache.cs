using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Rein.Journal;

namespace Rein.Server.Views;

/// <summary>
/// The list views of sessions as of a journal version, so <c>GET /v1/sessions</c> reads and folds only the journals that grew since
/// it last showed them, not every listed journal on every request.
/// </summary>
/// <remarks>Thread-safe. Holds one small view per session listed (no journal): a few hundred bytes each.</remarks>
internal sealed class SessionListCache
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The session's list view and its principal, from the cache when its journal has not grown since, else read and folded.</summary>
    /// <param name="store">The store the session is in.</param>
    /// <param name="summary">The store's summary of it (its version decides whether the cached view still holds).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async ValueTask<(JsonObject View, string? Principal)> GetAsync(ISessionStore store, SessionSummary summary, CancellationToken cancellationToken)
    {
        if (!_entries.TryGetValue(summary.Id, out var entry) || entry.Version != summary.Version)
        {
            var state = SessionState.Fold(await store.ReadAsync(summary.Id, 0, cancellationToken).ConfigureAwait(false));
            entry = new Entry(summary.Version, state.Principal, JsonViews.Session(summary, state));
            _entries[summary.Id] = entry;
        }

        var view = entry.View.DeepClone().AsObject();
        // The status can change without an append (a running session whose process died is listed interrupted).
        view["status"] = summary.Status;
        return (view, entry.Principal);
    }

    private sealed record Entry(long Version, string? Principal, JsonObject View);
}
