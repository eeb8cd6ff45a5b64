using Microsoft.Extensions.Logging;

namespace Rein.Providers;

/// <summary>How <see cref="ModelProviders.Create"/> connects to a provider.</summary>
/// <remarks>
/// Not thread-safe while being configured; <see cref="ModelProviders.Create"/> copies what it needs,
/// so changing the options afterwards does not affect clients already created.
/// </remarks>
public sealed class ProviderOptions
{
    /// <summary>
    /// The provider's base URL, overriding the environment (<c>OPENAI_BASE_URL</c>, <c>ANTHROPIC_BASE_URL</c>,
    /// <c>OLLAMA_HOST</c>) and the provider's default. Required for <c>openai-compatible</c>, e.g.
    /// <c>http://127.0.0.1:8000/v1</c>. Default: <see langword="null"/>.
    /// </summary>
    public string? BaseUrl { get; set; }

    /// <summary>The API key, overriding the environment. Never logged. Default: <see langword="null"/>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Reads environment variables (API keys, base URLs). Default: <see cref="Environment.GetEnvironmentVariable(string)"/>.</summary>
    public Func<string, string?> GetEnvironmentVariable { get; set; } = Environment.GetEnvironmentVariable;

    /// <summary>
    /// How many times a failed request is retried (408, 429, 500, 502, 503, 504, connection errors and
    /// timeouts); 0 disables retries. Default: 4.
    /// </summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>The base delay of the exponential backoff (with jitter) between retries. Default: 1 second.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between retries, also capping a server's <c>Retry-After</c>. Default: 60 seconds.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long one attempt may take until the response starts (its headers arrive); a streamed body may
    /// take longer. An attempt that times out is retried. Default: 5 minutes.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The default output token limit, used when a request does not set <c>ChatOptions.MaxOutputTokens</c>.
    /// Default: <see langword="null"/> (the provider's default; 8192 for <c>anthropic</c>, which requires one).
    /// </summary>
    public int? MaxOutputTokens { get; set; }

    /// <summary>
    /// The innermost HTTP handler, not disposed with the client: one handler shared by many clients (a session host's runs)
    /// shares their connection pool; tests pass a fake. Default: <see langword="null"/> (a new <see cref="SocketsHttpHandler"/> per client).
    /// </summary>
    public HttpMessageHandler? PrimaryHandler { get; set; }

    /// <summary>The clock used for retry delays and timeouts. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Logging for retries; <see langword="null"/> for none. Default: <see langword="null"/>.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
