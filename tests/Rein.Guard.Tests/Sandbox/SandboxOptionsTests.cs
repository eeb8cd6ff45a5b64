using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Rein.Guard.Sandbox;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Guard.Tests.Sandbox;

public sealed class SandboxOptionsTests
{
    private static SandboxOptions Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return SandboxOptions.FromJson(document.RootElement, "/p/settings.json");
    }

    [Fact]
    public void FromJson_FullSection_ReadsEverything()
    {
        var options = Parse("""
            {"network": {"allow": ["pypi.org", "*.github.com"], "ports": [80, 443, 8443]},
             "limits": {"cpu_seconds": 30, "memory_mb": 512, "processes": 64, "file_size_mb": 10, "open_files": null},
             "read_only_paths": ["/opt/sdk"], "writable_paths": ["~/.cache/pip"], "env": ["NODE_ENV", "CI", "MY_*"]}
            """);

        Assert.Equal(["pypi.org", "*.github.com"], options.AllowedDomains);
        Assert.Equal([80, 443, 8443], options.AllowedPorts);
        Assert.Equal(30, options.CpuSeconds);
        Assert.Equal(512, options.MemoryMb);
        Assert.Equal(64, options.Processes);
        Assert.Equal(10, options.FileSizeMb);
        Assert.Null(options.OpenFiles);
        Assert.Equal(["/opt/sdk"], options.ReadOnlyPaths);
        Assert.Equal(["~/.cache/pip"], options.WritablePaths);
        Assert.Equal(["NODE_ENV", "CI", "MY_*"], options.EnvironmentNames);
    }

    [Fact]
    public void FromJson_Empty_Defaults()
    {
        var options = Parse("{}");

        Assert.Empty(options.AllowedDomains);
        Assert.Equal(600, options.CpuSeconds);
        Assert.Equal(8192, options.MemoryMb);
        Assert.Equal(1024, options.Processes);
        Assert.Contains(".dotnet", options.ToolchainFolders);
    }

    [Theory]
    [InlineData("""{"limits": {"cpu_seconds": -1}}""", "\"sandbox.limits.cpu_seconds\"")]
    [InlineData("""{"limits": {"cpu": 5}}""", "\"sandbox.limits.cpu\"")]
    [InlineData("""{"network": {"allow": "pypi.org"}}""", "\"sandbox.network.allow\"")]
    [InlineData("""{"network": {"allow": ["bad host"]}}""", "\"sandbox.network.allow\"")]
    [InlineData("""{"read_only_paths": ["relative/path"]}""", "\"sandbox.read_only_paths\"")]
    [InlineData("""{"netwrok": {}}""", "\"sandbox.netwrok\"")]
    [InlineData("""{"env": "CI"}""", "\"sandbox.env\"")]
    [InlineData("""{"network": {"ports": [0]}}""", "\"sandbox.network.ports\"")]
    [InlineData("""{"network": {"ports": "443"}}""", "\"sandbox.network.ports\"")]
    [InlineData("""{"env": ["NODE ENV"]}""", "\"sandbox.env\"")]
    [InlineData("""{"env": ["*"]}""", "\"sandbox.env\"")]
    [InlineData("""{"env": ["NPM_TOKEN"]}""", "\"sandbox.env\"")]
    public void FromJson_BadValue_ErrorNamesFileAndKey(string json, string key)
    {
        var error = Assert.Throws<FormatException>(() => Parse(json));

        Assert.StartsWith("/p/settings.json: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pypi.org", true)]
    [InlineData("PyPI.org.", true)]
    [InlineData("files.pypi.org", false)]
    [InlineData("api.github.com", true)]
    [InlineData("a.b.github.com", true)]
    [InlineData("github.com", false)]
    [InlineData("evilgithub.com", false)]
    [InlineData("pypi.org.evil.com", false)]
    public void DomainAllowList_IsAllowed_MatchesExactAndSubdomains(string host, bool allowed)
    {
        var list = new DomainAllowList(["pypi.org", "*.github.com"]);

        Assert.Equal(allowed, list.IsAllowed(host));
    }

    [Fact]
    public void BuildArguments_Defaults_IsolatesEverything()
    {
        using var workspace = new TempDirectory();
        var options = new SandboxOptions { HomeDirectory = workspace.Combine("nohome") };

        var argv = Bubblewrap.BuildArguments(new CommandRequest("echo hi", workspace.Path, TimeSpan.FromSeconds(1)), workspace.Path, options);
        var text = string.Join(' ', argv);

        Assert.EndsWith("bwrap", argv[0], StringComparison.Ordinal);
        Assert.Contains("--unshare-all --unshare-user", text, StringComparison.Ordinal);
        Assert.Contains("--cap-drop ALL", text, StringComparison.Ordinal);
        Assert.Contains("--ro-bind / /", text, StringComparison.Ordinal);
        Assert.Contains("--tmpfs /tmp", text, StringComparison.Ordinal);
        Assert.Contains($"--bind {workspace.Path} {workspace.Path}", text, StringComparison.Ordinal);
        Assert.Contains("--ro-bind /dev/null /etc/shadow", text, StringComparison.Ordinal);
        Assert.Contains("--nproc=1024", text, StringComparison.Ordinal);
        Assert.Equal(["-c", "echo hi"], argv.TakeLast(2));
        Assert.DoesNotContain("socat", text, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildArguments_PathEntryInAnotherAccountsHome_BindsThatHomesToolchainsOnly()
    {
        using var workspace = new TempDirectory();
        var account = Path.Join("/home", "rein-sandbox-test-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Join(account, ".cargo", "bin"));
        Directory.CreateDirectory(Path.Join(account, ".rustup"));
        Directory.CreateDirectory(Path.Join(account, ".ssh"));
        try
        {
            var withPath = new SandboxOptions { HomeDirectory = workspace.Combine("nohome"), SearchPath = $"/usr/bin:{account}/.cargo/bin" };
            var without = new SandboxOptions { HomeDirectory = workspace.Combine("nohome"), SearchPath = "/usr/bin" };

            var text = string.Join(' ', Bubblewrap.BuildArguments(new CommandRequest("true", workspace.Path, TimeSpan.FromSeconds(1)), workspace.Path, withPath));
            var plain = string.Join(' ', Bubblewrap.BuildArguments(new CommandRequest("true", workspace.Path, TimeSpan.FromSeconds(1)), workspace.Path, without));

            Assert.Contains($"--ro-bind {account}/.cargo {account}/.cargo", text, StringComparison.Ordinal);
            Assert.Contains($"--ro-bind {account}/.rustup {account}/.rustup", text, StringComparison.Ordinal);
            Assert.DoesNotContain($"{account}/.ssh", text, StringComparison.Ordinal);
            Assert.DoesNotContain(account, plain, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(account, recursive: true);
        }
    }

    [Fact]
    public async Task EgressProxy_DeniedHost_403AndRecorded()
    {
        using var folder = new TempDirectory();
        await using var proxy = EgressProxy.Start(folder.Combine("p.sock"), ["allowed.test"]);

        var response = await SendAsync(proxy.SocketPath, "CONNECT denied.test:443 HTTP/1.1\r\nHost: denied.test:443\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 403 Forbidden", response, StringComparison.Ordinal);
        Assert.Contains("denied.test is not on the network allow-list", response, StringComparison.Ordinal);
        Assert.Equal(["denied.test:443"], proxy.Refused);
    }

    [Fact]
    public async Task EgressProxy_AllowedNameResolvingToLoopback_Refused()
    {
        using var folder = new TempDirectory();
        await using var proxy = EgressProxy.Start(folder.Combine("p.sock"), ["localhost"]);

        var response = await SendAsync(proxy.SocketPath, "GET http://localhost/ HTTP/1.1\r\nHost: localhost\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 403 Forbidden", response, StringComparison.Ordinal);
        Assert.Contains("local or private addresses", response, StringComparison.Ordinal);
        Assert.Equal(["localhost:80"], proxy.Refused);
    }

    [Theory]
    [InlineData("GET http://allowed.test:8080/ HTTP/1.1\r\nHost: allowed.test:8080\r\n\r\n", "port 8080 is not allowed", "allowed.test:8080")]
    [InlineData("CONNECT allowed.test:22 HTTP/1.1\r\nHost: allowed.test:22\r\n\r\n", "port 22 is not allowed", "allowed.test:22")]
    [InlineData("GET http://allowed.test/ HTTP/1.1\r\nHost: internal.test\r\n\r\n", "does not match the request's target", "allowed.test:80")]
    [InlineData("GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test:8080\r\n\r\n", "does not match the request's target", "allowed.test:80")]
    [InlineData("GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\nHost: internal.test\r\n\r\n", "more than one Host header", "allowed.test:80")]
    public async Task EgressProxy_PortNotAllowedOrHostHeaderMismatch_403BeforeConnecting(string request, string reason, string refused)
    {
        using var folder = new TempDirectory();
        var connects = 0;
        await using var proxy = EgressProxy.Start(folder.Combine("p.sock"), ["allowed.test"], (_, _) =>
        {
            Interlocked.Increment(ref connects);
            return ("127.0.0.1", 9);
        });

        var response = await SendAsync(proxy.SocketPath, request);

        Assert.StartsWith("HTTP/1.1 403 Forbidden", response, StringComparison.Ordinal);
        Assert.Contains(reason, response, StringComparison.Ordinal);
        Assert.Equal([refused], proxy.Refused);
        Assert.Equal(0, Volatile.Read(ref connects));
    }

    [Fact]
    public async Task EgressProxy_LoopbackAddressNamedInAllowList_Connects()
    {
        using var folder = new TempDirectory();
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen(1);
        var port = ((System.Net.IPEndPoint)listener.LocalEndPoint!).Port;
        await using var proxy = EgressProxy.Start(folder.Combine("p.sock"), ["127.0.0.1"], allowedPorts: [port]);

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(proxy.SocketPath), TestContext.Current.CancellationToken);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n"), TestContext.Current.CancellationToken);
        var buffer = new byte[64];
        var read = await socket.ReceiveAsync(buffer, TestContext.Current.CancellationToken);

        Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(buffer, 0, read), StringComparison.Ordinal);
        Assert.Empty(proxy.Refused);
    }

    [Fact]
    public async Task EgressProxy_NotAProxyRequest_400()
    {
        using var folder = new TempDirectory();
        await using var proxy = EgressProxy.Start(folder.Combine("p.sock"), ["allowed.test"]);

        var response = await SendAsync(proxy.SocketPath, "GET /relative HTTP/1.1\r\nHost: allowed.test\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", response, StringComparison.Ordinal);
        Assert.Empty(proxy.Refused);
    }

    private static async Task<string> SendAsync(string socketPath, string request)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), TestContext.Current.CancellationToken);
        using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), TestContext.Current.CancellationToken);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(TestContext.Current.CancellationToken);
    }
}
