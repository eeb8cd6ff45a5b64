using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Rein.Server.WebConsole;

namespace Rein.Server.Tests.Console;

/// <summary>The console's static serving: page paths, assets, security and caching headers, and what the files may contain.</summary>
public sealed partial class ConsoleEndpointsTests(ConsoleOnlyHost host) : IClassFixture<ConsoleOnlyHost>
{
    [Theory]
    [InlineData("/")]
    [InlineData("/sessions")]
    [InlineData("/sessions/0197a1b2-c3d4")]
    [InlineData("/approvals")]
    [InlineData("/cost")]
    [InlineData("/trace/0197a1b2-c3d4")]
    public async Task Get_PagePath_ReturnsIndexHtml(string path)
    {
        using var response = await host.Client.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("<script type=\"module\" src=\"/assets/app.js\"></script>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_Page_SendsStrictSecurityHeaders()
    {
        using var response = await host.Client.GetAsync("/approvals", TestContext.Current.CancellationToken);

        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.StartsWith("default-src 'self';", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self';", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("http", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.True(response.Headers.CacheControl?.NoCache);
        Assert.NotNull(response.Headers.ETag);
    }

    [Theory]
    [InlineData("/assets/app.js", "text/javascript")]
    [InlineData("/assets/session.js", "text/javascript")]
    [InlineData("/assets/app.css", "text/css")]
    [InlineData("/assets/icon.svg", "image/svg+xml")]
    public async Task Get_Asset_ReturnsItWithContentTypeAndHeaders(string path, string mediaType)
    {
        using var response = await host.Client.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.True(response.Headers.CacheControl?.NoCache);
        Assert.True(response.Content.Headers.ContentLength > 0);
    }

    [Fact]
    public async Task Get_AssetWithCurrentETag_ReturnsNotModified()
    {
        var ct = TestContext.Current.CancellationToken;
        using var first = await host.Client.GetAsync("/assets/app.js", ct);
        var tag = first.Headers.ETag!;

        using var request = new HttpRequestMessage(HttpMethod.Get, "/assets/app.js");
        request.Headers.IfNoneMatch.Add(tag);
        using var second = await host.Client.SendAsync(request, ct);
        using var stale = new HttpRequestMessage(HttpMethod.Get, "/assets/app.js");
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"0000\""));
        using var third = await host.Client.SendAsync(stale, ct);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync(ct));
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
    }

    [Theory]
    [InlineData("/assets/missing.js")]
    [InlineData("/assets/")]
    [InlineData("/assets/%2e%2e/index.html")]
    [InlineData("/assets/..%2Findex.html")]
    [InlineData("/assets/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd")]
    [InlineData("/assets/..%5CRein.Server.dll")]
    [InlineData("/assets/app.js%00.html")]
    [InlineData("/index.html")]
    [InlineData("/console/index.html")]
    public async Task Get_PathOutsideTheEmbeddedAssets_IsNotFound(string path)
    {
        using var response = await host.Client.GetAsync(new Uri(path, UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{path}: {response.StatusCode}");
    }

    [Fact]
    public void Index_LoadsScriptsAndStylesOnlyFromFiles()
    {
        var html = Encoding.UTF8.GetString(ConsoleAssets.Index.Content.Span);

        Assert.All(ScriptTag().Matches(html), m => Assert.Contains(" src=\"/assets/", m.Value, StringComparison.Ordinal));
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(InlineHandlerOrStyle(), html);
    }

    [Fact]
    public void Assets_ReferToNoOtherOrigin()
    {
        Assert.True(ConsoleAssets.All.Count >= 9, "the console's files are embedded");
        foreach (var asset in ConsoleAssets.All.Values)
        {
            var text = Encoding.UTF8.GetString(asset.Content.Span);
            // The SVG namespace is an identifier, never fetched.
            var urls = AbsoluteUrl().Matches(text).Select(m => m.Value).Where(u => u != "http://www.w3.org/2000/svg");
            Assert.Empty(urls);
            Assert.DoesNotMatch(ProtocolRelativeUrl(), text);
        }
    }

    [Fact]
    public void Scripts_NeverParseDataAsMarkupOrCode()
    {
        var scripts = ConsoleAssets.All.Values.Where(a => a.Path.EndsWith(".js", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(scripts);
        foreach (var script in scripts)
        {
            var text = Encoding.UTF8.GetString(script.Content.Span);
            foreach (var sink in new[] { "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "createContextualFragment", "DOMParser", "new EventSource" })
            {
                Assert.False(text.Contains(sink, StringComparison.Ordinal), $"{script.Path} uses {sink}");
            }
        }
    }

    [GeneratedRegex("<script\\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptTag();

    [GeneratedRegex("\\s(on[a-z]+|style)\\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex InlineHandlerOrStyle();

    [GeneratedRegex("(?i)\\b(?:https?|wss?|ftp)://[^\\s'\"`)<>]+")]
    private static partial Regex AbsoluteUrl();

    [GeneratedRegex("[\"'(=]\\s*//[A-Za-z0-9]")]
    private static partial Regex ProtocolRelativeUrl();
}
