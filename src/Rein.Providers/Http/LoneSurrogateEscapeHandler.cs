using System.Net;

namespace Rein.Providers.Http;

/// <summary>
/// Replaces lone UTF-16 surrogate escapes in JSON, NDJSON and server-sent-event responses with <c>\uFFFD</c> before
/// a provider SDK parses them (see <see cref="LoneSurrogateEscapeStream"/>); other responses pass through untouched.
/// </summary>
internal sealed class LoneSurrogateEscapeHandler(HttpMessageHandler innerHandler) : DelegatingHandler(innerHandler)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.Content is { Headers.ContentType.MediaType: { } mediaType } content && CarriesJson(mediaType))
        {
            response.Content = new RewrittenContent(content);
        }

        return response;
    }

    private static bool CarriesJson(string mediaType) =>
        mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
        || mediaType.Equals("application/x-ndjson", StringComparison.OrdinalIgnoreCase)
        || mediaType.Equals("text/event-stream", StringComparison.OrdinalIgnoreCase);

    /// <summary>The response body read through a <see cref="LoneSurrogateEscapeStream"/>; same headers, same length.</summary>
    private sealed class RewrittenContent : HttpContent
    {
        private readonly HttpContent _inner;

        public RewrittenContent(HttpContent inner)
        {
            _inner = inner;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var source = await CreateContentReadStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                await source.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
            }
        }

        protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            using var source = CreateContentReadStream(cancellationToken);
            source.CopyTo(stream);
        }

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new LoneSurrogateEscapeStream(await _inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));

        protected override Stream CreateContentReadStream(CancellationToken cancellationToken) =>
            new LoneSurrogateEscapeStream(_inner.ReadAsStream(cancellationToken));

        protected override bool TryComputeLength(out long length)
        {
            // The rewrite keeps the length; a Content-Length header, when there is one, was copied above.
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
