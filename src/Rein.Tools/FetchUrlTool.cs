using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace Rein.Tools;

/// <summary>The <c>fetch_url</c> tool: HTTP(S) GET of a URL, returned as text (readable text for HTML).</summary>
/// <remarks>
/// <para>
/// Only <c>http</c> and <c>https</c> are fetched. Redirects (up to <see cref="MaxRedirects"/>) are followed by the tool
/// itself, and each new URL is judged by <see cref="ToolContext.RequestPolicy"/> before it is requested: a hop the
/// policy would deny or ask about is refused with an error, never followed. Every host is resolved here and the
/// connection goes to the address that was checked (no second lookup): an address that is not public
/// (<see cref="NetworkAddresses"/>: loopback, private, link-local, cloud metadata, …) is refused unless a rule names
/// the host or the address (<see cref="IRequestPolicy.NamesDestination"/>); without a policy it is always refused.
/// Proxy variables are ignored, since a proxy would make the address check meaningless. Non-text content is refused.
/// </para>
/// <para>Thread-safe; each call uses its own connections.</para>
/// </remarks>
public sealed class FetchUrlTool : ITool
{
    /// <summary>The default most body bytes read.</summary>
    public const int DefaultMaxBytes = 2_000_000;

    /// <summary>The largest <c>max_bytes</c> the model may ask for.</summary>
    public const int MaxMaxBytes = 10_000_000;

    /// <summary>The most redirects followed for one call.</summary>
    public const int MaxRedirects = 10;

    private readonly TimeSpan _timeout;

    /// <summary>Creates the tool.</summary>
    /// <param name="timeout">How long one fetch may take, redirects, headers and body included. Defaults to 30 seconds.</param>
    public FetchUrlTool(TimeSpan? timeout = null)
    {
        _timeout = timeout ?? TimeSpan.FromSeconds(30);
        Definition = new ToolDefinition(
            "fetch_url",
            "HTTP GET a URL and return its text (HTML is converted to readable text with link targets).",
            ToolArguments.Schema($$$"""
                {"type":"object","properties":{
                "url":{"type":"string","description":"http(s) URL"},
                "max_bytes":{"type":"integer","minimum":1,"maximum":{{{MaxMaxBytes}}},"description":"Most body bytes to read. Default {{{DefaultMaxBytes}}}"}},
                "required":["url"],"additionalProperties":false}
                """),
            ReadOnly: true);
    }

    /// <inheritdoc />
    public ToolDefinition Definition { get; }

    /// <inheritdoc />
    public ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        return ToolGuard.RunAsync(() => FetchAsync(invocation, cancellationToken));
    }

    private static bool IsHttp(Uri uri) => uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps;

    private async ValueTask<ToolResult> FetchAsync(ToolInvocation invocation, CancellationToken cancellationToken)
    {
        var url = ToolArguments.RequiredString(invocation.Arguments, "url").Trim();
        var maxBytes = (int)(ToolArguments.OptionalInteger(invocation.Arguments, "max_bytes", 1, MaxMaxBytes) ?? DefaultMaxBytes);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !IsHttp(uri))
        {
            return ToolResult.Error($"'{url}' is not an http or https URL; fetch_url only fetches http(s).");
        }

        var policy = invocation.Context.RequestPolicy;
        using var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.All,
            ConnectCallback = (context, token) => ConnectCheckedAsync(context, policy, token),
        };
        using var http = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        using var timeout = new CancellationTokenSource(_timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        HttpResponseMessage? response = null;
        try
        {
            for (var hops = 0; ; hops++)
            {
                using (var request = new HttpRequestMessage(HttpMethod.Get, uri))
                {
                    request.Headers.UserAgent.Add(new ProductInfoHeaderValue("Rein", "0.1"));
                    request.Headers.Accept.ParseAdd("text/html, text/*;q=0.9, application/json;q=0.9, */*;q=0.5");
                    response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
                }

                if ((int)response.StatusCode is < 300 or > 399 || response.Headers.Location is not { } location)
                {
                    break;
                }

                var next = location.IsAbsoluteUri ? location : new Uri(uri, location);
                response.Dispose();
                response = null;
                if (!IsHttp(next))
                {
                    return ToolResult.Error($"'{uri}' redirected to '{next}', which is not http(s); the redirect was not followed.");
                }

                if (hops + 1 > MaxRedirects)
                {
                    return ToolResult.Error($"Fetching '{url}' was redirected more than {MaxRedirects} times; stopped at '{next}'.");
                }

                if (policy?.CheckRedirect(next) is { } refused)
                {
                    return ToolResult.Error($"'{uri}' redirected to '{next}', which the policy does not allow ({refused}); the redirect was not followed. Fetch that URL directly only if it is really needed.");
                }

                uri = next;
            }

            return await ReadResultAsync(response, uri, maxBytes, invocation.Context.Redactor, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return ToolResult.Error($"Fetching '{url}' timed out after {_timeout.TotalSeconds:0} s.");
        }
        catch (HttpRequestException ex) when (ex.InnerException is DestinationRefusedException refused)
        {
            return ToolResult.Error($"Fetching '{uri}' was refused: {refused.Message}");
        }
        catch (HttpRequestException ex)
        {
            return ToolResult.Error($"Fetching '{uri}' failed: {ex.Message}");
        }
        finally
        {
            response?.Dispose();
        }
    }

    /// <summary>Resolves the host, keeps the addresses it may reach, and connects to one of them: the connection is pinned to a checked address.</summary>
    private static async ValueTask<Stream> ConnectCheckedAsync(SocketsHttpConnectionContext context, IRequestPolicy? policy, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var url = context.InitialRequestMessage.RequestUri!;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        string? refusal = null;
        SocketException? lastError = null;
        foreach (var address in addresses)
        {
            if (NetworkAddresses.Classify(address) is { } kind && !(policy?.NamesDestination(url, address) ?? false))
            {
                refusal ??= $"{url.IdnHost} is {address} ({kind}); fetch_url reaches loopback, private, link-local and metadata addresses only when an allow rule names the host or the address, e.g. fetch_url(domain:{url.IdnHost.Trim('[', ']')})";
                continue;
            }

            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                lastError = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        if (lastError is not null)
        {
            throw lastError;
        }

        throw new DestinationRefusedException(refusal ?? $"{host} has no address");
    }

    private static async ValueTask<ToolResult> ReadResultAsync(HttpResponseMessage response, Uri finalUri, int maxBytes, IOutputRedactor? redactor, CancellationToken cancellationToken)
    {
        var contentType = response.Content.Headers.ContentType;
        var mediaType = contentType?.MediaType?.ToLowerInvariant() ?? "";
        var header = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"URL: {finalUri}\n")
            .Append(CultureInfo.InvariantCulture, $"Status: {(int)response.StatusCode} {response.ReasonPhrase}\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Type: {(contentType?.ToString() is { Length: > 0 } type ? type : "(none)")}\n");
        if (mediaType.Length > 0 && !IsTextual(mediaType))
        {
            header.Append("[the body is not text and was not read]");
            return ToolResult.Error(header.ToString());
        }

        // Past the cap, read enough for the longest redacted value to lie whole in what was read (at most 4 bytes a
        // character), so a cut that would split one can move before it instead of leaving its first characters where
        // the redaction no longer recognises them. One more byte tells whether there was more.
        var margin = 4 * (redactor?.MaxMatchLength ?? 0);
        var (body, read) = await ReadBodyAsync(response.Content, maxBytes + 1 + margin, cancellationToken).ConfigureAwait(false);
        var truncated = read > maxBytes;
        if (mediaType.Length == 0 && TextFiles.LooksBinary(body.AsSpan(0, Math.Min(read, TextFiles.SniffBytes))))
        {
            header.Append("[the body is not text]");
            return ToolResult.Error(header.ToString());
        }

        var encoding = EncodingFor(contentType?.CharSet);
        var text = encoding.GetString(body, 0, read);
        if (truncated)
        {
            // The characters wholly within the cap; a character whose bytes straddle it is dropped.
            var cut = encoding.GetString(body, 0, maxBytes).AsSpan().CommonPrefixLength(text);
            text = text[..(redactor?.SpanAcross(text, cut)?.Start.Value ?? cut)];
        }

        if (mediaType is "text/html" or "application/xhtml+xml" || (mediaType.Length == 0 && LooksLikeHtml(text)))
        {
            var (title, readable) = HtmlText.Extract(text, finalUri);
            if (title.Length > 0)
            {
                header.Append(CultureInfo.InvariantCulture, $"Title: {title}\n");
            }

            text = readable;
        }

        if (truncated)
        {
            header.Append(CultureInfo.InvariantCulture, $"[body cut at {maxBytes} bytes; raise max_bytes to read more]\n");
        }

        return new ToolResult(header.Append('\n').Append(text).ToString(), IsError: (int)response.StatusCode >= 400);
    }

    private static bool IsTextual(string mediaType) =>
        mediaType.StartsWith("text/", StringComparison.Ordinal)
        || mediaType.EndsWith("+json", StringComparison.Ordinal)
        || mediaType.EndsWith("+xml", StringComparison.Ordinal)
        || mediaType is "application/json" or "application/xml" or "application/javascript" or "application/x-javascript"
            or "application/ecmascript" or "application/x-yaml" or "application/yaml" or "application/toml" or "application/x-sh";

    private static bool LooksLikeHtml(string text)
    {
        var start = text.AsSpan().TrimStart();
        return start.StartsWith("<!doctype html", StringComparison.OrdinalIgnoreCase) || start.StartsWith("<html", StringComparison.OrdinalIgnoreCase);
    }

    private static async ValueTask<(byte[] Body, int Read)> ReadBodyAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[limit];
            var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            return (buffer, read);
        }
    }

    private static Encoding EncodingFor(string? charset)
    {
        if (!string.IsNullOrWhiteSpace(charset))
        {
            try
            {
                return Encoding.GetEncoding(charset.Trim('"', '\''));
            }
            catch (ArgumentException)
            {
            }
        }

        return Encoding.UTF8;
    }
}

/// <summary>A destination the tool may not contact; its message says why and how to allow it.</summary>
internal sealed class DestinationRefusedException(string message) : IOException(message);
