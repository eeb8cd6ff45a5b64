using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rein.Journal;

namespace Rein.Guard.Budgets;

/// <summary>
/// Model prices in US dollars per million tokens: the built-in table (<see cref="BuiltIn"/>, checked on
/// <see cref="BuiltInCheckedOn"/>) with any overrides from settings.
/// </summary>
/// <remarks>
/// <para>
/// A model is looked up by <c>provider:model</c> spec (<c>openai:gpt-5</c>, <c>ollama:qwen3:8b</c>) or by bare
/// name as providers report it (<c>gpt-4o-2024-08-06</c>). Names are case-insensitive; a dated suffix
/// (<c>-20250929</c>, <c>-2024-08-06</c>) or <c>-latest</c> is dropped when the full name has no entry, and
/// Claude names may use dots (<c>claude-sonnet-4.5</c>). Entries are tried most specific first:
/// <c>provider:model</c>, then <c>provider:*</c> (every <c>ollama</c>, <c>scripted</c> and <c>replay</c> model is free),
/// then the bare model name. A model with no entry has no price (<see langword="null"/>), never a guessed one.
/// </para>
/// <para>Immutable and thread-safe.</para>
/// </remarks>
public sealed partial class PriceTable
{
    private static readonly string[] KnownProviders = ["openai", "openai-responses", "openai-compatible", "anthropic", "ollama", "scripted", "replay"];
    private static readonly string[] PriceKeys = ["input", "cached_input", "output", "cache_write"];
    private readonly Dictionary<string, ModelPrice> _prices;

    private PriceTable(Dictionary<string, ModelPrice> prices) => _prices = prices;

    /// <summary>Gets the built-in table.</summary>
    public static PriceTable BuiltIn { get; } = new(new Dictionary<string, ModelPrice>(BuiltInPrices.Entries, StringComparer.Ordinal));

    /// <summary>Gets the day (ISO 8601) the built-in table was last checked against the providers' price lists.</summary>
    public static string BuiltInCheckedOn => BuiltInPrices.CheckedOn;

    /// <summary>Gets the entries, keyed by lower-case bare model name, <c>provider:model</c> or <c>provider:*</c>.</summary>
    public IReadOnlyDictionary<string, ModelPrice> Entries => _prices;

    /// <summary>Finds a model's price.</summary>
    /// <param name="model">A <c>provider:model</c> spec or a bare model name, e.g. <c>claude-sonnet-4-5-20250929</c>.</param>
    /// <param name="provider">
    /// The provider to assume when <paramref name="model"/> names none, e.g. <c>ollama</c> (a full spec such as
    /// <c>ollama:qwen3:8b</c> is accepted and its provider used), or <see langword="null"/>.
    /// </param>
    /// <returns>The price, or <see langword="null"/> when the model has none.</returns>
    public ModelPrice? Find(string? model, string? provider = null)
    {
        if (string.IsNullOrWhiteSpace(model))
        {
            return null;
        }

        var (ownProvider, name) = Split(model.Trim().ToLowerInvariant());
        var providers = Providers(ownProvider ?? ProviderOf(provider));
        var names = Variants(name);
        foreach (var p in providers)
        {
            foreach (var n in names)
            {
                if (_prices.TryGetValue($"{p}:{n}", out var price))
                {
                    return price;
                }
            }
        }

        foreach (var p in providers)
        {
            if (_prices.TryGetValue($"{p}:*", out var price))
            {
                return price;
            }
        }

        foreach (var n in names)
        {
            if (_prices.TryGetValue(n, out var price))
            {
                return price;
            }
        }

        return null;
    }

    /// <summary>Prices one model call.</summary>
    /// <param name="model">The model, as for <see cref="Find"/>.</param>
    /// <param name="usage">The call's usage.</param>
    /// <returns>The price in US dollars (see <see cref="ModelPrice.Cost"/>), or <see langword="null"/> when the model has no price.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="usage"/> is <see langword="null"/>.</exception>
    public decimal? Price(string? model, TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        return Find(model)?.Cost(usage);
    }

    /// <summary>Creates the pricing function for <c>AgentLoopOptions.Pricing</c>.</summary>
    /// <param name="modelSpec">
    /// The session's model spec, e.g. <c>ollama:qwen3:8b</c>: its provider is assumed for the bare names providers
    /// report, and it is priced when the call reports no model. <see langword="null"/> to price reported names alone.
    /// </param>
    /// <returns>A function from the model (as reported) and usage to US dollars, or <see langword="null"/> when unpriced.</returns>
    public Func<string?, TokenUsage, decimal?> CreatePricing(string? modelSpec = null)
    {
        var provider = ProviderOf(modelSpec);
        return (model, usage) => usage is null ? null : Find(model ?? modelSpec, provider)?.Cost(usage);
    }

    /// <summary>Returns a copy of this table with one entry added or replaced.</summary>
    /// <param name="key">A bare model name, <c>provider:model</c> or <c>provider:*</c>.</param>
    /// <param name="price">The price.</param>
    /// <returns>The new table.</returns>
    /// <exception cref="ArgumentException"><paramref name="key"/> is empty.</exception>
    public PriceTable With(string key, ModelPrice price)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(price);
        var prices = new Dictionary<string, ModelPrice>(_prices, StringComparer.Ordinal) { [key.Trim().ToLowerInvariant()] = price };
        return new PriceTable(prices);
    }

    /// <summary>
    /// Returns a copy of this table with the prices of a settings file's <c>"prices"</c> section, e.g.
    /// <c>{"openai:gpt-5.5": {"input": 1.25, "cached_input": 0.125, "output": 10, "cache_write": 1.5625}}</c>.
    /// </summary>
    /// <param name="pricesSection">The section: an object from model keys to prices. <c>input</c> and <c>output</c> are required;
    /// <c>cached_input</c> defaults to <c>input</c> (no discount); <c>cache_write</c> is optional. A <see langword="null"/> or
    /// undefined element leaves the table as it is.</param>
    /// <param name="path">The settings file, named in errors.</param>
    /// <returns>The new table.</returns>
    /// <exception cref="FormatException">The section is malformed; the message names the file and the key.</exception>
    public PriceTable WithOverrides(JsonElement pricesSection, string path)
    {
        if (pricesSection.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return this;
        }

        if (pricesSection.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{path}: \"prices\" must be an object from model to price, e.g. {{\"openai:gpt-5.5\": {{\"input\": 1.25, \"output\": 10}}}}.");
        }

        var prices = new Dictionary<string, ModelPrice>(_prices, StringComparer.Ordinal);
        foreach (var entry in pricesSection.EnumerateObject())
        {
            var key = entry.Name.Trim().ToLowerInvariant();
            var where = $"{path}: \"prices\".\"{entry.Name}\"";
            if (key.Length == 0 || key == "*" || key.EndsWith(':'))
            {
                throw new FormatException($"{where}: a price key is a model name, provider:model or provider:*, e.g. \"openai:gpt-5.5\".");
            }

            prices[key] = ReadPrice(entry.Value, where);
        }

        return new PriceTable(prices);
    }

    private static ModelPrice ReadPrice(JsonElement value, string where)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{where} must be an object like {{\"input\": 1.25, \"cached_input\": 0.125, \"output\": 10}} (US dollars per million tokens).");
        }

        foreach (var property in value.EnumerateObject())
        {
            if (!PriceKeys.Contains(property.Name, StringComparer.Ordinal))
            {
                throw new FormatException($"{where}.\"{property.Name}\" is not a price key; use {string.Join(", ", PriceKeys)}.");
            }
        }

        var input = ReadDollars(value, "input", where) ?? throw new FormatException($"{where}.\"input\" is required (US dollars per million input tokens).");
        var output = ReadDollars(value, "output", where) ?? throw new FormatException($"{where}.\"output\" is required (US dollars per million output tokens).");
        return new ModelPrice(input, ReadDollars(value, "cached_input", where) ?? input, output, ReadDollars(value, "cache_write", where));
    }

    private static decimal? ReadDollars(JsonElement obj, string key, string where)
    {
        if (!obj.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var dollars) && dollars >= 0
            ? dollars
            : throw new FormatException($"{where}.\"{key}\" must be a number of US dollars per million tokens, at least 0, not {Describe(value)}.");
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.String => string.Create(CultureInfo.InvariantCulture, $"the string \"{value.GetString()}\""),
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };

    private static (string? Provider, string Name) Split(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && KnownProviders.Contains(text[..colon], StringComparer.Ordinal)
            ? (text[..colon], text[(colon + 1)..])
            : (null, text);
    }

    private static string? ProviderOf(string? providerOrSpec)
    {
        if (string.IsNullOrWhiteSpace(providerOrSpec))
        {
            return null;
        }

        var text = providerOrSpec.Trim().ToLowerInvariant();
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? text[..colon] : text;
    }

    private static List<string> Providers(string? provider) =>
        provider is null ? []
        : provider == "openai-responses" ? [provider, "openai"]
        : [provider];

    private static List<string> Variants(string name)
    {
        var variants = new List<string>(4);
        void Add(string n)
        {
            if (!variants.Contains(n, StringComparer.Ordinal))
            {
                variants.Add(n);
            }
        }

        foreach (var n in name.StartsWith("claude-", StringComparison.Ordinal) ? [name, name.Replace('.', '-')] : new[] { name })
        {
            Add(n);
            var undated = DatedSuffix().Match(n) is { Success: true } dated ? dated.Groups["base"].Value : n;
            Add(undated);
            if (undated.EndsWith("-latest", StringComparison.Ordinal))
            {
                Add(undated[..^"-latest".Length]);
            }
        }

        return variants;
    }

    [GeneratedRegex(@"^(?<base>.+?)-(?:\d{8}|\d{4}-\d{2}-\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex DatedSuffix();
}
