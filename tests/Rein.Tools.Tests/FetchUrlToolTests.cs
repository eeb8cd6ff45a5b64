using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Rein.Testing;

namespace Rein.Tools.Tests;

public sealed class FetchUrlToolTests : IAsyncLifetime, IDisposable
{
    private const string Secret = "tok_9fK2mQ7xLp4vR8sW1zYb";

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

    private readonly TempDirectory _root = new();
    private LoopbackHttpServer _server = null!;
    private int _requests;

    public async ValueTask InitializeAsync()
    {
        _server = await LoopbackHttpServer.StartAsync(
            context =>
            {
                Interlocked.Increment(ref _requests);
                return HandleAsync(context);
            },
            TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task InvokeAsync_Html_ExtractsReadableTextAndLinks()
    {
        var url = _server.Url("page");

        var result = await FetchAsync(new FetchUrlTool(), new { url = url.ToString() });

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
        var result = await FetchAsync(new FetchUrlTool(), new { url = _server.Url("json").ToString() });

        Assert.False(result.IsError);
        Assert.Contains("Content-Type: application/json", result.Content, StringComparison.Ordinal);
        Assert.EndsWith("\n\n{\"a\": 1}", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_LargeBody_CutsAtMaxBytes()
    {
        var result = await FetchAsync(new FetchUrlTool(), new { url = _server.Url("big").ToString(), max_bytes = 1000 });

        Assert.False(result.IsError);
        Assert.Contains("[body cut at 1000 bytes; raise max_bytes to read more]", result.Content, StringComparison.Ordinal);
        Assert.EndsWith("\n\n" + new string('a', 1000), result.Content, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(12)]
    public async Task InvokeAsync_CapSplitsSecret_CutsBeforeIt(int secretBytesInside)
    {
        // The body is 900 'a', the secret, then 'b's: a cap of 900 + n bytes keeps the secret's first n characters.
        var redactor = new SingleValueRedactor(Secret);
        var maxBytes = 900 + secretBytesInside;

        var result = await FetchAsync(new FetchUrlTool(), new { url = _server.Url("secret-body").ToString(), max_bytes = maxBytes }, redactor: redactor);

        Assert.False(result.IsError);
        Assert.Contains($"[body cut at {maxBytes} bytes", result.Content, StringComparison.Ordinal);
        var body = redactor.Redact(result.Content).Split("\n\n", 2)[1];
        Assert.DoesNotContain(Secret[..Math.Min(6, secretBytesInside)], body, StringComparison.Ordinal);
        Assert.Equal(new string('a', 900), body);
    }

    [Fact]
    public async Task InvokeAsync_CapAfterWholeSecret_KeepsItForRedaction()
    {
        var redactor = new SingleValueRedactor(Secret);

        var result = await FetchAsync(new FetchUrlTool(), new { url = _server.Url("secret-body").ToString(), max_bytes = 900 + Secret.Length + 5 }, redactor: redactor);

        Assert.EndsWith(Secret + "bbbbb", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_NotFound_IsErrorWithStatus()
    {
        var result = await FetchAsync(new FetchUrlTool(), new { url = _server.Url("missing").ToString() });

        Assert.True(result.IsError);
        Assert.Contains("Status: 404 Not Found", result.Content, StringComparison.Ordinal);
        Assert.EndsWith("no such page", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_BinaryContent_IsRefused()
    {
        var result = await FetchAsync(new FetchUrlTool(), new { url = _server.Url("image").ToString() });

        Assert.True(result.IsError);
        Assert.Contains("Content-Type: image/png", result.Content, StringComparison.Ordinal);
        Assert.Contains("not text", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_Redirect_ReportsFinalUrl()
    {
        var result = await FetchAsync(new FetchUrlTool(), new { url = _server.Url("moved").ToString() });

        Assert.StartsWith($"URL: {_server.Url("json")}\n", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_SlowServer_TimesOut()
    {
        var result = await FetchAsync(new FetchUrlTool(TimeSpan.FromMilliseconds(300)), new { url = _server.Url("slow").ToString() });

        Assert.True(result.IsError);
        Assert.Contains("timed out", result.Content, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://example.org/x")]
    [InlineData("not a url")]
    public async Task InvokeAsync_NonHttpUrl_IsRefused(string url)
    {
        var result = await FetchAsync(new FetchUrlTool(), new { url });

        Assert.True(result.IsError);
        Assert.Contains("only fetches http(s)", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_ConnectionRefused_ReturnsError()
    {
        var port = _server.BaseAddress.Port;
        await _server.DisposeAsync();
        _server = await LoopbackHttpServer.StartAsync(HandleAsync, TestContext.Current.CancellationToken);

        var result = await FetchAsync(new FetchUrlTool(), new { url = $"http://127.0.0.1:{port}/page" });

        Assert.True(result.IsError);
        Assert.Contains("failed", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_RedirectThePolicyRefuses_NotFollowed()
    {
        var judged = new List<Uri>();
        var policy = new FakeRequestPolicy
        {
            OnCheckRedirect = url =>
            {
                judged.Add(url);
                return "asks in workspace-write mode: fetch_url sends a request to 127.0.0.2";
            },
        };

        var result = await FetchAsync(new FetchUrlTool(), new { url = _server.Url("elsewhere").ToString() }, policy);

        Assert.True(result.IsError);
        Assert.Contains("redirected to 'http://127.0.0.2:", result.Content, StringComparison.Ordinal);
        Assert.Contains("the redirect was not followed", result.Content, StringComparison.Ordinal);
        Assert.Equal([new Uri($"http://127.0.0.2:{_server.BaseAddress.Port}/secret")], judged);
    }

    [Fact]
    public async Task InvokeAsync_RedirectAllowed_EveryHopJudged()
    {
        var judged = new List<Uri>();
        var policy = new FakeRequestPolicy { OnCheckRedirect = url => { judged.Add(url); return null; } };

        var result = await FetchAsync(new FetchUrlTool(), new { url = _server.Url("moved").ToString() }, policy);

        Assert.False(result.IsError);
        Assert.Equal([_server.Url("json")], judged);
    }

    [Fact]
    public async Task InvokeAsync_RedirectToLoopbackAddressNoRuleNames_Refused()
    {
        // Full-auto: the policy allows every hop, but only localhost is named by a rule.
        var policy = new FakeRequestPolicy { OnNamesDestination = (url, _) => url.Host == "localhost" };

        var result = await FetchAsync(new FetchUrlTool(), new { url = $"http://localhost:{_server.BaseAddress.Port}/elsewhere" }, policy);

        Assert.True(result.IsError);
        Assert.Contains("127.0.0.2 (loopback)", result.Content, StringComparison.Ordinal);
        Assert.Contains("fetch_url(domain:127.0.0.2)", result.Content, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task InvokeAsync_LoopbackAddressNotNamed_RefusedBeforeConnecting(bool withPolicy)
    {
        var checkedAddresses = new List<IPAddress>();
        var policy = withPolicy ? new FakeRequestPolicy { OnNamesDestination = (_, address) => { checkedAddresses.Add(address); return false; } } : null;

        var result = await FetchAsync(new FetchUrlTool(), new { url = _server.Url("json").ToString() }, policy, permissive: false);

        Assert.True(result.IsError);
        Assert.Contains("was refused", result.Content, StringComparison.Ordinal);
        Assert.DoesNotContain("{\"a\": 1}", result.Content, StringComparison.Ordinal);
        Assert.Equal(0, Volatile.Read(ref _requests));
        Assert.Equal(withPolicy ? [IPAddress.Loopback] : [], checkedAddresses);
    }

    private ValueTask<ToolResult> FetchAsync(FetchUrlTool tool, object arguments, IRequestPolicy? policy = null, bool permissive = true, IOutputRedactor? redactor = null)
    {
        var context = ToolHarness.Context(_root) with { RequestPolicy = policy ?? (permissive ? new FakeRequestPolicy() : null), Redactor = redactor };
        return tool.InvokeAsync(new ToolInvocation("call-1", JsonSerializer.SerializeToElement(arguments), context), TestContext.Current.CancellationToken);
    }

    /// <summary>A policy that allows every redirect and names every address unless told otherwise.</summary>
    private sealed class FakeRequestPolicy : IRequestPolicy
    {
        public Func<Uri, string?> OnCheckRedirect { get; init; } = _ => null;

        public Func<Uri, IPAddress, bool> OnNamesDestination { get; init; } = (_, _) => true;

        public string? CheckRedirect(Uri url) => OnCheckRedirect(url);

        public bool NamesDestination(Uri url, IPAddress address) => OnNamesDestination(url, address);
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
            case "/secret-body":
                response.ContentType = "text/plain";
                await response.Body.WriteAsync(Encoding.ASCII.GetBytes(new string('a', 900) + Secret + new string('b', 5_000)));
                break;
            case "/image":
                response.ContentType = "image/png";
                await response.Body.WriteAsync(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0 });
                break;
            case "/moved":
                response.Redirect("/json");
                break;
            case "/elsewhere":
                response.Redirect($"http://127.0.0.2:{context.Connection.LocalPort}/secret");
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
