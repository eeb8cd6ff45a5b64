using Rein.Journal;

namespace Rein.Hosting.Composition;

/// <summary>Finds the parent/child relations of sessions (from each child's <see cref="SessionStarted.ParentSessionId"/>).</summary>
/// <remarks>The store keeps no index of the relation, so these read journals: fine for listings of tens of sessions.</remarks>
internal static class SubAgentSessions
{
    /// <summary>The session that started <paramref name="sessionId"/> as a sub-agent, or null.</summary>
    public static async Task<string?> ParentOfAsync(ISessionStore store, string sessionId, CancellationToken cancellationToken)
    {
        try
        {
            var events = await store.ReadAsync(sessionId, 0, cancellationToken).ConfigureAwait(false);
            return events.Count > 0 && events[0].Event is SessionStarted started ? started.ParentSessionId : null;
        }
        catch (SessionNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The sub-agent sessions of a session, oldest first, among the newest <paramref name="limit"/> sessions.</summary>
    public static async Task<IReadOnlyList<SessionSummary>> ChildrenOfAsync(ISessionStore store, SessionSummary parent, CancellationToken cancellationToken, int limit = 1000)
    {
        var children = new List<SessionSummary>();
        foreach (var candidate in await store.ListAsync(limit, cancellationToken).ConfigureAwait(false))
        {
            if (candidate.Id != parent.Id && candidate.StartedAt >= parent.StartedAt
                && await ParentOfAsync(store, candidate.Id, cancellationToken).ConfigureAwait(false) == parent.Id)
            {
                children.Add(candidate);
            }
        }

        children.Reverse();
        return children;
    }
}
