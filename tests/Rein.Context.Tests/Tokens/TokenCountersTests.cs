using System.Diagnostics;
using Rein.Context.Tokens;

namespace Rein.Context.Tests.Tokens;

public sealed class TokenCountersTests
{
    [Theory]
    [InlineData("openai:gpt-5.5")]
    [InlineData("openai:gpt-5-mini")]
    [InlineData("openai-responses:gpt-5.1-codex")]
    [InlineData("openai:gpt-4.1-mini")]
    [InlineData("openai:gpt-4o-2024-08-06")]
    [InlineData("openai:o3")]
    [InlineData("openai:o4-mini")]
    [InlineData("openai:some-future-model")]
    [InlineData("gpt-4o")]
    [InlineData("GPT-5")]
    public void ForModel_OpenAIModel_CountsWithO200k(string model) =>
        Assert.Equal(TokenCounters.O200kBase, TokenCounters.ForModel(model).Encoding);

    [Theory]
    [InlineData("openai:gpt-4")]
    [InlineData("openai:gpt-4-turbo")]
    [InlineData("openai:gpt-3.5-turbo")]
    [InlineData("gpt-4-0613")]
    public void ForModel_OlderOpenAIModel_CountsWithCl100k(string model) =>
        Assert.Equal(TokenCounters.Cl100kBase, TokenCounters.ForModel(model).Encoding);

    [Theory]
    [InlineData("anthropic:claude-sonnet-4-5")]
    [InlineData("claude-opus-4-1-20250805")]
    [InlineData("ollama:qwen3")]
    [InlineData("ollama:gpt-oss:20b")]
    [InlineData("scripted:turns.json")]
    [InlineData("openai-compatible:llama-3.1-70b")]
    [InlineData("mystery-model")]
    public void ForModel_OtherModel_Estimates(string model) =>
        Assert.Equal(TokenCounters.Estimate, TokenCounters.ForModel(model).Encoding);

    [Fact]
    public void CountTokens_O200k_MatchesTheEncoding()
    {
        var counter = TokenCounters.ForModel("openai:gpt-5.5");

        Assert.Equal(2, counter.CountTokens("hello world"));
        Assert.Equal(0, counter.CountTokens(""));
    }

    [Fact]
    public void CountTokens_Cl100k_MatchesTheEncoding()
    {
        var counter = TokenCounters.ForModel("openai:gpt-4");

        Assert.Equal(6, counter.CountTokens("tiktoken is great!"));
    }

    [Fact]
    public void CountTokens_Estimate_ErrsHighAgainstO200k()
    {
        var text = string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog. ", 40));
        var o200k = TokenCounters.ForModel("openai:gpt-5").CountTokens(text);

        var estimate = TokenCounters.ForModel("anthropic:claude-sonnet-4-5").CountTokens(text);

        Assert.Equal((int)Math.Ceiling(text.Length / TokenCounters.EstimateCharsPerToken), estimate);
        Assert.InRange(estimate, o200k, o200k * 1.5);
    }

    [Fact]
    public void CountTokens_SameLongTextTwice_SameCount()
    {
        var counter = TokenCounters.ForModel("openai:gpt-5");
        var text = string.Concat(Enumerable.Repeat("int x = 42; // the answer\n", 200));

        var first = counter.CountTokens(text);
        var second = counter.CountTokens(new string(text.AsSpan()));

        Assert.Equal(first, second);
        Assert.InRange(first, 1_000, 3_000);
    }

    [Fact]
    public async Task WarmUp_Model_LoadsItsEncodingOnce()
    {
        var started = Stopwatch.GetTimestamp();
        await TokenCounters.WarmUp("openai:gpt-5");
        var elapsed = Stopwatch.GetElapsedTime(started);
        TestContext.Current.SendDiagnosticMessage($"o200k_base loaded (or found loaded) in {elapsed.TotalMilliseconds:F0} ms");

        var counter = (TiktokenCounter)TokenCounters.ForModel("openai:gpt-5");
        Assert.True(counter.IsLoaded);
        Assert.Same(counter, TokenCounters.ForModel("openai:gpt-4o"));
        Assert.Same(Task.CompletedTask, TokenCounters.WarmUp("ollama:qwen3"));
    }

    [Fact]
    public void CountTokens_ManyThreads_AgreeWithOneThread()
    {
        var counter = TokenCounters.ForModel("openai:gpt-4");
        var texts = Enumerable.Range(0, 200).Select(i => $"line {i}: " + new string('x', i) + " done").ToArray();
        var expected = texts.Select(counter.CountTokens).ToArray();

        var actual = new int[texts.Length];
        Parallel.For(0, texts.Length, i => actual[i] = counter.CountTokens(texts[i]));

        Assert.Equal(expected, actual);
    }
}
