using System.Globalization;
using System.Text.Json;
using Rein.Guard.Budgets;
using Rein.Journal;

namespace Rein.Guard.Tests.Budgets;

public sealed class PriceTableTests
{
    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void Find_ExactName_ReturnsItsPrice()
    {
        Assert.Equal(new ModelPrice(2.50m, 1.25m, 10.00m), PriceTable.BuiltIn.Find("gpt-4o"));
        Assert.Equal(new ModelPrice(0.25m, 0.025m, 2.00m), PriceTable.BuiltIn.Find("GPT-5-mini"));
        Assert.Equal(new ModelPrice(1.00m, 0.10m, 5.00m, 1.25m), PriceTable.BuiltIn.Find("claude-haiku-4-5"));
    }

    [Theory]
    [InlineData("claude-sonnet-4-5-20250929", "claude-sonnet-4-5")]
    [InlineData("gpt-4o-2024-08-06", "gpt-4o")]
    [InlineData("gpt-4o-mini-2024-07-18", "gpt-4o-mini")]
    [InlineData("claude-3-5-haiku-20241022", "claude-3-5-haiku")]
    [InlineData("claude-3-5-haiku-latest", "claude-3-5-haiku")]
    [InlineData("o3-2025-04-16", "o3")]
    [InlineData("claude-sonnet-4.5", "claude-sonnet-4-5")]
    public void Find_DatedOrAliasedName_FindsTheBaseModel(string reported, string baseModel)
    {
        var price = PriceTable.BuiltIn.Find(reported);

        Assert.NotNull(price);
        Assert.Equal(PriceTable.BuiltIn.Entries[baseModel], price);
    }

    [Theory]
    [InlineData("openai:gpt-5-nano", "gpt-5-nano")]
    [InlineData("anthropic:claude-opus-4-1-20250805", "claude-opus-4-1")]
    [InlineData("openai-responses:gpt-5", "gpt-5")]
    [InlineData("OpenAI:GPT-4.1-mini", "gpt-4.1-mini")]
    public void Find_ProviderSpec_FindsTheModel(string spec, string baseModel) =>
        Assert.Equal(PriceTable.BuiltIn.Entries[baseModel], PriceTable.BuiltIn.Find(spec));

    [Theory]
    [InlineData("ollama:qwen3:8b", null)]
    [InlineData("ollama:gpt-4o", null)]
    [InlineData("scripted:turns.json", null)]
    [InlineData("scripted", null)]
    [InlineData("replay:0193abcd", null)]
    [InlineData("qwen3:8b", "ollama")]
    [InlineData("llama3.2", "ollama:llama3.2")]
    public void Find_LocalAndOfflineModels_AreFree(string model, string? provider) =>
        Assert.Equal(ModelPrice.Free, PriceTable.BuiltIn.Find(model, provider));

    [Theory]
    [InlineData("gpt-9-ultra")]
    [InlineData("openai-compatible:my-finetune")]
    [InlineData("qwen3:8b")]
    [InlineData("gpt-5.5-pro")]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData(null)]
    public void Find_UnknownModel_ReturnsNull(string? model)
    {
        Assert.Null(PriceTable.BuiltIn.Find(model));
        Assert.Null(PriceTable.BuiltIn.Price(model, new TokenUsage(1000, 1000)));
    }

    [Fact]
    public void Price_CachedInput_CachedTokensAtCachedPriceRestAtInputPrice()
    {
        // gpt-4o: 600,000 uncached at $2.50 + 400,000 cached at $1.25 + 100,000 output at $10.
        Assert.Equal(3.00m, PriceTable.BuiltIn.Price("gpt-4o", new TokenUsage(1_000_000, 100_000, 400_000)));

        // claude-haiku-4-5: 234 at $1 + 1,000 at $0.10 + 567 at $5, per million, exactly.
        Assert.Equal(0.003169m, PriceTable.BuiltIn.Price("claude-haiku-4-5-20251001", new TokenUsage(1234, 567, 1000)));
    }

    [Fact]
    public void Price_CacheWrites_WrittenTokensAtCacheWritePrice()
    {
        // claude-sonnet-4-5: 100,000 fresh at $3 + 700,000 cached at $0.30 + 200,000 written at $3.75 + 10,000 output at $15.
        var usage = new TokenUsage(InputTokens: 1_000_000, OutputTokens: 10_000, CachedInputTokens: 700_000, CacheWriteInputTokens: 200_000);

        Assert.Equal(0.30m + 0.21m + 0.75m + 0.15m, PriceTable.BuiltIn.Price("anthropic:claude-sonnet-4-5", usage));
    }

    [Fact]
    public void Price_CacheWritesWithoutWritePrice_WrittenTokensAtInputPrice()
    {
        var price = new ModelPrice(Input: 2m, CachedInput: 0.5m, Output: 8m);

        Assert.Equal(((600_000 * 2m) + (400_000 * 2m)) / 1_000_000m, price.Cost(new TokenUsage(1_000_000, 0, 0, 400_000)));
    }

    [Fact]
    public void Price_BuiltInAnthropicCacheWrite_IsOneAndAQuarterTimesInput()
    {
        foreach (var (name, price) in PriceTable.BuiltIn.Entries.Where(e => e.Key.StartsWith("claude-", StringComparison.Ordinal)))
        {
            Assert.True(price.CacheWrite == price.Input * 1.25m, name);
        }
    }

    [Fact]
    public void Add_CacheWrites_AreSummed()
    {
        var sum = new TokenUsage(10, 1, 2, 3) + new TokenUsage(20, 2, 4, 6);

        Assert.Equal(new TokenUsage(30, 3, 6, 9), sum);
        Assert.Equal(sum, new TokenUsage(10, 1, 2, 3).Add(new TokenUsage(20, 2, 4, 6)));
    }

    [Fact]
    public void Price_MoreCachedThanInput_NeverNegative()
    {
        var price = new ModelPrice(10m, 1m, 20m);

        Assert.Equal(0.0001m, price.Cost(new TokenUsage(100, 0, 500)));
        Assert.Equal(0m, price.Cost(TokenUsage.Zero));
    }

    [Fact]
    public void WithOverrides_AddsAndReplaces_LeavesTheBuiltInTableAlone()
    {
        var table = PriceTable.BuiltIn.WithOverrides(Json("""
            {
              "openai:gpt-5.5": {"input": 1.25, "cached_input": 0.125, "output": 10, "cache_write": 1.5625},
              "GPT-4o": {"input": 1, "output": 2},
              "my-local-model": {"input": 0, "output": 0}
            }
            """), "/home/u/.rein/settings.json");

        Assert.Equal(new ModelPrice(1.25m, 0.125m, 10m, 1.5625m), table.Find("openai:gpt-5.5"));
        Assert.Equal(new ModelPrice(1.25m, 0.125m, 10m, 1.5625m), table.Find("gpt-5.5", "openai"));
        Assert.Equal(new ModelPrice(5.00m, 0.50m, 30.00m), table.Find("anthropic:gpt-5.5"));
        Assert.Equal(new ModelPrice(1m, 1m, 2m), table.Find("gpt-4o-2024-08-06"));
        Assert.Equal(0m, table.Price("openai-compatible:my-local-model", new TokenUsage(5000, 5000)));
        Assert.Equal(new ModelPrice(2.50m, 1.25m, 10.00m), PriceTable.BuiltIn.Find("gpt-4o"));
    }

    [Fact]
    public void WithOverrides_NullSection_ReturnsTheSameTable() =>
        Assert.Same(PriceTable.BuiltIn, PriceTable.BuiltIn.WithOverrides(Json("null"), "settings.json"));

    [Theory]
    [InlineData("""[1, 2]""", "\"prices\" must be an object")]
    [InlineData("""{"gpt-x": 3}""", "\"prices\".\"gpt-x\" must be an object")]
    [InlineData("""{"gpt-x": {"output": 3}}""", "\"prices\".\"gpt-x\".\"input\" is required")]
    [InlineData("""{"gpt-x": {"input": 3}}""", "\"prices\".\"gpt-x\".\"output\" is required")]
    [InlineData("""{"gpt-x": {"input": -1, "output": 3}}""", "\"prices\".\"gpt-x\".\"input\" must be a number")]
    [InlineData("""{"gpt-x": {"input": "1.25", "output": 3}}""", "\"prices\".\"gpt-x\".\"input\" must be a number of US dollars per million tokens, at least 0, not the string \"1.25\"")]
    [InlineData("""{"gpt-x": {"input": 1, "output": 3, "cached_input": true}}""", "\"prices\".\"gpt-x\".\"cached_input\" must be a number")]
    [InlineData("""{"gpt-x": {"input": 1, "output": 3, "cache_write": {}}}""", "\"prices\".\"gpt-x\".\"cache_write\" must be a number")]
    [InlineData("""{"gpt-x": {"input": 1, "output": 3, "cached": 0.1}}""", "\"prices\".\"gpt-x\".\"cached\" is not a price key")]
    [InlineData("""{"": {"input": 1, "output": 3}}""", "\"prices\".\"\": a price key is a model name")]
    [InlineData("""{"openai:": {"input": 1, "output": 3}}""", "\"prices\".\"openai:\": a price key is a model name")]
    public void WithOverrides_Malformed_ThrowsNamingFileAndKey(string json, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => PriceTable.BuiltIn.WithOverrides(Json(json), "/p/.rein/settings.json"));

        Assert.StartsWith("/p/.rein/settings.json: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreatePricing_BareReportedName_UsesTheSessionProvider()
    {
        var usage = new TokenUsage(1_000_000, 1_000_000);

        Assert.Equal(0m, PriceTable.BuiltIn.CreatePricing("ollama:qwen3:8b")("qwen3:8b", usage));
        Assert.Equal(12.50m, PriceTable.BuiltIn.CreatePricing("openai:gpt-4o")("gpt-4o-2024-08-06", usage));
        Assert.Equal(12.50m, PriceTable.BuiltIn.CreatePricing("openai:gpt-4o")(null, usage));
        Assert.Null(PriceTable.BuiltIn.CreatePricing("openai-compatible:x")("x", usage));
        Assert.Null(PriceTable.BuiltIn.CreatePricing()(null, usage));
    }

    [Fact]
    public void BuiltIn_NamesTheDayItWasChecked_AndPricesTheCommonModels()
    {
        Assert.True(DateOnly.TryParseExact(PriceTable.BuiltInCheckedOn, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _));
        foreach (var model in new[] { "gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini", "o3", "o4-mini",
            "claude-opus-4-1", "claude-opus-4-5", "claude-sonnet-4", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-3-5-haiku" })
        {
            var price = PriceTable.BuiltIn.Find(model);
            Assert.True(price is { Input: > 0, Output: > 0 } && price.CachedInput < price.Input, model);
        }
    }
}
