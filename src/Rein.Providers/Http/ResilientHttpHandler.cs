using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Rein.Engine;

namespace Rein.Providers.Http;

/// <summary>
/// Retries transient failures of every provider request in one place (the SDKs' own retries are off),
/// with exponential backoff and jitter, honouring <c>Retry-After</c>, and a timeout per attempt.
/// </summary>
internal sealed partial class ResilientHttpHandler : DelegatingHandler
{
    private static readonly ResiliencePropertyKey<HttpRequestMessage> RequestKey = new("rein.request");

    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public ResilientHttpHandler(ProviderOptions options, ILogger logger, HttpMessageHandler innerHandler)
        : base(innerHandler)
    {
        _pipeline = CreatePipeline(options, logger);
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is { } content and not (ByteArrayContent or ReadOnlyMemoryContent))
        {
            // A buffered body can be sent again by each attempt (an array's content already can).
            await content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        }

        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RequestKey, request);
        try
        {
            return await _pipeline.ExecuteAsync(
                static (ctx, self) => new ValueTask<HttpResponseMessage>(
                    self.SendOnceAsync(ctx.Properties.GetValue(RequestKey, null!), ctx.CancellationToken)),
                context,
                this).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);

    internal static bool IsTransient(HttpStatusCode status) => status is
        HttpStatusCode.RequestTimeout or
        HttpStatusCode.TooManyRequests or
        HttpStatusCode.InternalServerError or
        HttpStatusCode.BadGateway or
        HttpStatusCode.ServiceUnavailable or
        HttpStatusCode.GatewayTimeout;

    /// <summary>The wait a response asks for (<c>retry-after-ms</c>, or <c>Retry-After</c> as seconds or a date), capped at <paramref name="max"/>.</summary>
    internal static TimeSpan? GetRetryAfter(HttpResponseMessage? response, DateTimeOffset now, TimeSpan max)
    {
        if (response is null)
        {
            return null;
        }

        TimeSpan? wait = null;
        if (response.Headers.TryGetValues("retry-after-ms", out var values)
            && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms)
            && ms >= 0 && ms < TimeSpan.MaxValue.TotalMilliseconds)
        {
            wait = TimeSpan.FromMilliseconds(ms);
        }
        else if (response.Headers.RetryAfter is { } retryAfter)
        {
            wait = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - now : null);
        }

        if (wait is not { } value)
        {
            return null;
        }

        return value < TimeSpan.Zero ? TimeSpan.Zero : value > max ? max : value;
    }

    private static ResiliencePipeline<HttpResponseMessage> CreatePipeline(ProviderOptions options, ILogger logger)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = options.TimeProvider };
        if (options.MaxRetries > 0)
        {
            var timeProvider = options.TimeProvider;
            var maxDelay = options.MaxRetryDelay;
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.InitialRetryDelay,
                MaxDelay = maxDelay,
                ShouldHandle = static args => new ValueTask<bool>(args.Outcome switch
                {
                    { Exception: HttpRequestException or TimeoutRejectedException } => true,
                    { Result: { } response } => IsTransient(response.StatusCode),
                    _ => false,
                }),
                DelayGenerator = args => new ValueTask<TimeSpan?>(
                    GetRetryAfter(args.Outcome.Result, timeProvider.GetUtcNow(), maxDelay)),
                OnRetry = args =>
                {
                    ModelRetries.Report(new ModelRetrying(args.AttemptNumber + 2, options.MaxRetries + 1, DescribeFailure(args.Outcome), args.RetryDelay));
                    var request = args.Context.Properties.GetValue(RequestKey, null!);
                    var host = request?.RequestUri?.Authority ?? "?";
                    if (args.Outcome.Result is { } response)
                    {
                        Log.RetryingStatus(logger, host, (int)response.StatusCode, args.AttemptNumber + 1, args.RetryDelay);
                    }
                    else
                    {
                        Log.RetryingError(logger, host, args.Outcome.Exception?.GetType().Name ?? "error", args.AttemptNumber + 1, args.RetryDelay);
                    }

                    return ValueTask.CompletedTask;
                },
            });
        }

        builder.AddTimeout(options.RequestTimeout);
        return builder.Build();
    }

    /// <summary>Why an attempt failed, in the words the retry notice shows (<c>HTTP 429 (rate limited)</c>, <c>timed out</c>).</summary>
    internal static string DescribeFailure(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Result.StatusCode: HttpStatusCode.TooManyRequests } => "HTTP 429 (rate limited)",
        { Result: { } response } => $"HTTP {(int)response.StatusCode}",
        { Exception: TimeoutRejectedException } => "timed out",
        { Exception: HttpRequestException } => "could not connect",
        _ => "failed",
    };

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Warning, "Request to {Host} failed with HTTP {Status}; retry {Retry} in {Delay}")]
        public static partial void RetryingStatus(ILogger logger, string host, int status, int retry, TimeSpan delay);

        [LoggerMessage(LogLevel.Warning, "Request to {Host} failed ({Error}); retry {Retry} in {Delay}")]
        public static partial void RetryingError(ILogger logger, string host, string error, int retry, TimeSpan delay);
    }
}
