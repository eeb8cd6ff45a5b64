using Rein.Context.Tokens;

namespace Rein.Context.Tests.Tokens;

public sealed class ModelWindowsTests
{
    [Theory]
    [InlineData("openai:gpt-5.5", 1_050_000)]
    [InlineData("openai:gpt-5", 400_000)]
    [InlineData("openai:gpt-5-mini", 400_000)]
    [InlineData("openai:gpt-5.1-codex", 400_000)]
    [InlineData("openai:gpt-4.1-mini", 1_047_576)]
    [InlineData("gpt-4o-2024-08-06", 128_000)]
    [InlineData("openai:gpt-4", 8_192)]
    [InlineData("openai:o3-mini", 200_000)]
    [InlineData("anthropic:claude-sonnet-4-5", 200_000)]
    [InlineData("claude-opus-4-1-20250805", 200_000)]
    [InlineData("anthropic:claude-haiku-4.5", 200_000)]
    [InlineData("ollama:qwen3:8b", 40_960)]
    [InlineData("ollama:qwen3-coder:30b", 262_144)]
    [InlineData("ollama:llama3.1:8b", 131_072)]
    public void For_KnownModel_ReturnsItsWindow(string model, int expected) =>
        Assert.Equal(expected, ModelWindows.For(model));

    [Fact]
    public void For_UnknownModel_ReturnsTheFallback()
    {
        Assert.Equal(ModelWindows.Fallback, ModelWindows.For("openai-compatible:my-finetune"));
        Assert.Equal(ModelWindows.OllamaFallback, ModelWindows.For("ollama:some-local-model"));
        Assert.Null(ModelWindows.TryFind("scripted:turns.json"));
    }

    [Fact]
    public void For_Override_Wins()
    {
        Assert.Equal(50_000, ModelWindows.For("openai:gpt-5", 50_000));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelWindows.For("openai:gpt-5", 0));
    }
}
