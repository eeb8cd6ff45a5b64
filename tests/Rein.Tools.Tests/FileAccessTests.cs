using System.Text.Json;
using Rein.Testing;

namespace Rein.Tools.Tests;

/// <summary>File tools apply the session's file policy to the real target of every file they read or write.</summary>
public sealed class FileAccessTests : IDisposable
{
    private const string Secret = "sk-live-REIN-TEST-5ecret";
    private readonly TempDirectory _workspace = new("rein-access");

    public FileAccessTests()
    {
        _workspace.Write(".env", $"API_KEY={Secret}\n");
        _workspace.Write(".git/config", "[core]\n");
        _workspace.Write("src/app.cs", "var key = Environment.GetEnvironmentVariable(\"API_KEY\");\n");
        File.CreateSymbolicLink(_workspace.Combine("src", "settings.txt"), "../.env");
        File.CreateSymbolicLink(_workspace.Combine("gc"), ".git/config");
    }

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Grep_OverWorkspaceWithDeniedFile_SkipsItAndSaysHowMany()
    {
        var result = await InvokeAsync(new GrepTool(), new { pattern = "API_KEY" });

        Assert.DoesNotContain(Secret, result.Content, StringComparison.Ordinal);
        Assert.Contains("src/app.cs", result.Content, StringComparison.Ordinal);
        Assert.Contains("1 file not searched", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grep_NamedLinkToDeniedFile_NotSearched()
    {
        var result = await InvokeAsync(new GrepTool(), new { pattern = "API", path = "src/settings.txt" });

        Assert.DoesNotContain(Secret, result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadFile_LinkToDeniedFile_Refused()
    {
        var result = await InvokeAsync(new ReadFileTool(), new { path = "src/settings.txt" });

        Assert.True(result.IsError);
        Assert.DoesNotContain(Secret, result.Content, StringComparison.Ordinal);
        Assert.Contains("really '.env'", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListFiles_DeniedFileAndLinkToIt_LeftOutAndCounted()
    {
        var result = await InvokeAsync(new ListFilesTool(), new { pattern = "**/*" });

        Assert.DoesNotContain(".env", result.Content.Split('\n').Where(line => !line.StartsWith('[')), StringComparer.Ordinal);
        Assert.DoesNotContain("src/settings.txt", result.Content, StringComparison.Ordinal);
        Assert.Contains("src/app.cs", result.Content, StringComparison.Ordinal);
        Assert.Contains("2 files not listed", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteFile_ThroughLinkToProtectedTarget_RefusedAndTargetUnchanged()
    {
        var result = await InvokeAsync(new WriteFileTool(), new { path = "gc", content = "[core]\n\tfsmonitor = evil\n" });

        Assert.True(result.IsError);
        Assert.Equal("[core]\n", File.ReadAllText(_workspace.Combine(".git", "config")));
    }

    [Fact]
    public async Task EditFile_ThroughLinkToProtectedTarget_RefusedAndTargetUnchanged()
    {
        var result = await InvokeAsync(new EditFileTool(), new { path = "gc", old_string = "[core]", new_string = "[core]\n\tfsmonitor = evil" });

        Assert.True(result.IsError);
        Assert.Equal("[core]\n", File.ReadAllText(_workspace.Combine(".git", "config")));
    }

    [Fact]
    public async Task WriteFile_WithoutPolicy_WritesTheRealTargetNotTheLink()
    {
        _workspace.Write("notes/a.txt", "old\n");
        File.CreateSymbolicLink(_workspace.Combine("a-link"), "notes/a.txt");

        var result = await new WriteFileTool().InvokeAsync(_workspace, new { path = "a-link", content = "new\n" });

        Assert.False(result.IsError, result.Content);
        Assert.Equal("new\n", File.ReadAllText(_workspace.Combine("notes", "a.txt")));
        Assert.NotNull(new FileInfo(_workspace.Combine("a-link")).LinkTarget);
    }

    [Fact]
    public void NoFollowFile_ComponentTurnedIntoLink_Refused()
    {
        _workspace.Write("real/x.txt", "safe\n");
        var checkedPath = _workspace.Combine("dir", "x.txt");
        // The path was resolved while "dir" was a folder; it is now a link to a protected folder.
        File.CreateSymbolicLink(_workspace.Combine("dir"), "real");

        Assert.ThrowsAny<IOException>(() => NoFollowFile.OpenWrite(checkedPath).Dispose());
        Assert.Equal("safe\n", File.ReadAllText(_workspace.Combine("real", "x.txt")));
    }

    [Theory]
    [InlineData("up/../b.txt", "real/b.txt")]
    [InlineData("up/./b.txt", "real/sub/b.txt")]
    public void RealPath_DotDotAfterLink_ClimbsFromTheTarget(string path, string expected)
    {
        Directory.CreateDirectory(_workspace.Combine("real", "sub"));
        File.CreateSymbolicLink(_workspace.Combine("up"), "real/sub");

        Assert.Equal(_workspace.Combine(expected), RealPath.Resolve(path, _workspace.Path));
    }

    private ValueTask<ToolResult> InvokeAsync(ITool tool, object arguments)
    {
        var context = new ToolContext("s1", _workspace.Path) { FileAccess = new DenyEnvAndGit(_workspace.Path) };
        return tool.InvokeAsync(new ToolInvocation("call-1", JsonSerializer.SerializeToElement(arguments), context), TestContext.Current.CancellationToken);
    }

    /// <summary>Stands for a policy with <c>deny read_file(**/.env*)</c> and the protected <c>.git</c>.</summary>
    private sealed class DenyEnvAndGit(string workspace) : IFileAccess
    {
        public FileAccessVerdict CheckRead(string fullPath) =>
            Path.GetFileName(fullPath).StartsWith(".env", StringComparison.Ordinal) ? new(FileAccessDecision.Deny, "denied by rule read_file(**/.env*)") : FileAccessVerdict.Allowed;

        public FileAccessVerdict CheckWrite(string fullPath) =>
            fullPath.StartsWith(Path.Join(workspace, ".git"), StringComparison.Ordinal) ? new(FileAccessDecision.Deny, "writes to .git, a protected path") : FileAccessVerdict.Allowed;
    }
}
