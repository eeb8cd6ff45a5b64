using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Rein.Testing;

namespace Rein.Guard.Tests.Sandbox;

/// <summary>Work that must still succeed inside the sandbox.</summary>
public sealed class SandboxFunctionalTests : IDisposable
{
    private readonly SandboxHarness _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task RunAsync_WriteInWorkspace_FileOnHost()
    {
        Directory.CreateDirectory(Path.Join(_sandbox.Workspace, "sub"));

        var result = await _sandbox.RunAsync("echo hello > ../made.txt && pwd && echo tmp > /tmp/t && cat /tmp/t", workdir: Path.Join(_sandbox.Workspace, "sub"));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains(Path.Join(_sandbox.Workspace, "sub"), result.Output, StringComparison.Ordinal);
        Assert.Equal("hello\n", await File.ReadAllTextAsync(Path.Join(_sandbox.Workspace, "made.txt"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task RunAsync_CompileAndRunProgram_Works()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/cc"), "Needs a C compiler (cc).");
        await File.WriteAllTextAsync(Path.Join(_sandbox.Workspace, "hello.c"), "#include <stdio.h>\nint main(void) { puts(\"built-and-ran\"); return 0; }\n", TestContext.Current.CancellationToken);

        var result = await _sandbox.RunAsync("cc -o hello hello.c && ./hello");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("built-and-ran", result.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Join(_sandbox.Workspace, "hello")));
    }

    [Fact]
    public async Task RunAsync_GitInitAndCommitInSubfolder_Works()
    {
        // The workspace's own .git is protected (it may not even be created), a nested repository is not.
        var result = await _sandbox.RunAsync(
            "mkdir lib && cd lib && git init -q . && echo a > a.txt && git add a.txt && git -c user.email=t@example.com -c user.name=T commit -qm first && git log --format=%s");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("first", result.Output, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Join(_sandbox.Workspace, "lib", ".git", "objects")));
        Assert.False(Path.Exists(Path.Join(_sandbox.Workspace, ".git")));
    }

    [Fact]
    public async Task RunAsync_PythonScript_Works()
    {
        SandboxHarness.RequirePython();
        await File.WriteAllTextAsync(Path.Join(_sandbox.Workspace, "s.py"), "import os\nopen('out.txt','w').write(str(6*7))\nprint('home', os.environ['HOME'])\n", TestContext.Current.CancellationToken);

        var result = await _sandbox.RunAsync("/usr/bin/python3 s.py");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("home " + _sandbox.Home, result.Output, StringComparison.Ordinal);
        Assert.Equal("42", await File.ReadAllTextAsync(Path.Join(_sandbox.Workspace, "out.txt"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task RunAsync_Timeout_KillsCommand()
    {
        var result = await _sandbox.RunAsync("echo before; sleep 30; echo after", timeoutSeconds: 1);

        Assert.True(result.TimedOut);
        Assert.Null(result.ExitCode);
        Assert.DoesNotContain("after", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_WorkingFolderOutsideWorkspace_StartError()
    {
        var result = await _sandbox.RunAsync("true", workdir: "/etc");

        Assert.NotNull(result.StartError);
        Assert.Contains("outside", result.StartError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_WorkspaceInsideHome_BoundBackWritable()
    {
        var workspace = Path.Join(_sandbox.Home, "project");
        Directory.CreateDirectory(workspace);
        var runner = new Rein.Guard.Sandbox.BubblewrapCommandRunner(workspace, _sandbox.Options);

        var result = await runner.RunAsync(
            new Rein.Tools.CommandRequest("echo ok > f.txt; cat ~/.ssh/id_rsa; ls -A ~", workspace, TimeSpan.FromSeconds(30)), TestContext.Current.CancellationToken);

        Assert.Equal("ok\n", await File.ReadAllTextAsync(Path.Join(workspace, "f.txt"), TestContext.Current.CancellationToken));
        Assert.DoesNotContain(SandboxHarness.KeyMarker, result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(".bashrc", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_AllowedDomainOverHttp_ServedAndOtherRefused()
    {
        await using var server = await LoopbackHttpServer.StartAsync(
            context => context.Response.WriteAsync("hello from " + context.Request.Host.Host + context.Request.Path, context.RequestAborted),
            TestContext.Current.CancellationToken);
        _sandbox.Options.AllowedDomains.Add("allowed.test");
        _sandbox.Options.EgressResolver = (host, _) => host == "allowed.test" ? ("127.0.0.1", server.BaseAddress.Port) : null;
        var port = server.BaseAddress.Port;
        _sandbox.Options.AllowedPorts.Add(port);

        var result = await _sandbox.RunAsync($"curl -sS -m 10 http://allowed.test:{port}/page; echo; curl -sS -m 10 http://blocked.test:{port}/x; echo; echo done");

        Assert.Contains("hello from allowed.test/page", result.Output, StringComparison.Ordinal);
        Assert.Contains("blocked.test is not on the network allow-list", result.Output, StringComparison.Ordinal);
        Assert.Equal([$"blocked.test:{port}"], result.EgressRefused);
    }

    [Fact]
    public async Task RunAsync_ConnectTunnelToAllowedDomain_EchoesAndOtherRefused()
    {
        SandboxHarness.RequirePython();
        using var echo = new TcpListener(IPAddress.Loopback, 0);
        echo.Start();
        var echoPort = ((IPEndPoint)echo.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var client = await echo.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
            var stream = client.GetStream();
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken);
            await stream.WriteAsync(buffer.AsMemory(0, read), TestContext.Current.CancellationToken);
        }, TestContext.Current.CancellationToken);
        _sandbox.Options.AllowedDomains.Add("*.allowed.test");
        _sandbox.Options.EgressResolver = (_, _) => ("127.0.0.1", echoPort);
        const string Script = """
            import os, socket, sys
            def tunnel(host):
                s = socket.create_connection(("127.0.0.1", 3128), timeout=10)
                s.sendall(f"CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n\r\n".encode())
                head = s.recv(4096).decode()
                print("HEAD", host, head.split("\r\n")[0])
                if " 200 " in head:
                    s.sendall(b"ping-through-tunnel")
                    print("ECHO", s.recv(64).decode())
            print("PROXY", os.environ["HTTPS_PROXY"])
            tunnel("api.allowed.test")
            tunnel("allowed.test")
            """;
        await File.WriteAllTextAsync(Path.Join(_sandbox.Workspace, "t.py"), Script, TestContext.Current.CancellationToken);

        var result = await _sandbox.RunAsync("/usr/bin/python3 t.py");
        await serve.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Contains("PROXY http://127.0.0.1:3128", result.Output, StringComparison.Ordinal);
        Assert.Contains("HEAD api.allowed.test HTTP/1.1 200", result.Output, StringComparison.Ordinal);
        Assert.Contains("ECHO ping-through-tunnel", result.Output, StringComparison.Ordinal);
        Assert.Contains("HEAD allowed.test HTTP/1.1 403", result.Output, StringComparison.Ordinal);
        Assert.Equal(["allowed.test:443"], result.EgressRefused);
    }
}
