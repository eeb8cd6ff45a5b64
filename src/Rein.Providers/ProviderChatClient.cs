using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Rein.Engine;

namespace Rein.Providers;

/// <summary>
/// The client handed out by <see cref="ModelProviders.Create"/>: owns and disposes the HTTP resources behind an SDK adapter,
/// refuses answers that did not arrive whole, and turns SDK failures into messages in the user's terms.
/// </summary>
internal sealed class ProviderChatClient(IChatClient inner, IEnumerable<IDisposable> owned, string provider) : DelegatingChatClient(inner)
{
    private readonly IDisposable[] _owned = [.. owned];

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ProviderErrors.Describe(ex, provider) is { } message)
        {
            throw new ModelCallException(message, ex);
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Every provider closes a whole answer with a finish reason (stop, tool calls, length...); a stream that ends without
        // one was cut (a crashed server or proxy, a body in another format) and must not pass for a final answer.
        var finished = false;
        var received = false;
        var updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (updates.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ProviderErrors.Describe(ex, provider) is { } message)
                {
                    throw new ModelCallException(message, ex);
                }

                var update = updates.Current;
                finished |= update.FinishReason is not null;
                received |= update.Contents.Count > 0;
                yield return update;
            }
        }

        if (!finished)
        {
            throw new ModelCallException(received
                ? $"The {provider} answer stopped before it was complete (the stream ended without a finish reason: the connection was cut or the server crashed)."
                : $"The {provider} server answered without a model response (an empty answer, or a body that is not in the provider's format).");
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var resource in _owned)
            {
                resource.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
