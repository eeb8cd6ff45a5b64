using Microsoft.Extensions.AI;
using Rein.Testing.FakeProviders;

namespace Rein.Providers.Tests;

public sealed class ModelProvidersTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Known_Always_ListsThePublicProviderNames()
    {
        Assert.Equal(["openai", "openai-responses", "anthropic", "ollama", "openai-compatible"], ModelProviders.Known);
    }

    [Theory]
    [InlineData("openai", "OPENAI_API_KEY")]
    [InlineData("openai-responses", "OPENAI_API_KEY")]
    [InlineData("anthropic", "ANTHROPIC_API_KEY")]
    public void Create_NoApiKey_ThrowsMissingApiKeyExceptionNamingTheVariable(string provider, string variable)
    {
        var options = new ProviderOptions { GetEnvironmentVariable = _ => null };

        var error = Assert.Throws<MissingApiKeyException>(() => ModelProviders.Create(new ModelSpec(provider, "m"), options));

        Assert.Equal(variable, error.VariableName);
        Assert.StartsWith($"{variable} is not set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_OllamaWithoutKey_Succeeds()
    {
        using var client = ModelProviders.Create(new ModelSpec("ollama", "qwen3:8b"), new ProviderOptions { GetEnvironmentVariable = _ => null });

        Assert.NotNull(client);
    }

    [Fact]
    public void Create_UnknownProvider_ThrowsArgumentExceptionListingKnownProviders()
    {
        var error = Assert.Throws<ArgumentException>(() => ModelProviders.Create(new ModelSpec("gemini", "pro"), new ProviderOptions()));

        Assert.Contains("openai-compatible", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_OpenAICompatibleWithoutBaseUrl_ThrowsArgumentExceptionAskingForIt()
    {
        var options = new ProviderOptions { GetEnvironmentVariable = _ => null };

        var error = Assert.Throws<ArgumentException>(() => ModelProviders.Create(new ModelSpec("openai-compatible", "local"), options));

        Assert.Contains("base URL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_InvalidBaseUrl_ThrowsArgumentException()
    {
        var options = new ProviderOptions { ApiKey = "k", BaseUrl = "not a url", GetEnvironmentVariable = _ => null };

        Assert.Throws<ArgumentException>(() => ModelProviders.Create(new ModelSpec("openai", "m"), options));
    }

    [Fact]
    public async Task Create_OpenAIKeyAndBaseUrlFromEnvironment_UsesThem()
    {
        await using var server = await FakeOpenAIServer.StartAsync(Ct);
        server.Enqueue(FakeReply.Text("ok"));
        var environment = new Dictionary<string, string> { ["OPENAI_API_KEY"] = "env-key", ["OPENAI_BASE_URL"] = server.BaseUrl };
        using var client = ModelProviders.Create(
            ModelSpec.Parse("openai:gpt-test"),
            new ProviderOptions { GetEnvironmentVariable = name => environment.GetValueOrDefault(name) });

        var response = await client.GetResponseAsync("hi", cancellationToken: Ct);

        Assert.Equal("ok", response.Text);
        Assert.Equal("Bearer env-key", server.Requests[0].Header("Authorization"));
    }

    [Fact]
    public async Task Create_AnthropicKeyAndBaseUrlFromEnvironment_UsesThem()
    {
        await using var server = await FakeAnthropicServer.StartAsync(Ct);
        server.Enqueue(FakeReply.Text("ok"));
        var environment = new Dictionary<string, string> { ["ANTHROPIC_API_KEY"] = "env-key", ["ANTHROPIC_BASE_URL"] = server.BaseUrl };
        using var client = ModelProviders.Create(
            ModelSpec.Parse("anthropic:claude-test"),
            new ProviderOptions { GetEnvironmentVariable = name => environment.GetValueOrDefault(name) });

        var response = await client.GetResponseAsync("hi", cancellationToken: Ct);

        Assert.Equal("ok", response.Text);
        var request = server.Requests[0];
        Assert.True(
            request.Header("x-api-key") == "env-key" || request.Header("Authorization") == "Bearer env-key",
            "The key from ANTHROPIC_API_KEY was not sent.");
    }

    [Fact]
    public async Task Create_OllamaHostWithoutScheme_AddsHttp()
    {
        await using var server = await FakeOllamaServer.StartAsync(Ct);
        server.Enqueue(FakeReply.Text("ok"));
        var host = server.Root.Authority;
        using var client = ModelProviders.Create(
            ModelSpec.Parse("ollama:qwen3:8b"),
            new ProviderOptions { GetEnvironmentVariable = name => name == "OLLAMA_HOST" ? host : null });

        var response = await client.GetResponseAsync("hi", cancellationToken: Ct);

        Assert.Equal("ok", response.Text);
        Assert.Equal("qwen3:8b", server.Requests[0].Json.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData(null, null, ModelProviders.PlaceholderApiKey)]
    [InlineData("rein-key", "openai-key", "rein-key")]
    [InlineData(null, "openai-key", "openai-key")]
    public async Task Create_OpenAICompatible_SendsKeyFromEnvironmentOrPlaceholder(string? reinKey, string? openAIKey, string expected)
    {
        await using var server = await FakeOpenAIServer.StartAsync(Ct);
        server.Enqueue(FakeReply.Text("ok"));
        var environment = new Dictionary<string, string?> { ["REIN_API_KEY"] = reinKey, ["OPENAI_API_KEY"] = openAIKey };
        using var client = ModelProviders.Create(
            ModelSpec.Parse("openai-compatible:local-model"),
            new ProviderOptions { BaseUrl = server.BaseUrl, GetEnvironmentVariable = name => environment.GetValueOrDefault(name) });

        var response = await client.GetResponseAsync("hi", cancellationToken: Ct);

        Assert.Equal("ok", response.Text);
        Assert.Equal($"Bearer {expected}", server.Requests[0].Header("Authorization"));
    }

    [Fact]
    public async Task Create_MaxOutputTokens_IsSentWhenTheRequestSetsNone()
    {
        await using var server = await FakeOpenAIServer.StartAsync(Ct);
        server.Enqueue(FakeReply.Text("ok"));
        using var client = ModelProviders.Create(
            ModelSpec.Parse("openai:gpt-test"),
            new ProviderOptions { ApiKey = "k", BaseUrl = server.BaseUrl, MaxOutputTokens = 1234, GetEnvironmentVariable = _ => null });

        await client.GetResponseAsync("hi", cancellationToken: Ct);

        Assert.Equal(1234, server.Requests[0].Json.GetProperty("max_completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Create_ZeroMaxRetries_DoesNotRetry()
    {
        await using var server = await FakeOpenAIServer.StartAsync(Ct);
        server.Enqueue(FakeReply.RateLimited("0"), FakeReply.Text("never"));
        using var client = ModelProviders.Create(
            ModelSpec.Parse("openai:gpt-test"),
            new ProviderOptions { ApiKey = "k", BaseUrl = server.BaseUrl, MaxRetries = 0, GetEnvironmentVariable = _ => null });

        await Assert.ThrowsAnyAsync<Exception>(() => client.GetResponseAsync("hi", cancellationToken: Ct));

        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Create_BadRequest_IsNotRetried()
    {
        await using var server = await FakeOpenAIServer.StartAsync(Ct);
        server.Enqueue(FakeReply.Error(400), FakeReply.Text("never"));
        using var client = ModelProviders.Create(
            ModelSpec.Parse("openai:gpt-test"),
            new ProviderOptions { ApiKey = "k", BaseUrl = server.BaseUrl, InitialRetryDelay = TimeSpan.Zero, MaxRetryDelay = TimeSpan.Zero, GetEnvironmentVariable = _ => null });

        await Assert.ThrowsAnyAsync<Exception>(() => client.GetResponseAsync("hi", cancellationToken: Ct));

        Assert.Single(server.Requests);
    }
}
