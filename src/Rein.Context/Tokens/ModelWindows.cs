namespace Rein.Context.Tokens;

/// <summary>The context windows (input tokens a request may carry) of known models.</summary>
/// <remarks>
/// <para>
/// Looked up by Rein model spec (<c>openai:gpt-5.5</c>, <c>ollama:qwen3:8b</c>) or bare name; names are
/// case-insensitive, and the longest known prefix wins, so dated snapshots (<c>gpt-4o-2024-08-06</c>,
/// <c>claude-sonnet-4-5-20250929</c>) and Ollama size tags (<c>qwen3:8b</c>) find their family. Claude names may use dots
/// (<c>claude-sonnet-4.5</c>). Figures are the providers' documented input limits at their standard tier (Claude's
/// 1M-token beta is opt-in and not assumed). Ollama's figure is the model's trained context; the server's own
/// <c>num_ctx</c> setting may be smaller.
/// </para>
/// <para>
/// A model with no entry gets <see cref="Fallback"/>, or <see cref="OllamaFallback"/> for an unknown Ollama model.
/// Immutable and thread-safe.
/// </para>
/// </remarks>
public static class ModelWindows
{
    /// <summary>The window assumed for an unknown model: 128,000 tokens (what most current hosted models offer at least).</summary>
    public const int Fallback = 128_000;

    /// <summary>The window assumed for an unknown Ollama model: 32,768 tokens (a common trained context of local models).</summary>
    public const int OllamaFallback = 32_768;

    // Longest prefix first, so "gpt-4o" is not found as "gpt-4", nor "gpt-5-mini" ... as "gpt-5".
    private static readonly KeyValuePair<string, int>[] Windows = [.. new Dictionary<string, int>(StringComparer.Ordinal)
    {
        // OpenAI (input tokens: the context window minus the largest output, where OpenAI documents both).
        ["gpt-5.5"] = 1_050_000,
        ["gpt-5.4"] = 1_050_000,
        ["gpt-5.4-mini"] = 400_000,
        ["gpt-5.4-nano"] = 400_000,
        ["gpt-5"] = 400_000,
        ["gpt-5-chat"] = 128_000,
        ["gpt-4.1"] = 1_047_576,
        ["gpt-4.5"] = 128_000,
        ["gpt-4o"] = 128_000,
        ["chatgpt-4o"] = 128_000,
        ["gpt-4-turbo"] = 128_000,
        ["gpt-4"] = 8_192,
        ["gpt-3.5-turbo"] = 16_385,
        ["gpt-oss"] = 131_072,
        ["o1"] = 200_000,
        ["o1-mini"] = 128_000,
        ["o3"] = 200_000,
        ["o4-mini"] = 200_000,
        ["codex-mini"] = 200_000,

        // Anthropic.
        ["claude-opus-4"] = 200_000,
        ["claude-sonnet-4"] = 200_000,
        ["claude-haiku-4"] = 200_000,
        ["claude-3-7-sonnet"] = 200_000,
        ["claude-3-5-sonnet"] = 200_000,
        ["claude-3-5-haiku"] = 200_000,
        ["claude"] = 200_000,

        // Common Ollama models (trained context).
        ["qwen3-coder"] = 262_144,
        ["qwen3"] = 40_960,
        ["qwen2.5-coder"] = 32_768,
        ["qwen2.5"] = 32_768,
        ["llama3.3"] = 131_072,
        ["llama3.2"] = 131_072,
        ["llama3.1"] = 131_072,
        ["llama3"] = 8_192,
        ["mistral-small"] = 131_072,
        ["mistral"] = 32_768,
        ["devstral"] = 131_072,
        ["deepseek-r1"] = 131_072,
        ["deepseek-coder-v2"] = 163_840,
        ["gemma3"] = 131_072,
        ["phi4"] = 16_384,
        ["granite3.3"] = 131_072,
    }.OrderByDescending(e => e.Key.Length).ThenBy(e => e.Key, StringComparer.Ordinal)];

    /// <summary>Gets the context window of a model, in input tokens.</summary>
    /// <param name="model">A Rein model spec or a bare model name.</param>
    /// <param name="overrideTokens">A window configured by the user, which wins when given; <see langword="null"/> to look it up.</param>
    /// <returns>The window in tokens.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="overrideTokens"/> is less than 1.</exception>
    public static int For(string model, int? overrideTokens = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (overrideTokens is { } given)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(given, 1, nameof(overrideTokens));
            return given;
        }

        return TryFind(model) ?? (TokenCounters.Split(model).Provider == "ollama" ? OllamaFallback : Fallback);
    }

    /// <summary>Finds the documented context window of a model.</summary>
    /// <param name="model">A Rein model spec or a bare model name.</param>
    /// <returns>The window in tokens, or <see langword="null"/> when the model is not known.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    public static int? TryFind(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var name = TokenCounters.Split(model).Name;
        if (name.StartsWith("claude-", StringComparison.Ordinal))
        {
            name = name.Replace('.', '-');
        }

        foreach (var (prefix, window) in Windows)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal) && IsBoundary(name, prefix.Length))
            {
                return window;
            }
        }

        return null;
    }

    /// <summary>A prefix matches a whole name part: "gpt-4" matches "gpt-4-0613" but not "gpt-40"; "qwen3" matches "qwen3:8b".</summary>
    private static bool IsBoundary(string name, int length) =>
        length == name.Length || name[length] is '-' or ':' or '.' or '@' or '/';
}
