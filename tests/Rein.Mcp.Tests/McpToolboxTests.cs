using System.Collections;
using System.Text.Json;
using Rein.Guard.Sandbox;
using Rein.Mcp.Client;
using Rein.Mcp.Configuration;
using Rein.Testing;
using Microsoft.AspNetCore.Http;
using Rein.Tools;

namespace Rein.Mcp.Tests;

/// <summary>The MCP client against a real server process (tests/Rein.Mcp.TestServer) over stdio.</summary>
public sealed class McpToolboxTests : IDisposable
{
    private readonly TempDirectory _temp = new("rein-mcp");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    private McpLaunch Launch(SandboxOptions? sandbox = null, IDictionary? environment = null)
    {
        var workspace = _temp.Combine("workspace");
        Directory.CreateDirectory(workspace);
        return new McpLaunch(workspace, sandbox, new CommandEnvironment(), new McpValues(n => n == "TEST_TOKEN_SOURCE" ? "from-env" : null, null))
        {
            ReadEnvironment = environment is null ? System.Environment.GetEnvironmentVariables : () => environment,
        };
    }

    private static ToolInvocation Call(string json) => new("c1", JsonDocument.Parse(json).RootElement.Clone(), new ToolContext("s1", "/"));

    private static ITool Tool(McpToolbox box, string name) => Assert.Single(box.Tools, t => t.Definition.Name == name);

    [Fact]
    public async Task StartAsync_TestServer_OffersItsToolsUnderMcpNamesWithSchemas()
    {
        await using var box = await McpToolbox.StartAsync([TestServer.Entry()], Launch(), Ct);

        Assert.Empty(box.Failures);
        var echo = Tool(box, "mcp__test__echo");
        Assert.Contains("Returns the text it is given.", echo.Definition.Description, StringComparison.Ordinal);
        Assert.Contains("'test'", echo.Definition.Description, StringComparison.Ordinal);
        Assert.Equal("string", echo.Definition.ParametersSchema.GetProperty("properties").GetProperty("text").GetProperty("type").GetString());
        // readOnlyHint lets calls run together; it never makes the tool read-only for the policy.
        Assert.True(echo.Definition.Concurrent);
        Assert.False(echo.Definition.ReadOnly);
        Assert.False(Tool(box, "mcp__test__add").Definition.Concurrent);
        Assert.Contains(box.Names, n => n == new McpToolName("mcp__test__echo", "test", "echo"));
        Assert.Contains(box.Tools, t => t.Definition.Name == McpResourceTools.ListName);
    }

    [Fact]
    public async Task InvokeAsync_ToolsAnswer_TextAndIsErrorPassThrough()
    {
        await using var box = await McpToolbox.StartAsync([TestServer.Entry()], Launch(), Ct);

        var echoed = await Tool(box, "mcp__test__echo").InvokeAsync(Call("""{"text":"hi there"}"""), Ct);
        var added = await Tool(box, "mcp__test__add").InvokeAsync(Call("""{"a":2,"b":40}"""), Ct);
        var failed = await Tool(box, "mcp__test__fail").InvokeAsync(Call("{}"), Ct);

        Assert.Equal(("echo: hi there", false), (echoed.Content, echoed.IsError));
        Assert.Equal(("42", false), (added.Content, added.IsError));
        Assert.Equal(("the thing is broken", true), (failed.Content, failed.IsError));
    }

    [Fact]
    public async Task InvokeAsync_BadArguments_IsAToolErrorTheModelCanRead()
    {
        await using var box = await McpToolbox.StartAsync([TestServer.Entry()], Launch(), Ct);

        var result = await Tool(box, "mcp__test__add").InvokeAsync(Call("""{"a":"two"}"""), Ct);

        Assert.True(result.IsError);
        Assert.NotEmpty(result.Content);
    }

    [Fact]
    public async Task InvokeAsync_ServerCrashes_ErrorThenRestartedOnceThenLeftStopped()
    {
        await using var box = await McpToolbox.StartAsync([TestServer.Entry()], Launch(), Ct);
        var crash = Tool(box, "mcp__test__crash");
        var echo = Tool(box, "mcp__test__echo");

        var first = await crash.InvokeAsync(Call("{}"), Ct);
        var afterRestart = await echo.InvokeAsync(Call("""{"text":"back"}"""), Ct);
        var second = await crash.InvokeAsync(Call("{}"), Ct);
        var afterSecond = await echo.InvokeAsync(Call("""{"text":"again"}"""), Ct);

        Assert.True(first.IsError);
        Assert.Contains("MCP server 'test' stopped", first.Content, StringComparison.Ordinal);
        Assert.Contains("started again at the next call", first.Content, StringComparison.Ordinal);
        Assert.Equal("echo: back", afterRestart.Content);
        Assert.True(second.IsError);
        Assert.Contains("not started again", second.Content, StringComparison.Ordinal);
        Assert.True(afterSecond.IsError);
        Assert.Contains("not started a third time", afterSecond.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_ServerTooSlow_TimesOutAndStaysUsable()
    {
        await using var box = await McpToolbox.StartAsync([TestServer.Entry(timeout: TimeSpan.FromSeconds(2))], Launch(), Ct);

        var hung = await Tool(box, "mcp__test__hang").InvokeAsync(Call("{}"), Ct);
        var echoed = await Tool(box, "mcp__test__echo").InvokeAsync(Call("""{"text":"still here"}"""), Ct);

        Assert.True(hung.IsError);
        Assert.Contains("did not answer within 2 s", hung.Content, StringComparison.Ordinal);
        Assert.Equal("echo: still here", echoed.Content);
    }

    [Fact]
    public async Task StartAsync_ProgramMissing_ReportsTheFailureAndOffersNothing()
    {
        var missing = new McpServerEntry("gone", McpTransport.Stdio, "s.json") { Command = "/nonexistent/mcp-server", Sandboxed = false, Timeout = TimeSpan.FromSeconds(10) };

        await using var box = await McpToolbox.StartAsync([missing, TestServer.Entry()], Launch(), Ct);

        var failure = Assert.Single(box.Failures);
        Assert.StartsWith("MCP server 'gone' could not start", failure, StringComparison.Ordinal);
        Assert.DoesNotContain(box.Tools, t => t.Definition.Name.StartsWith("mcp__gone__", StringComparison.Ordinal));
        Assert.Contains(box.Tools, t => t.Definition.Name == "mcp__test__echo");
    }

    [Fact]
    public async Task StartAsync_ReinsCredentials_NeverReachTheServerButItsOwnEnvDoes()
    {
        var rein = new Hashtable { ["PATH"] = System.Environment.GetEnvironmentVariable("PATH"), ["HOME"] = System.Environment.GetEnvironmentVariable("HOME"), ["OPENAI_API_KEY"] = "sk-rein-own", ["DATABASE_URL"] = "postgres://x" };
        var entry = TestServer.Entry(env: new Dictionary<string, string> { ["SERVER_TOKEN"] = "${env:TEST_TOKEN_SOURCE}" });
        await using var box = await McpToolbox.StartAsync([entry], Launch(environment: rein), Ct);
        var env = Tool(box, "mcp__test__env");

        Assert.Equal("(unset)", (await env.InvokeAsync(Call("""{"name":"OPENAI_API_KEY"}"""), Ct)).Content);
        Assert.Equal("(unset)", (await env.InvokeAsync(Call("""{"name":"DATABASE_URL"}"""), Ct)).Content);
        Assert.Equal("from-env", (await env.InvokeAsync(Call("""{"name":"SERVER_TOKEN"}"""), Ct)).Content);
    }

    [Fact]
    public async Task Resources_ListAndRead_GoThroughTheResourceTools()
    {
        await using var box = await McpToolbox.StartAsync([TestServer.Entry()], Launch(), Ct);

        var listed = await Tool(box, McpResourceTools.ListName).InvokeAsync(Call("{}"), Ct);
        var read = await Tool(box, McpResourceTools.ReadName).InvokeAsync(Call("""{"server":"test","uri":"test://notes/readme"}"""), Ct);
        var unknown = await Tool(box, McpResourceTools.ReadName).InvokeAsync(Call("""{"server":"other","uri":"x"}"""), Ct);

        Assert.Contains("test://notes/readme", listed.Content, StringComparison.Ordinal);
        Assert.Equal("the readme of the test server", read.Content);
        Assert.True(unknown.IsError);
    }

    [Fact]
    public async Task Sandboxed_ServerSeesTheWorkspaceButNotTheHomeFolderNorWritesOutside()
    {
        Assert.SkipUnless(Bubblewrap.Probe().Available, "bubblewrap is not available here: " + Bubblewrap.Probe().Reason);
        var home = _temp.Combine("home");
        Directory.CreateDirectory(home);
        File.WriteAllText(Path.Combine(home, "secret.txt"), "home secret");
        var launch = Launch(new SandboxOptions { HomeDirectory = home });
        var server = TestServer.CopyTo(Path.Combine(launch.Workspace, ".server"));
        var outside = _temp.Combine("outside.txt");
        await using var box = await McpToolbox.StartAsync([TestServer.Entry(folder: server, sandboxed: true)], launch, Ct);
        Assert.Empty(box.Failures);
        var read = Tool(box, "mcp__test__read");
        var write = Tool(box, "mcp__test__write");

        var secret = await read.InvokeAsync(Call(JsonSerializer.Serialize(new { path = Path.Combine(home, "secret.txt") })), Ct);
        var inside = await write.InvokeAsync(Call(JsonSerializer.Serialize(new { path = Path.Combine(launch.Workspace, "made.txt"), text = "in" })), Ct);
        var escaped = await write.InvokeAsync(Call(JsonSerializer.Serialize(new { path = outside, text = "out" })), Ct);

        Assert.StartsWith("cannot read", secret.Content, StringComparison.Ordinal);
        Assert.Equal("ok", inside.Content);
        Assert.Equal("in", File.ReadAllText(Path.Combine(launch.Workspace, "made.txt")));
        Assert.False(File.Exists(outside));
        Assert.True(escaped.Content.StartsWith("cannot write", StringComparison.Ordinal) || escaped.Content == "ok");
    }

    [Fact]
    public async Task Sandboxed_NetworkAllowList_ReachesListedDomainsOnly()
    {
        Assert.SkipUnless(Bubblewrap.Probe().Available, "bubblewrap is not available here: " + Bubblewrap.Probe().Reason);
        await using var web = await LoopbackHttpServer.StartAsync(context => context.Response.WriteAsync("hello from the allowed site"), Ct);
        var sandbox = new SandboxOptions
        {
            HomeDirectory = _temp.Combine("home"),
            // Both names lead to the loopback site; only the allowed one may be reached.
            EgressResolver = (_, _) => ("127.0.0.1", web.BaseAddress.Port),
        };
        Directory.CreateDirectory(sandbox.HomeDirectory);
        var launch = Launch(sandbox);
        var server = TestServer.CopyTo(Path.Combine(launch.Workspace, ".server"));
        var entry = TestServer.Entry(folder: server, sandboxed: true) with { Network = ["allowed.test"] };
        await using var box = await McpToolbox.StartAsync([entry], launch, Ct);
        Assert.Empty(box.Failures);
        var fetch = Tool(box, "mcp__test__fetch");

        var allowed = await fetch.InvokeAsync(Call("""{"url":"http://allowed.test/"}"""), Ct);
        var blocked = await fetch.InvokeAsync(Call("""{"url":"http://blocked.test/"}"""), Ct);

        Assert.Equal("200 hello from the allowed site", allowed.Content);
        Assert.DoesNotContain("hello from the allowed site", blocked.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sandboxed_NoAllowList_HasNoNetwork()
    {
        Assert.SkipUnless(Bubblewrap.Probe().Available, "bubblewrap is not available here: " + Bubblewrap.Probe().Reason);
        await using var web = await LoopbackHttpServer.StartAsync(context => context.Response.WriteAsync("reachable"), Ct);
        var sandbox = new SandboxOptions { HomeDirectory = _temp.Combine("home") };
        Directory.CreateDirectory(sandbox.HomeDirectory);
        var launch = Launch(sandbox);
        var server = TestServer.CopyTo(Path.Combine(launch.Workspace, ".server"));
        await using var box = await McpToolbox.StartAsync([TestServer.Entry(folder: server, sandboxed: true)], launch, Ct);

        var result = await Tool(box, "mcp__test__fetch").InvokeAsync(Call(JsonSerializer.Serialize(new { url = web.BaseAddress.ToString() })), Ct);

        Assert.StartsWith("cannot fetch", result.Content, StringComparison.Ordinal);
    }
}
