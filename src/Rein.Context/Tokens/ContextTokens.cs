using Microsoft.Extensions.AI;
using Rein.Engine;

namespace Rein.Context.Tokens;

/// <summary>Counts the tokens a model request sends: its messages and tool declarations.</summary>
/// <remarks>
/// The same count the agent loop journals as <c>context_tokens</c> (see <see cref="RequestTokens"/> for what is
/// counted and the per-message and per-tool overheads). Thread-safe.
/// </remarks>
public static class ContextTokens
{
    /// <summary>Counts a request's tokens.</summary>
    /// <param name="counter">The model's counter, e.g. from <see cref="TokenCounters.ForModel"/>.</param>
    /// <param name="messages">The messages sent.</param>
    /// <param name="tools">The tools declared, or <see langword="null"/> for none.</param>
    /// <returns>The number of input tokens the request is estimated to take.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="counter"/> or <paramref name="messages"/> is <see langword="null"/>.</exception>
    public static long Count(ITokenCounter counter, IEnumerable<ChatMessage> messages, IEnumerable<AITool>? tools) =>
        RequestTokens.Count(counter, messages, tools);
}
