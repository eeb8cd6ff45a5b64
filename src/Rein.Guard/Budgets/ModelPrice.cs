using Rein.Journal;

namespace Rein.Guard.Budgets;

/// <summary>What a model costs, in US dollars per million tokens.</summary>
/// <param name="Input">Input (prompt) tokens that were not served from the provider's cache.</param>
/// <param name="CachedInput">Input tokens served from the provider's prompt cache.</param>
/// <param name="Output">Output tokens (reasoning tokens included).</param>
/// <param name="CacheWrite">
/// Input tokens written to the prompt cache, where the provider charges extra for that (Anthropic: 1.25× input for the
/// 5-minute cache); <see langword="null"/> prices them as ordinary input.
/// </param>
public sealed record ModelPrice(decimal Input, decimal CachedInput, decimal Output, decimal? CacheWrite = null)
{
    private const decimal PerMillion = 1_000_000m;

    /// <summary>Gets the price of nothing: for local and offline models.</summary>
    public static ModelPrice Free { get; } = new(0m, 0m, 0m, 0m);

    /// <summary>Prices one call's usage.</summary>
    /// <param name="usage">The usage; <see cref="TokenUsage.InputTokens"/> includes the cached and the cache-written ones.</param>
    /// <returns>
    /// The fresh input (input minus cached minus cache writes) at <see cref="Input"/>, the cached input at
    /// <see cref="CachedInput"/>, the cache writes at <see cref="CacheWrite"/> (else <see cref="Input"/>) and the output
    /// at <see cref="Output"/>, in US dollars.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="usage"/> is <see langword="null"/>.</exception>
    public decimal Cost(TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        var input = Math.Max(0, usage.InputTokens);
        var cached = Math.Clamp(usage.CachedInputTokens, 0, input);
        var written = Math.Clamp(usage.CacheWriteInputTokens, 0, input - cached);
        var output = Math.Max(0, usage.OutputTokens);
        return (((input - cached - written) * Input) + (cached * CachedInput) + (written * (CacheWrite ?? Input)) + (output * Output)) / PerMillion;
    }
}
