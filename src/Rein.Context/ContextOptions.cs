using System.ComponentModel.DataAnnotations;

namespace Rein.Context;

/// <summary>How Rein builds the model's context. The defaults stay within what published studies found safe.</summary>
public sealed class ContextOptions
{
    /// <summary>Gets or sets whether re-reads of content already in the context are shown as references or diffs. Default: on.</summary>
    public bool CodeMemory { get; set; } = true;

    /// <summary>Gets or sets the largest observation, in characters, shown whole; longer ones are cut head and tail. Default: 16,000.</summary>
    [Range(1_000, 10_000_000)]
    public int MaxObservationChars { get; set; } = 16_000;

    /// <summary>Gets or sets the smallest repeated output, in characters, shown as a reference to its first copy. Default: 200.</summary>
    [Range(1, 1_000_000)]
    public int MinRepeatedOutputChars { get; set; } = 200;

    /// <summary>Gets or sets whether old observations may be masked. Default: on.</summary>
    public bool Masking { get; set; } = true;

    /// <summary>Gets or sets how many of the most recent observations always stay whole. Default: 10.</summary>
    [Range(1, 1_000)]
    public int KeepRecentObservations { get; set; } = 10;

    /// <summary>Gets or sets the fewest tokens a masking batch must save. Default: 2,000.</summary>
    [Range(0, 10_000_000)]
    public int MinMaskTokens { get; set; } = 2_000;

    /// <summary>Gets or sets how much more the expected saving must be than the cost of rewriting the cache. Default: 1.5.</summary>
    [Range(0.0, 100.0)]
    public double MaskMargin { get; set; } = 1.5;

    /// <summary>Gets or sets the price of cached input relative to fresh input. Default: 0.1.</summary>
    [Range(0.0, 1.0)]
    public double CacheReadPrice { get; set; } = 0.1;

    /// <summary>Gets or sets the price of writing input to the cache relative to fresh input (Anthropic: 1.25; OpenAI: 1). Default: 1.25.</summary>
    [Range(1.0, 10.0)]
    public double CacheWritePrice { get; set; } = 1.25;

    /// <summary>Gets or sets the model's context window in tokens. Default: 128,000.</summary>
    [Range(1_000, 100_000_000)]
    public int ContextWindow { get; set; } = 128_000;

    /// <summary>Gets or sets the share of the window past which older turns are compacted. Default: 0.8.</summary>
    [Range(0.1, 1.0)]
    public double CompactionThreshold { get; set; } = 0.8;

    /// <summary>Gets or sets how many of the latest model turns compaction keeps as they are. Default: 2.</summary>
    [Range(0, 100)]
    public int CompactionKeepTurns { get; set; } = 2;
}
