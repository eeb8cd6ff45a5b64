namespace Rein.Guard.Budgets;

/// <summary>
/// The built-in price table: US dollars per million tokens, standard (not batch) processing, at the
/// shortest context tier. Keys are bare model names (dated snapshots such as <c>gpt-4o-2024-08-06</c>
/// find their base name) or <c>provider:*</c> for every model of a provider.
/// </summary>
/// <remarks>
/// Prices change; settings can override any entry (<c>"prices"</c>, see <see cref="PriceTable.WithOverrides"/>).
/// Update <see cref="CheckedOn"/> with the table. Cache writes are Anthropic's 5-minute rate (1.25× input);
/// OpenAI charges nothing extra for cache writes, so its entries leave them at the input price.
/// </remarks>
internal static class BuiltInPrices
{
    /// <summary>The day the table was last checked against the providers' price lists.</summary>
    public const string CheckedOn = "2026-11-26";

    public static IReadOnlyList<KeyValuePair<string, ModelPrice>> Entries { get; } =
    [
        // OpenAI: input, cached input, output.
        new("gpt-5.5", new(5.00m, 0.50m, 30.00m)),
        new("gpt-5.4", new(2.50m, 0.25m, 15.00m)),
        new("gpt-5.4-mini", new(0.75m, 0.075m, 4.50m)),
        new("gpt-5.4-nano", new(0.20m, 0.02m, 1.25m)),
        new("gpt-5.2", new(1.75m, 0.175m, 14.00m)),
        new("gpt-5.1", new(1.25m, 0.125m, 10.00m)),
        new("gpt-5.1-codex", new(1.25m, 0.125m, 10.00m)),
        new("gpt-5", new(1.25m, 0.125m, 10.00m)),
        new("gpt-5-codex", new(1.25m, 0.125m, 10.00m)),
        new("gpt-5-mini", new(0.25m, 0.025m, 2.00m)),
        new("gpt-5-nano", new(0.05m, 0.005m, 0.40m)),
        new("gpt-4.1", new(2.00m, 0.50m, 8.00m)),
        new("gpt-4.1-mini", new(0.40m, 0.10m, 1.60m)),
        new("gpt-4.1-nano", new(0.10m, 0.025m, 0.40m)),
        new("gpt-4o", new(2.50m, 1.25m, 10.00m)),
        new("gpt-4o-mini", new(0.15m, 0.075m, 0.60m)),
        new("o3", new(2.00m, 0.50m, 8.00m)),
        new("o3-mini", new(1.10m, 0.55m, 4.40m)),
        new("o4-mini", new(1.10m, 0.275m, 4.40m)),

        // Anthropic: input, cache hits, output, 5-minute cache writes.
        new("claude-opus-4-8", new(5.00m, 0.50m, 25.00m, 6.25m)),
        new("claude-opus-4-7", new(5.00m, 0.50m, 25.00m, 6.25m)),
        new("claude-opus-4-6", new(5.00m, 0.50m, 25.00m, 6.25m)),
        new("claude-opus-4-5", new(5.00m, 0.50m, 25.00m, 6.25m)),
        new("claude-opus-4-1", new(15.00m, 1.50m, 75.00m, 18.75m)),
        new("claude-opus-4-0", new(15.00m, 1.50m, 75.00m, 18.75m)),
        new("claude-opus-4", new(15.00m, 1.50m, 75.00m, 18.75m)),
        new("claude-sonnet-4-6", new(3.00m, 0.30m, 15.00m, 3.75m)),
        new("claude-sonnet-4-5", new(3.00m, 0.30m, 15.00m, 3.75m)),
        new("claude-sonnet-4-0", new(3.00m, 0.30m, 15.00m, 3.75m)),
        new("claude-sonnet-4", new(3.00m, 0.30m, 15.00m, 3.75m)),
        new("claude-3-7-sonnet", new(3.00m, 0.30m, 15.00m, 3.75m)),
        new("claude-haiku-4-5", new(1.00m, 0.10m, 5.00m, 1.25m)),
        new("claude-3-5-haiku", new(0.80m, 0.08m, 4.00m, 1.00m)),

        // Local and offline models cost nothing.
        new("ollama:*", ModelPrice.Free),
        new("scripted:*", ModelPrice.Free),
        new("replay:*", ModelPrice.Free),
        new("scripted", ModelPrice.Free),
        new("replay", ModelPrice.Free),
    ];
}
