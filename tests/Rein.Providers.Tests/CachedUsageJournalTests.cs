using Microsoft.Extensions.AI;
using Rein.Engine;
using Rein.Guard.Budgets;
using Rein.Journal;
using Rein.Testing;
using Rein.Testing.FakeProviders;

namespace Rein.Providers.Tests;

/// <summary>Cached and cache-written tokens travel from the provider's usage into <c>model_called</c> and are priced right.</summary>
public sealed class CachedUsageJournalTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<ModelCalled> RunOneStepAsync(IChatClient client, string model)
    {
        var store = new InMemorySessionStore();
        var session = await SessionWriter.StartAsync(store, new SessionStarted("s1", "/ws", model), Ct);
        var options = new AgentLoopOptions { Pricing = PriceTable.BuiltIn.CreatePricing(model), TokenCounter = new CharCounter() };
        var loop = new AgentLoop(client, new Tools.ToolSet([]), new AppendOnlyContextBuilder("You are a test agent."), options);
        await foreach (var update in loop.RunAsync(session, "hi", Ct))
        {
            _ = update;
        }

        return Assert.Single((await store.ReadAsync("s1", 0, Ct)).Select(e => e.Event).OfType<ModelCalled>());
    }

    [Fact]
    public async Task RunAsync_AnthropicCacheReadsAndWrites_JournaledAndPriced()
    {
        await using var fake = await FakeMessagesApi.StartAsync(Ct, inputTokens: 1_000, cacheWrites: 2_000, cacheReads: 30_000, outputTokens: 500);
        using var client = fake.CreateClient();

        var called = await RunOneStepAsync(client, "anthropic:claude-sonnet-4-5");

        Assert.Equal(new TokenUsage(InputTokens: 33_000, OutputTokens: 500, CachedInputTokens: 30_000, CacheWriteInputTokens: 2_000), called.Usage);
        // claude-sonnet-4-5: 1,000 fresh at $3, 30,000 cached at $0.30, 2,000 written at $3.75, 500 output at $15 (per million).
        Assert.Equal(((1_000 * 3m) + (30_000 * 0.30m) + (2_000 * 3.75m) + (500 * 15m)) / 1_000_000m, called.CostUsd);
        Assert.NotNull(called.ContextTokens);
        Assert.True(called.ContextTokens > 0);
    }

    [Fact]
    public async Task RunAsync_OpenAICachedTokens_JournaledAndPriced()
    {
        await using var server = await FakeOpenAIServer.StartAsync(Ct);
        server.Enqueue(FakeReply.Text("done", new FakeUsage(InputTokens: 10_000, OutputTokens: 400, CachedInputTokens: 8_000)));
        using var client = ModelProviders.Create(new ModelSpec("openai", "gpt-5"), new ProviderOptions
        {
            BaseUrl = server.BaseUrl,
            ApiKey = "test-key",
            GetEnvironmentVariable = _ => null,
            MaxRetries = 0,
        });

        var called = await RunOneStepAsync(client, "openai:gpt-5");

        Assert.Equal(new TokenUsage(InputTokens: 10_000, OutputTokens: 400, CachedInputTokens: 8_000), called.Usage);
        // gpt-5: 2,000 fresh at $1.25, 8,000 cached at $0.125, 400 output at $10 (per million).
        Assert.Equal(((2_000 * 1.25m) + (8_000 * 0.125m) + (400 * 10m)) / 1_000_000m, called.CostUsd);
    }

    /// <summary>One token per four characters: enough to see that the request was counted.</summary>
    private sealed class CharCounter : ITokenCounter
    {
        public string Encoding => "chars";

        public int CountTokens(string text) => (text.Length + 3) / 4;
    }
}
