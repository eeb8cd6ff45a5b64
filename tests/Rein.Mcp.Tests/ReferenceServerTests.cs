using System.Diagnostics;
using System.Text.Json;
using Rein.Guard.Sandbox;
using Rein.Mcp.Client;
using Rein.Mcp.Configuration;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Mcp.Tests;

/// <summary>The MCP client against the reference servers published on npm.</summary>
public sealed class ReferenceServerTests : IDisposable
{
    private readonly TempDirectory _temp = new("rein-mcp-ref");

    public ReferenceServerTests()
    {
        Directory.CreateDirectory(Workspace);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Workspace => _temp.Combine("workspace");

    public void Dispose() => _temp.Dispose();

    private McpLaunch Launch(SandboxOptions? sandbox = null) =>
        new(Workspace, sandbox, new CommandEnvironment(), new McpValues(_ => null, null));

    private static McpServerEntry Everything(TimeSpan? timeout = null) => new("everything", McpTransport.Stdio, "test")
    {
        Command = ReferenceMcpServers.Everything,
        Sandboxed = false,
        Timeout = timeout ?? TimeSpan.FromSeconds(30),
    };

    private McpServerEntry Filesystem(bool sandboxed = false, params string[] extra) => new("fs", McpTransport.Stdio, "test")
    {
        Command = ReferenceMcpServers.Filesystem,
        Args = [Workspace, .. extra],
        Sandboxed = sandboxed,
        Timeout = TimeSpan.FromSeconds(30),
    };

    private static ToolInvocation Call(object arguments) => new("c1", JsonSerializer.SerializeToElement(arguments), new ToolContext("s1", "/"));

    private static ITool Tool(McpToolbox box, string name) => Assert.Single(box.Tools, t => t.Definition.Name == name);

    [Fact]
    public async Task Everything_ToolsAndResources_ComeThroughAsText()
    {
        ReferenceMcpServers.Require();
        await using var box = await McpToolbox.StartAsync([Everything()], Launch(), Ct);

        Assert.Empty(box.Failures);
        var echo = await Tool(box, "mcp__everything__echo").InvokeAsync(Call(new { message = "hello from rein" }), Ct);
        var sum = await Tool(box, "mcp__everything__get-sum").InvokeAsync(Call(new { a = 2, b = 40 }), Ct);
        var image = await Tool(box, "mcp__everything__get-tiny-image").InvokeAsync(Call(new { }), Ct);
        var resources = await Tool(box, McpResourceTools.ListName).InvokeAsync(Call(new { }), Ct);

        Assert.Contains("hello from rein", echo.Content, StringComparison.Ordinal);
        Assert.Contains("42", sum.Content, StringComparison.Ordinal);
        Assert.False(sum.IsError);
        Assert.Contains("[image image/png", image.Content, StringComparison.Ordinal);
        Assert.Contains("demo://", resources.Content, StringComparison.Ordinal);
        Assert.True(Tool(box, "mcp__everything__echo").Definition.Concurrent);
        Assert.False(Tool(box, "mcp__everything__echo").Definition.ReadOnly);
    }

    [Fact]
    public async Task Everything_BadArgumentsAndSlowCalls_AreToolErrors()
    {
        ReferenceMcpServers.Require();
        await using var box = await McpToolbox.StartAsync([Everything(TimeSpan.FromSeconds(3))], Launch(), Ct);

        var bad = await Tool(box, "mcp__everything__get-sum").InvokeAsync(Call(new { a = "two", b = 1 }), Ct);
        var slow = await Tool(box, "mcp__everything__trigger-long-running-operation").InvokeAsync(Call(new { duration = 30, steps = 3 }), Ct);
        var after = await Tool(box, "mcp__everything__echo").InvokeAsync(Call(new { message = "still up" }), Ct);

        Assert.True(bad.IsError, bad.Content);
        Assert.True(slow.IsError);
        Assert.Contains("did not answer within 3 s", slow.Content, StringComparison.Ordinal);
        Assert.Contains("still up", after.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Filesystem_ReadsTheWorkspaceAndRefusesOutsideWithIsError()
    {
        ReferenceMcpServers.Require();
        File.WriteAllText(Path.Combine(Workspace, "notes.txt"), "workspace notes");
        var outside = _temp.Combine("outside.txt");
        File.WriteAllText(outside, "not yours");
        await using var box = await McpToolbox.StartAsync([Filesystem()], Launch(), Ct);

        var read = await Tool(box, "mcp__fs__read_text_file").InvokeAsync(Call(new { path = Path.Combine(Workspace, "notes.txt") }), Ct);
        var refused = await Tool(box, "mcp__fs__read_text_file").InvokeAsync(Call(new { path = outside }), Ct);

        Assert.Equal(("workspace notes", false), (read.Content, read.IsError));
        Assert.True(refused.IsError, refused.Content);
        Assert.DoesNotContain("not yours", refused.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Filesystem_KilledMidSession_ErrorThenRestartedAtTheNextCall()
    {
        ReferenceMcpServers.Require();
        var marker = Path.Combine(Workspace, "marker-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(marker);
        await using var box = await McpToolbox.StartAsync([Filesystem(false, marker)], Launch(), Ct);
        var list = Tool(box, "mcp__fs__list_allowed_directories");
        Assert.False((await list.InvokeAsync(Call(new { }), Ct)).IsError);

        using (var kill = Process.Start("pkill", ["-KILL", "-f", marker]))
        {
            await kill.WaitForExitAsync(Ct);
        }

        var dead = await list.InvokeAsync(Call(new { }), Ct);
        var restarted = await list.InvokeAsync(Call(new { }), Ct);

        Assert.True(dead.IsError);
        Assert.Contains("MCP server 'fs' stopped", dead.Content, StringComparison.Ordinal);
        Assert.False(restarted.IsError, restarted.Content);
        Assert.Contains(marker, restarted.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Filesystem_Sandboxed_StartsAndStillSeesTheWorkspace()
    {
        ReferenceMcpServers.Require();
        Assert.SkipUnless(Bubblewrap.Probe().Available, "bubblewrap is not available here: " + Bubblewrap.Probe().Reason);
        File.WriteAllText(Path.Combine(Workspace, "notes.txt"), "sandboxed notes");
        // The servers live in a cache folder under the home folder, which the sandbox hides unless it is bound back.
        var sandbox = new SandboxOptions();
        sandbox.ReadOnlyPaths.Add(ReferenceMcpServers.Folder);
        await using var box = await McpToolbox.StartAsync([Filesystem(sandboxed: true)], Launch(sandbox), Ct);

        Assert.Empty(box.Failures);
        var read = await Tool(box, "mcp__fs__read_text_file").InvokeAsync(Call(new { path = Path.Combine(Workspace, "notes.txt") }), Ct);
        Assert.Equal("sandboxed notes", read.Content);
    }
}
