using System.Text;
using Microsoft.AspNetCore.Http;
using Rein.Testing;

namespace Rein.Tools.Tests;

public sealed class FetchUrlToolTests : IAsyncLifetime, IDisposable
{
    private const string Page = """
        <!DOCTYPE html>
        <html><head><title>  Test   Page </title><style>body { color: red; }</style>
        <script>var hidden = "SCRIPT_TEXT";</script></head>
        <body>
          <nav><a href="/docs/intro">Intro</a></nav>
          <h1>Main   heading</h1>
          <p>First paragraph with <b>bold</b> text and a <a href="https://example.org/x">link</a>.</p>
          <script>document.write("MORE_SCRIPT")</script>
          <ul><li>one</li><li>two</li></ul>
          <noscript>NOSCRIPT_TEXT</noscript>
        </body></html>
        """;

    private readonly HttpClient _http = new();
    private readonly TempDirectory _root = new();
    private LoopbackHttpServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await LoopbackHttpServer.StartAsync(HandleAsync, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        _http.Dispose();
        _root.Dispose();
    }

    [Fact]
    public async Task InvokeAsync_Html_ExtractsReadableTextAndLinks()
    {
        var url = _server.Url("page");

        var result = await new FetchUrlTool(_http).InvokeAsync(_root, new { url = url.ToString() });

        Assert.False(result.IsError);
        var expected = $"""
            URL: {url}
            Status: 200 OK
            Content-Type: text/html; charset=utf-8
            Title: Test Page

            Intro ({_server.Url("docs/intro")})

            # Main heading

            First paragraph with bold text and a link (https://example.org/x).

            - one
            - two
            """;
        Assert.Equal(expected, result.Content);
        Assert.DoesNotContain("SCRIPT", result.Content, StringComparison.Ordinal);
        Assert.DoesNotContain("color: red", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_PlainText_ReturnsBodyAsIs()
    {
        var result = await new FetchUrlTool(_http).InvokeAsync(_root, new { url = _server.Url("json").ToString() });

        Assert.False(result.IsError);
        Assert.Contains("Content-Type: application/json", result.Content, StringComparison.Ordinal);
        Assert.EndsWith("\n\n{\"a\": 1}", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_LargeBody_CutsAtMaxBytes()
    {
        var result = await new FetchUrlTool(_http).InvokeAsync(_root, new { url = _server.Url("big").ToString(), max_bytes = 1000 });

        Assert.False(result.IsError);
        Assert.Contains("[body cut at 1000 bytes; raise max_bytes to read more]", result.Content, StringComparison.Ordinal);
        Assert.EndsWith("\n\n" + new string('a', 1000), result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_NotFound_IsErrorWithStatus()
    {
        var result = await new FetchUrlTool(_http).InvokeAsync(_root, new { url = _server.Url("missing").ToString() });

        Assert.True(result.IsError);
        Assert.Contains("Status: 404 Not Found", result.Content, StringComparison.Ordinal);
        Assert.EndsWith("no such page", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_BinaryContent_IsRefused()
    {
        var result = await new FetchUrlTool(_http).InvokeAsync(_root, new { url = _server.Url("image").ToString() });

        Assert.True(result.IsError);
        Assert.Contains("Content-Type: image/png", result.Content, StringComparison.Ordinal);
        Assert.Contains("not text", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_Redirect_ReportsFinalUrl()
    {
        var result = await new FetchUrlTool(_http).InvokeAsync(_root, new { url = _server.Url("moved").ToString() });

        Assert.StartsWith($"URL: {_server.Url("json")}\n", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_SlowServer_TimesOut()
    {
        var result = await new FetchUrlTool(_http, TimeSpan.FromMilliseconds(300)).InvokeAsync(_root, new { url = _server.Url("slow").ToString() });

        Assert.True(result.IsError);
        Assert.Contains("timed out", result.Content, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://example.org/x")]
    [InlineData("not a url")]
    public async Task InvokeAsync_NonHttpUrl_IsRefused(string url)
    {
        var result = await new FetchUrlTool(_http).InvokeAsync(_root, new { url });

        Assert.True(result.IsError);
        Assert.Contains("only fetches http(s)", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_ConnectionRefused_ReturnsError()
    {
        var port = _server.BaseAddress.Port;
        await _server.DisposeAsync();
        _server = await LoopbackHttpServer.StartAsync(HandleAsync, TestContext.Current.CancellationToken);

        var result = await new FetchUrlTool(_http).InvokeAsync(_root, new { url = $"http://127.0.0.1:{port}/page" });

        Assert.True(result.IsError);
        Assert.Contains("failed", result.Content, StringComparison.Ordinal);
    }

    private static async Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        switch (context.Request.Path.Value)
        {
            case "/page":
                response.ContentType = "text/html; charset=utf-8";
                await response.WriteAsync(Page);
                break;
            case "/json":
                response.ContentType = "application/json";
                await response.WriteAsync("{\"a\": 1}");
                break;
            case "/big":
                response.ContentType = "text/plain";
                await response.Body.WriteAsync(Encoding.ASCII.GetBytes(new string('a', 50_000)));
                break;
            case "/image":
                response.ContentType = "image/png";
                await response.Body.WriteAsync(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0 });
                break;
            case "/moved":
                response.Redirect("/json");
                break;
            case "/slow":
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
                break;
            default:
                response.StatusCode = 404;
                response.ContentType = "text/plain";
                await response.WriteAsync("no such page");
                break;
        }
    }
}
