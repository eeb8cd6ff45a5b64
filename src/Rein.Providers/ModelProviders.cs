using System.ClientModel;
using System.ClientModel.Primitives;
using Anthropic;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using OllamaSharp;
using OpenAI;
using Rein.Providers.Http;

namespace Rein.Providers;

/// <summary>Creates <see cref="IChatClient"/>s for the model providers Rein supports.</summary>
/// <remarks>
/// Every client sends its requests through one HTTP pipeline that retries transient failures
/// (see <see cref="ProviderOptions.MaxRetries"/>); the SDKs' own retries are turned off. Dispose the
/// client to release its HTTP connections. Clients are thread-safe.
/// </remarks>
public static class ModelProviders
{
    private const string OpenAI = "openai";
    private const string OpenAIResponses = "openai-responses";
    private const string Anthropic = "anthropic";
    private const string Ollama = "ollama";
    private const string OpenAICompatible = "openai-compatible";

    /// <summary>The default output token limit for <c>anthropic</c>, whose API requires one.</summary>
    internal const int DefaultAnthropicMaxOutputTokens = 8192;

    /// <summary>The placeholder key sent to <c>openai-compatible</c> servers when none is configured.</summary>
    internal const string PlaceholderApiKey = "not-needed";

    /// <summary>The provider names <see cref="Create"/> accepts: <c>openai</c>, <c>openai-responses</c>, <c>anthropic</c>, <c>ollama</c>, <c>openai-compatible</c>.</summary>
    public static IReadOnlyList<string> Known { get; } = [OpenAI, OpenAIResponses, Anthropic, Ollama, OpenAICompatible];

    /// <summary>Creates a chat client for <paramref name="spec"/>.</summary>
    /// <param name="spec">The provider and model.</param>
    /// <param name="options">Keys, base URL, retries and timeouts.</param>
    /// <returns>A client that streams through the provider's official SDK; dispose it when done.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="spec"/> or <paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// The provider is unknown, a base URL is not an absolute http(s) URL, <c>openai-compatible</c> has no base URL,
    /// or an option is out of range.
    /// </exception>
    /// <exception cref="MissingApiKeyException">The provider needs an API key and none was given or found in the environment.</exception>
    public static IChatClient Create(ModelSpec spec, ProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(spec.Model, nameof(spec));
        Validate(options);

        return spec.Provider switch
        {
            OpenAI => CreateOpenAIChat(spec, options, ResolveOpenAIEndpoint(options), RequireKey(options, "OPENAI_API_KEY")),
            OpenAIResponses => CreateOpenAIResponses(spec, options),
            OpenAICompatible => CreateOpenAIChat(spec, options, ResolveCompatibleEndpoint(options), ResolveCompatibleKey(options)),
            Anthropic => CreateAnthropic(spec, options),
            Ollama => CreateOllama(spec, options),
            _ => throw new ArgumentException(
                $"Unknown model provider '{spec.Provider}'. Known providers: {string.Join(", ", Known)}.", nameof(spec)),
        };
    }

    private static void Validate(ProviderOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxRetries, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.InitialRetryDelay, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxRetryDelay, options.InitialRetryDelay, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.RequestTimeout, TimeSpan.Zero, nameof(options));
        if (options.MaxOutputTokens is { } max)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(max, 1, nameof(options));
        }

        ArgumentNullException.ThrowIfNull(options.GetEnvironmentVariable, nameof(options));
        ArgumentNullException.ThrowIfNull(options.TimeProvider, nameof(options));
    }

    private static ProviderChatClient CreateOpenAIChat(ModelSpec spec, ProviderOptions options, Uri? endpoint, string apiKey)
    {
        var http = CreateHttpClient(options, spec.Provider);
        var client = new OpenAIClient(new ApiKeyCredential(apiKey), CreateOpenAIOptions(options, http, endpoint));
        var chat = new OpenAIToolDefinitionCaching(client.GetChatClient(spec.Model).AsIChatClient(), OpenAIChatToolCache.Shared);
        return Finish(chat, spec, options, http);
    }

    private static ProviderChatClient CreateOpenAIResponses(ModelSpec spec, ProviderOptions options)
    {
        var endpoint = ResolveOpenAIEndpoint(options);
        var apiKey = RequireKey(options, "OPENAI_API_KEY");
        var http = CreateHttpClient(options, spec.Provider);
        var client = new OpenAIClient(new ApiKeyCredential(apiKey), CreateOpenAIOptions(options, http, endpoint));
#pragma warning disable OPENAI001 // The Responses API is marked experimental in the SDK; the provider name is the opt-in.
        var chat = client.GetResponsesClient().AsIChatClient(spec.Model);
#pragma warning restore OPENAI001
        return Finish(chat, spec, options, http);
    }

    private static ProviderChatClient CreateAnthropic(ModelSpec spec, ProviderOptions options)
    {
        var baseUrl = ParseUrl(options.BaseUrl ?? NonEmpty(options.GetEnvironmentVariable("ANTHROPIC_BASE_URL")), "ANTHROPIC_BASE_URL");
        var apiKey = RequireKey(options, "ANTHROPIC_API_KEY");
        var http = CreateHttpClient(options, spec.Provider);
        var client = new AnthropicClient
        {
            ApiKey = apiKey,
            HttpClient = http,
            MaxRetries = 0,
            Timeout = OverallTimeout(options),
        };
        if (baseUrl is not null)
        {
            client = (AnthropicClient)client.WithOptions(o => o with { BaseUrl = baseUrl.ToString().TrimEnd('/') });
        }

        var chat = client.AsIChatClient(spec.Model, options.MaxOutputTokens ?? DefaultAnthropicMaxOutputTokens);
        return new ProviderChatClient(new AnthropicPromptCaching(chat), [http], spec.Provider);
    }

    private static ProviderChatClient CreateOllama(ModelSpec spec, ProviderOptions options)
    {
        var host = options.BaseUrl ?? NonEmpty(options.GetEnvironmentVariable("OLLAMA_HOST")) ?? "http://localhost:11434";
        if (!host.Contains("://", StringComparison.Ordinal))
        {
            // OLLAMA_HOST is often written as host:port, without a scheme.
            host = "http://" + host;
        }

        var http = CreateHttpClient(options, spec.Provider);
        http.BaseAddress = ParseUrl(host, "OLLAMA_HOST");
        var ollama = new OllamaApiClient(http, spec.Model);
        return Finish(ollama, spec, options, http);
    }

    private static ProviderChatClient Finish(IChatClient chat, ModelSpec spec, ProviderOptions options, HttpClient http)
    {
        if (options.MaxOutputTokens is { } max)
        {
            chat = chat.AsBuilder().ConfigureOptions(o => o.MaxOutputTokens ??= max).Build();
        }

        return new ProviderChatClient(chat, [http], spec.Provider);
    }

    private static OpenAIClientOptions CreateOpenAIOptions(ProviderOptions options, HttpClient http, Uri? endpoint)
    {
        var result = new OpenAIClientOptions
        {
            Transport = new SerializedBodyTransport(http),
            RetryPolicy = new ClientRetryPolicy(0),
            NetworkTimeout = OverallTimeout(options),
        };
        if (endpoint is not null)
        {
            result.Endpoint = endpoint;
        }

        return result;
    }

    /// <summary>
    /// The SDKs' own timeouts see one call that includes all of our retries, so they are set to the longest
    /// that retries could take; the real per-attempt timeout is <see cref="ProviderOptions.RequestTimeout"/>.
    /// </summary>
    private static TimeSpan OverallTimeout(ProviderOptions options) =>
        (options.RequestTimeout * (options.MaxRetries + 1)) + (options.MaxRetryDelay * options.MaxRetries) + TimeSpan.FromMinutes(1);

    private static HttpClient CreateHttpClient(ProviderOptions options, string provider)
    {
        HttpMessageHandler primary = options.PrimaryHandler is { } handler
            ? new NonDisposingHandler(handler)
            : new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        var logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Rein.Providers." + provider);
        var pipeline = new LoneSurrogateEscapeHandler(new ResilientHttpHandler(options, logger, primary));
        return new HttpClient(pipeline, disposeHandler: true)
        {
            // Timeouts are per attempt, in the resilience pipeline.
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    private static Uri? ResolveOpenAIEndpoint(ProviderOptions options) =>
        ParseUrl(options.BaseUrl ?? NonEmpty(options.GetEnvironmentVariable("OPENAI_BASE_URL")), "OPENAI_BASE_URL");

    private static Uri ResolveCompatibleEndpoint(ProviderOptions options) =>
        ParseUrl(options.BaseUrl, "--base-url")
        ?? throw new ArgumentException(
            "The openai-compatible provider needs a base URL (--base-url), e.g. http://127.0.0.1:8000/v1.", nameof(options));

    private static string ResolveCompatibleKey(ProviderOptions options) =>
        NonEmpty(options.ApiKey)
        ?? NonEmpty(options.GetEnvironmentVariable("REIN_API_KEY"))
        ?? NonEmpty(options.GetEnvironmentVariable("OPENAI_API_KEY"))
        ?? PlaceholderApiKey; // Local servers (vLLM, llama.cpp, LM Studio) usually need no key, but the SDK requires one.

    private static string RequireKey(ProviderOptions options, string variable) =>
        NonEmpty(options.ApiKey) ?? NonEmpty(options.GetEnvironmentVariable(variable)) ?? throw new MissingApiKeyException(variable);

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static Uri? ParseUrl(string? value, string source)
    {
        if (value is null)
        {
            return null;
        }

        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"The base URL '{value}' (from {source} or --base-url) is not an absolute http or https URL.", nameof(value));
        }

        return uri;
    }
}
