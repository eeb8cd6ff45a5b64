using Rein.Engine;

namespace Rein.Context.Tokens;

/// <summary>
/// Estimates a tokenizer Rein does not ship from the text's length: <see cref="TokenCounters.EstimateCharsPerToken"/>
/// characters a token, rounded up. It loads no vocabulary, so models without a shipped tokenizer cost nothing at start-up.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class EstimatingTokenCounter(double charsPerToken) : ITokenCounter
{
    public string Encoding => TokenCounters.Estimate;

    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length == 0 ? 0 : (int)Math.Ceiling(text.Length / charsPerToken);
    }
}
