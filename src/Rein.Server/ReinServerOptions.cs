namespace Rein.Server;

/// <summary>Options of the HTTP API (<c>rein serve</c>).</summary>
public sealed class ReinServerOptions
{
    /// <summary>Gets or sets the largest request body accepted, in bytes; larger ones are refused with 413. Default: 1 MB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Gets or sets how many API requests one principal (or one address, before it signs in) may make per <see cref="RateLimitWindow"/>. Default: 600.</summary>
    public int RateLimitPermits { get; set; } = 600;

    /// <summary>Gets or sets the window of the per-principal rate limit. Default: one minute.</summary>
    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets or sets how often a live event stream sends a keep-alive comment. Default: 15 seconds.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Gets or sets what hides stored secrets in approval previews' file text. Default: <see langword="null"/> (nothing hidden).</summary>
    public Func<string, string>? Redact { get; set; }
}
