using Rein.Engine;

namespace Rein.Context.Tokens;

/// <summary>
/// Counts with a rough estimate (four characters a token) until a tokenizer has finished loading, then with the
/// tokenizer, so nothing on the path to the first model call waits for the load. Context decisions made on
/// estimates are journaled like any other, so a resumed session is shown the same context.
/// </summary>
/// <param name="counter">The counter to use once loaded.</param>
/// <param name="loaded">Completes when <paramref name="counter"/> is ready (see <see cref="TokenCounters.WarmUp"/>).</param>
public sealed class WarmingTokenCounter(ITokenCounter counter, Task loaded) : ITokenCounter
{
    /// <inheritdoc />
    public string Encoding => loaded.IsCompletedSuccessfully ? counter.Encoding : TokenCounters.Estimate;

    /// <inheritdoc />
    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return loaded.IsCompletedSuccessfully ? counter.CountTokens(text) : (text.Length + 3) / 4;
    }
}
