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
