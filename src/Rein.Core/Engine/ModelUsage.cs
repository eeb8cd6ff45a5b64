using Microsoft.Extensions.AI;
using Rein.Journal;

namespace Rein.Engine;

/// <summary>Converts the usage a chat client reports into a journal <see cref="TokenUsage"/>.</summary>
/// <remarks>
/// Chat clients report <see cref="UsageDetails.InputTokenCount"/> as all input tokens and
/// <see cref="UsageDetails.CachedInputTokenCount"/> as those read from the prompt cache; tokens written to the cache
/// travel in <see cref="UsageDetails.AdditionalCounts"/> under <see cref="CacheWriteInputTokensKey"/>, the key the
/// Anthropic SDK's adapter uses (it already counts them, and the cache reads, in the input: the API's own
/// <c>input_tokens</c> excludes both).
/// </remarks>
public static class ModelUsage
{
    /// <summary>The <see cref="UsageDetails.AdditionalCounts"/> key of input tokens written to the prompt cache: <c>CacheCreationInputTokens</c>.</summary>
    public const string CacheWriteInputTokensKey = "CacheCreationInputTokens";

    /// <summary>Converts a reported usage.</summary>
    /// <param name="usage">The usage, or <see langword="null"/> when none was reported.</param>
    /// <returns>The usage, or <see cref="TokenUsage.Zero"/>.</returns>
    public static TokenUsage From(UsageDetails? usage) => usage is null
        ? TokenUsage.Zero
        : new TokenUsage(
            usage.InputTokenCount ?? 0,
            usage.OutputTokenCount ?? 0,
            usage.CachedInputTokenCount ?? 0,
            usage.AdditionalCounts?.TryGetValue(CacheWriteInputTokensKey, out var written) == true ? written : 0);
}
