using Rein.Engine;

namespace Rein.Context.Tokens;

/// <summary>The token counter for a model: its own tokenizer where Rein ships it, an estimate otherwise.</summary>
/// <remarks>
/// <para>
/// <c>o200k_base</c> counts OpenAI's gpt-4o, gpt-4.1, gpt-4.5, gpt-5*, o1, o3 and o4 families, gpt-oss, and any
/// other model of the <c>openai</c> / <c>openai-responses</c> providers. <c>cl100k_base</c> counts gpt-4 (not 4o or
/// 4.1), gpt-3.5 and the older embedding models. Every other model (Claude, Ollama models, <c>openai-compatible</c>
/// servers, <c>scripted</c> and <c>replay</c>, unknown names) gets an <see cref="Estimate"/> counter: the text's
/// length over <see cref="EstimateCharsPerToken"/>, rounded up — no vocabulary to load (o200k's costs ~50 MB and
/// ~0.4 s of CPU), which matters for start-up and memory.
/// </para>
/// <para>
/// Counters are shared singletons: thread-safe, each loading its encoding's data once, lazily, on first count
/// (loading o200k takes a few hundred milliseconds; call <see cref="WarmUp"/> at start-up to do it in the
/// background). They remember the counts of long strings (bounded), so re-counting an unchanged history is cheap.
/// </para>
/// </remarks>
public static class TokenCounters
{
    /// <summary>The encoding name of estimating counters: <c>estimate</c>.</summary>
    public const string Estimate = "estimate";

    /// <summary>The o200k encoding's name: <c>o200k_base</c>.</summary>
    public const string O200kBase = "o200k_base";

    /// <summary>The cl100k encoding's name: <c>cl100k_base</c>.</summary>
    public const string Cl100kBase = "cl100k_base";

    /// <summary>
    /// The characters a token an estimate assumes: 3.5. o200k averages about 4 on English and code; Claude's and most
    /// open models' tokenizers make 5–30% more tokens of the same text, so erring high keeps window checks safe.
    /// </summary>
    public const double EstimateCharsPerToken = 3.5;

    private static readonly string[] KnownProviders = ["openai", "openai-responses", "openai-compatible", "anthropic", "ollama", "scripted", "replay"];
    private static readonly string[] O200kPrefixes = ["gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "gpt-oss", "o1", "o3", "o4", "codex-"];
    private static readonly string[] Cl100kPrefixes = ["gpt-4", "gpt-3.5", "gpt-35", "text-embedding-3", "text-embedding-ada-002"];

    private static readonly TiktokenCounter O200k = new(O200kBase);
    private static readonly TiktokenCounter Cl100k = new(Cl100kBase);
    private static readonly EstimatingTokenCounter Estimating = new(EstimateCharsPerToken);

    /// <summary>Gets the counter for a model.</summary>
    /// <param name="model">A Rein model spec (<c>openai:gpt-5.5</c>, <c>anthropic:claude-sonnet-4-5</c>, <c>ollama:qwen3</c>,
    /// <c>scripted:turns.json</c>) or a bare model name (<c>gpt-4o-2024-08-06</c>).</param>
    /// <returns>The counter (shared; its <see cref="ITokenCounter.Encoding"/> names what it counts with).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    public static ITokenCounter ForModel(string model) => EncodingOf(model) switch
    {
        O200kBase => O200k,
        Cl100kBase => Cl100k,
        _ => Estimating,
    };

    /// <summary>Starts loading the encoding a model's counter needs on the thread pool, and returns at once.</summary>
    /// <param name="model">The model, as for <see cref="ForModel"/>.</param>
    /// <returns>A task that completes when the encoding is loaded. It never faults: a load failure surfaces on the first count.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    public static Task WarmUp(string model)
    {
        var counter = ForModel(model) as TiktokenCounter;
        if (counter is null || counter.IsLoaded)
        {
            return Task.CompletedTask;
        }

        return Task.Run(() =>
        {
            try
            {
                counter.Load();
            }
#pragma warning disable CA1031 // Warming up is best effort; the same failure is thrown again by the first count, where it is handled.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }, CancellationToken.None);
    }

    /// <summary>Gets the name of the encoding <see cref="ForModel"/> counts a model with.</summary>
    internal static string EncodingOf(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (provider, name) = Split(model);
        switch (provider)
        {
            case "anthropic" or "ollama" or "scripted" or "replay" or "openai-compatible":
                return Estimate;
        }

        if (O200kPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
        {
            return O200kBase;
        }

        if (Cl100kPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
        {
            return Cl100kBase;
        }

        return provider is "openai" or "openai-responses" ? O200kBase : Estimate;
    }

    /// <summary>Splits a model spec into its known provider (or <see langword="null"/>) and its lower-case model name.</summary>
    internal static (string? Provider, string Name) Split(string model)
    {
        var text = model.Trim().ToLowerInvariant();
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && KnownProviders.Contains(text[..colon], StringComparer.Ordinal)
            ? (text[..colon], text[(colon + 1)..])
            : (null, text);
    }
}
