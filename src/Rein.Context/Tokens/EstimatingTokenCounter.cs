using Rein.Engine;

namespace Rein.Context.Tokens;

/// <summary>Estimates a tokenizer Rein does not ship: another encoding's count scaled by a factor, rounded up.</summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class EstimatingTokenCounter(TiktokenCounter basis, double factor) : ITokenCounter
{
    public string Encoding => TokenCounters.Estimate;

    /// <summary>Gets the counter whose count is scaled.</summary>
    public TiktokenCounter Basis => basis;

    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = basis.CountTokens(text);
        return tokens == 0 ? 0 : (int)Math.Ceiling(tokens * factor);
    }
}
