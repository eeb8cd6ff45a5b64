using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace Rein.Tools;

/// <summary>The <c>fetch_url</c> tool: HTTP(S) GET of a URL, returned as text (readable text for HTML).</summary>
/// <remarks>
/// Thread-safe. Only <c>http</c> and <c>https</c> are fetched; redirects are followed as the supplied
/// <see cref="HttpClient"/> is configured to. Non-text content is refused. The tool does not decide which hosts
/// are allowed; that is a policy concern.
/// </remarks>
public sealed class FetchUrlTool : ITool
{
    /// <summary>The default most body bytes read.</summary>
    public const int DefaultMaxBytes = 2_000_000;

    /// <summary>The largest <c>max_bytes</c> the model may ask for.</summary>
    public const int MaxMaxBytes = 10_000_000;

    private readonly HttpClient _http;
    private readonly TimeSpan _timeout;

    /// <summary>Creates the tool.</summary>
    /// <param name="httpClient">The client that sends requests; it is not disposed by the tool.</param>
    /// <param name="timeout">How long one fetch may take, headers and body. Defaults to 30 seconds.</param>
    /// <exception cref="ArgumentNullException"><paramref name="httpClient"/> is null.</exception>
    public FetchUrlTool(HttpClient httpClient, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        _http = httpClient;
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

    private async ValueTask<ToolResult> FetchAsync(ToolInvocation invocation, CancellationToken cancellationToken)
    {
        var url = ToolArguments.RequiredString(invocation.Arguments, "url").Trim();
        var maxBytes = (int)(ToolArguments.OptionalInteger(invocation.Arguments, "max_bytes", 1, MaxMaxBytes) ?? DefaultMaxBytes);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return ToolResult.Error($"'{url}' is not an http or https URL; fetch_url only fetches http(s).");
        }

        using var timeout = new CancellationTokenSource(_timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("Rein", "0.1"));
            request.Headers.Accept.ParseAdd("text/html, text/*;q=0.9, application/json;q=0.9, */*;q=0.5");
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var finalUri = response.RequestMessage?.RequestUri ?? uri;
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

            var (body, truncated) = await ReadBodyAsync(response.Content, maxBytes, linked.Token).ConfigureAwait(false);
            if (mediaType.Length == 0 && TextFiles.LooksBinary(body.AsSpan(0, Math.Min(body.Length, TextFiles.SniffBytes))))
            {
                header.Append("[the body is not text]");
                return ToolResult.Error(header.ToString());
            }

            var text = Decode(body, contentType?.CharSet);
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
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return ToolResult.Error($"Fetching '{url}' timed out after {_timeout.TotalSeconds:0} s.");
        }
        catch (HttpRequestException ex)
        {
            return ToolResult.Error($"Fetching '{url}' failed: {ex.Message}");
        }
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

    private static async ValueTask<(byte[] Body, bool Truncated)> ReadBodyAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            // One byte past the cap tells whether there was more.
            var buffer = new byte[maxBytes + 1];
            var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            return read > maxBytes ? (buffer[..maxBytes], true) : (buffer[..read], false);
        }
    }

    private static string Decode(byte[] body, string? charset)
    {
        var encoding = Encoding.UTF8;
        if (!string.IsNullOrWhiteSpace(charset))
        {
            try
            {
                encoding = Encoding.GetEncoding(charset.Trim('"', '\''));
            }
            catch (ArgumentException)
            {
            }
        }

        return encoding.GetString(body);
    }
}
