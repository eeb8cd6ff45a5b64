
namespace Rein.Providers.Tests;

public sealed class ModelSpecTests
{
    [Theory]
    [InlineData("openai:gpt-5.5", "openai", "gpt-5.5")]
    [InlineData("ollama:qwen3:8b", "ollama", "qwen3:8b")]
    [InlineData("Anthropic:claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5")]
    [InlineData("openai-compatible:meta/llama-3.1:70b", "openai-compatible", "meta/llama-3.1:70b")]
    [InlineData(" openai-responses:o4-mini ", "openai-responses", "o4-mini")]
    public void Parse_ValidText_SplitsOnFirstColon(string text, string provider, string model)
    {
        var spec = ModelSpec.Parse(text);

        Assert.Equal(new ModelSpec(provider, model), spec);
        Assert.Equal($"{provider}:{model}", spec.ToString());
    }

    [Theory]
    [InlineData("gpt-5.5")]
    [InlineData(":gpt-5.5")]
    [InlineData("gemini:pro")]
    [InlineData("scripted:demo")]
    public void Parse_UnknownOrMissingProvider_ThrowsFormatExceptionListingKnownProviders(string text)
    {
        var error = Assert.Throws<FormatException>(() => ModelSpec.Parse(text));

        Assert.All(ModelProviders.Known, name => Assert.Contains(name, error.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_MissingModel_ThrowsFormatException()
    {
        var error = Assert.Throws<FormatException>(() => ModelSpec.Parse("openai:"));

        Assert.Contains("names no model", error.Message, StringComparison.Ordinal);
    }
}
