using Rein.Journal;

namespace Rein.Models;

/// <summary>
/// An offline model that answers with the responses recorded in an earlier session's journal, in order:
/// a <see cref="ScriptedChatClient"/> whose turns are the recorded <see cref="ModelCalled"/> events.
/// </summary>
/// <remarks>When the recording runs out the session ends with <see cref="StopReason.ReplayExhausted"/>.</remarks>
public static class ReplayChatClient
{
    /// <summary>Creates a client from recorded model calls.</summary>
    /// <param name="recorded">The <see cref="ModelCalled"/> events of the recorded session, in order.</param>
    /// <param name="sourceSessionId">The recorded session's id, for messages.</param>
    /// <returns>The client.</returns>
    public static ScriptedChatClient Create(IEnumerable<ModelCalled> recorded, string sourceSessionId)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        return new ScriptedChatClient(
            [.. recorded.Select(m => new ScriptedTurn(m.Text, m.ToolCalls, m.Usage))],
            $"replay:{sourceSessionId}",
            StopReason.ReplayExhausted);
    }

    /// <summary>Creates a client from a session's journal.</summary>
    /// <param name="store">The store holding the recorded session.</param>
    /// <param name="sessionId">The recorded session.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The client.</returns>
    /// <exception cref="SessionNotFoundException">The session does not exist.</exception>
    public static async ValueTask<ScriptedChatClient> FromSessionAsync(ISessionStore store, string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var events = await store.ReadAsync(sessionId, 0, cancellationToken).ConfigureAwait(false);
        return Create(events.Select(e => e.Event).OfType<ModelCalled>(), sessionId);
    }
}
