using Microsoft.Extensions.AI;
using Rein.Journal;

namespace Rein.Engine;

/// <summary>Builds the messages sent to the model at each step from the session's state.</summary>
public interface IContextBuilder
{
    /// <summary>Builds the context for the next model call.</summary>
    /// <param name="state">The session's state.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The messages to send, system prompt first.</returns>
    ValueTask<IList<ChatMessage>> BuildAsync(SessionState state, CancellationToken cancellationToken = default);

    /// <summary>
    /// Builds the context for the next model call of a session the caller is writing; a builder that
    /// changes what the model is shown (compaction, masking) journals that change through <paramref name="session"/>.
    /// </summary>
    /// <param name="session">The session's writer.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The messages to send, system prompt first.</returns>
    ValueTask<IList<ChatMessage>> BuildAsync(SessionWriter session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        return BuildAsync(session.State, cancellationToken);
    }
}

/// <summary>The simplest context: a fixed system prompt followed by the whole conversation.</summary>
/// <param name="systemPrompt">The system prompt.</param>
public sealed class AppendOnlyContextBuilder(string systemPrompt) : IContextBuilder
{
    /// <inheritdoc />
    public ValueTask<IList<ChatMessage>> BuildAsync(SessionState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        var messages = new List<ChatMessage>(state.Messages.Count + 1) { new(ChatRole.System, systemPrompt) };
        messages.AddRange(state.Messages);
        return ValueTask.FromResult<IList<ChatMessage>>(messages);
    }
}
