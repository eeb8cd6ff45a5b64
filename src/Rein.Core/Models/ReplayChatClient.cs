using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Rein.Engine;
using Rein.Journal;

namespace Rein.Models;

/// <summary>
/// An offline model that answers with the responses recorded in an earlier session's journal, in order.
/// </summary>
/// <remarks>
/// The response played is the number of assistant messages already in the conversation. When the
/// recording runs out the session ends with <see cref="StopReason.ReplayExhausted"/>.
/// </remarks>
public sealed class ReplayChatClient : IChatClient
{
    private readonly IReadOnlyList<ScriptedTurn> _turns;
    private readonly string _name;

    /// <summary>Creates a client from recorded model calls.</summary>
    /// <param name="recorded">The <see cref="ModelCalled"/> events of the recorded session, in order.</param>
    /// <param name="sourceSessionId">The recorded session's id, for messages.</param>
    public ReplayChatClient(IEnumerable<ModelCalled> recorded, string sourceSessionId)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        _turns = [.. recorded.Select(m => new ScriptedTurn(m.Text, m.ToolCalls, m.Usage))];
        _name = $"replay:{sourceSessionId}";
    }

    /// <summary>Creates a client from a session's journal.</summary>
    /// <param name="store">The store holding the recorded session.</param>
    /// <param name="sessionId">The recorded session.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The client.</returns>
    public static async ValueTask<ReplayChatClient> FromSessionAsync(ISessionStore store, string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var events = await store.ReadAsync(sessionId, 0, cancellationToken).ConfigureAwait(false);
        return new ReplayChatClient(events.Select(e => e.Event).OfType<ModelCalled>(), sessionId);
    }

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(new ChatResponse(Next(messages).ToMessage()) { ModelId = _name });
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var turn = Next(messages);
        await Task.Yield();
        foreach (var update in turn.ToUpdates(_name))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return update;
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private ScriptedTurn Next(IEnumerable<ChatMessage> messages)
    {
        var index = messages.Count(m => m.Role == ChatRole.Assistant);
        return index < _turns.Count
            ? _turns[index]
            : throw new ModelExhaustedException(StopReason.ReplayExhausted, $"The recording {_name} has no response {index + 1} (it has {_turns.Count}).");
    }
}
