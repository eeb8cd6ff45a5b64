using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging.Abstractions;
using Rein.Providers.Http;

namespace Rein.Providers.Tests;

public sealed class ResilientHttpHandlerTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(60);

    [Fact]
    public void GetRetryAfter_DeltaSeconds_ReturnsThem()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(7));

        Assert.Equal(TimeSpan.FromSeconds(7), ResilientHttpHandler.GetRetryAfter(response, Now, Max));
    }

    [Fact]
    public void GetRetryAfter_HttpDate_ReturnsTimeUntilIt()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        response.Headers.TryAddWithoutValidation("Retry-After", Now.AddSeconds(30).ToString("R"));

        Assert.Equal(TimeSpan.FromSeconds(30), ResilientHttpHandler.GetRetryAfter(response, Now, Max));
    }

    [Fact]
    public void GetRetryAfter_PastDate_ReturnsZero()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter = new RetryConditionHeaderValue(Now.AddSeconds(-30));

        Assert.Equal(TimeSpan.Zero, ResilientHttpHandler.GetRetryAfter(response, Now, Max));
    }

    [Fact]
    public void GetRetryAfter_LongerThanMax_IsCapped()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromHours(1));

        Assert.Equal(Max, ResilientHttpHandler.GetRetryAfter(response, Now, Max));
    }

    [Fact]
    public void GetRetryAfter_RetryAfterMs_WinsOverRetryAfter()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.TryAddWithoutValidation("retry-after-ms", "1500");
        response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(9));

        Assert.Equal(TimeSpan.FromMilliseconds(1500), ResilientHttpHandler.GetRetryAfter(response, Now, Max));
    }

    [Fact]
    public void GetRetryAfter_NoHeader_ReturnsNullForDefaultBackoff()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.InternalServerError);

        Assert.Null(ResilientHttpHandler.GetRetryAfter(response, Now, Max));
    }

    [Theory]
    [InlineData(408, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(504, true)]
    [InlineData(400, false)]
    [InlineData(401, false)]
    [InlineData(404, false)]
    [InlineData(501, false)]
    public void IsTransient_Status_MatchesRetryableSet(int status, bool expected)
    {
        Assert.Equal(expected, ResilientHttpHandler.IsTransient((HttpStatusCode)status));
    }

    [Fact]
    public async Task SendAsync_ConnectionErrorsThenSuccess_RetriesAndResendsTheBody()
    {
        var bodies = new List<string>();
        var primary = new CallbackHandler(async (request, ct) =>
        {
            bodies.Add(await request.Content!.ReadAsStringAsync(ct));
            return bodies.Count < 3 ? throw new HttpRequestException("connection refused") : new HttpResponseMessage(HttpStatusCode.OK);
        });
        var options = new ProviderOptions { MaxRetries = 3, InitialRetryDelay = TimeSpan.Zero, MaxRetryDelay = TimeSpan.Zero };
        using var client = new HttpClient(new ResilientHttpHandler(options, NullLogger.Instance, primary));

        using var response = await client.PostAsync(new Uri("http://127.0.0.1:1/x"), new StringContent("payload"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["payload", "payload", "payload"], bodies);
    }

    [Fact]
    public async Task SendAsync_BodyFromAStreamThatCannotRewind_IsBufferedAndResentWhole()
    {
        var bodies = new List<string>();
        var primary = new CallbackHandler(async (request, ct) =>
        {
            bodies.Add(await request.Content!.ReadAsStringAsync(ct));
            return bodies.Count < 2 ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) : new HttpResponseMessage(HttpStatusCode.OK);
        });
        var options = new ProviderOptions { MaxRetries = 2, InitialRetryDelay = TimeSpan.Zero, MaxRetryDelay = TimeSpan.Zero };
        using var client = new HttpClient(new ResilientHttpHandler(options, NullLogger.Instance, primary));
        using var once = new ReadOnceStream("streamed payload"u8.ToArray());

        using var response = await client.PostAsync(new Uri("http://127.0.0.1:1/x"), new StreamContent(once), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["streamed payload", "streamed payload"], bodies);
    }

    [Fact]
    public async Task SendAsync_AttemptTimesOut_RetriesThenThrowsTimeout()
    {
        var attempts = 0;
        var primary = new CallbackHandler(async (_, ct) =>
        {
            attempts++;
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        var options = new ProviderOptions
        {
            MaxRetries = 1,
            InitialRetryDelay = TimeSpan.Zero,
            MaxRetryDelay = TimeSpan.Zero,
            RequestTimeout = TimeSpan.FromMilliseconds(20),
        };
        using var client = new HttpClient(new ResilientHttpHandler(options, NullLogger.Instance, primary));

        await Assert.ThrowsAnyAsync<Exception>(() => client.GetAsync(new Uri("http://127.0.0.1:1/x"), TestContext.Current.CancellationToken));

        Assert.Equal(2, attempts);
    }

    /// <summary>A stream that can be read once and cannot seek, like a network body.</summary>
    private sealed class ReadOnceStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();

        public override long Position { get => base.Position; set => throw new NotSupportedException(); }
    }

    private sealed class CallbackHandler(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> send) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => send(request, cancellationToken);
    }
}
