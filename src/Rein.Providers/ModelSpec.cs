namespace Rein.Providers;

/// <summary>A model chosen by provider and model name, as written on the command line: <c>provider:model</c>.</summary>
/// <param name="Provider">The provider name, one of <see cref="ModelProviders.Known"/> (lower case).</param>
/// <param name="Model">The provider's model name, e.g. <c>gpt-5.5</c> or <c>qwen3:8b</c>.</param>
public sealed record ModelSpec(string Provider, string Model)
{
    /// <summary>
    /// Parses <c>provider:model</c>. Only the first <c>:</c> separates, so the model may contain more
    /// (<c>ollama:qwen3:8b</c> is provider <c>ollama</c>, model <c>qwen3:8b</c>).
    /// </summary>
    /// <param name="text">The text to parse, e.g. <c>openai:gpt-5.5</c>.</param>
    /// <returns>The parsed spec; the provider name is lower-cased.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">
    /// The provider or model is missing, or the provider is not one of <see cref="ModelProviders.Known"/>;
    /// the message lists the known providers.
    /// </exception>
    public static ModelSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        var colon = trimmed.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new FormatException(
                $"'{text}' does not name a provider. Write provider:model, e.g. openai:gpt-5.5; known providers: {string.Join(", ", ModelProviders.Known)}.");
        }

        var provider = trimmed[..colon].Trim().ToLowerInvariant();
        var model = trimmed[(colon + 1)..].Trim();
        if (!ModelProviders.Known.Contains(provider))
        {
            throw new FormatException(
                $"Unknown model provider '{provider}' in '{text}'. Known providers: {string.Join(", ", ModelProviders.Known)}.");
        }

        if (model.Length == 0)
        {
            throw new FormatException($"'{text}' names no model. Write {provider}:MODEL, e.g. openai:gpt-5.5.");
        }

        return new ModelSpec(provider, model);
    }

    /// <summary>Returns <c>provider:model</c>.</summary>
    /// <returns>The text that <see cref="Parse"/> reads back to this spec.</returns>
    public override string ToString() => $"{Provider}:{Model}";
}
