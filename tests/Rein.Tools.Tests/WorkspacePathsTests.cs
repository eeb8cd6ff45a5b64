using Rein.Testing;

namespace Rein.Tools.Tests;

public sealed class WorkspacePathsTests
{
    [Fact]
    public void TryResolve_RelativeInside_ReturnsCanonicalPath()
    {
        using var root = new TempDirectory();
        var paths = new WorkspacePaths(root.Path);

        Assert.True(paths.TryResolve("src/a.cs", out var full, out _));
        Assert.Equal(root.Combine("src", "a.cs"), full);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("./")]
    public void TryResolve_EmptyOrDot_ReturnsRoot(string path)
    {
        using var root = new TempDirectory();
        Assert.True(new WorkspacePaths(root.Path).TryResolve(path, out var full, out _));
        Assert.Equal(root.Path, full);
    }

    [Fact]
    public void TryResolve_DotDotThatStaysInside_IsAllowed()
    {
        using var root = new TempDirectory();
        Assert.True(new WorkspacePaths(root.Path).TryResolve("a/../b.txt", out var full, out _));
        Assert.Equal(root.Combine("b.txt"), full);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a/../../x")]
    [InlineData("..")]
    public void TryResolve_DotDotOutside_IsRefused(string path)
    {
        using var root = new TempDirectory();
        Assert.False(new WorkspacePaths(root.Path).TryResolve(path, out _, out var error));
        Assert.Equal($"Path '{path}' is outside the workspace. Use a path relative to the workspace root.", error);
    }

    [Fact]
    public void TryResolve_AbsoluteOutside_IsRefused()
    {
        using var root = new TempDirectory();
        Assert.False(new WorkspacePaths(root.Path).TryResolve("/etc/passwd", out _, out var error));
        Assert.Contains("outside the workspace", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryResolve_SiblingWithSamePrefix_IsRefused()
    {
        using var root = new TempDirectory();
        Assert.False(new WorkspacePaths(root.Path).TryResolve(root.Path + "-evil/x", out _, out _));
    }

    [Fact]
    public void TryResolve_AbsoluteInside_IsAllowed()
    {
        using var root = new TempDirectory();
        Assert.True(new WorkspacePaths(root.Path).TryResolve(root.Combine("x", "y.txt"), out var full, out _));
        Assert.Equal(root.Combine("x", "y.txt"), full);
    }

    [Fact]
    public void TryResolve_SymlinkedFileToOutside_IsRefused()
    {
        using var root = new TempDirectory();
        using var outside = ToolHarness.Outside();
        var secret = outside.Write("secret.txt", "s");
        File.CreateSymbolicLink(root.Combine("link.txt"), secret);

        Assert.False(new WorkspacePaths(root.Path).TryResolve("link.txt", out _, out var error));
        Assert.Contains("outside the workspace", error, StringComparison.Ordinal);
        Assert.DoesNotContain(outside.Path, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryResolve_SymlinkedParentToOutsideWithMissingChildren_IsRefused()
    {
        using var root = new TempDirectory();
        using var outside = ToolHarness.Outside();
        Directory.CreateSymbolicLink(root.Combine("out"), outside.Path);

        Assert.False(new WorkspacePaths(root.Path).TryResolve("out/new/deeper/file.txt", out _, out var error));
        Assert.Contains("outside the workspace", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryResolve_SymlinkPointingInside_ResolvesToTarget()
    {
        using var root = new TempDirectory();
        root.Write("real/a.txt", "a");
        Directory.CreateSymbolicLink(root.Combine("alias"), "real");

        Assert.True(new WorkspacePaths(root.Path).TryResolve("alias/a.txt", out var full, out _));
        Assert.Equal(root.Combine("real", "a.txt"), full);
    }

    [Fact]
    public void TryResolve_SymlinkLoop_IsRefused()
    {
        using var root = new TempDirectory();
        File.CreateSymbolicLink(root.Combine("a"), "b");
        File.CreateSymbolicLink(root.Combine("b"), "a");

        Assert.False(new WorkspacePaths(root.Path).TryResolve("a", out _, out var error));
        Assert.Contains("loop", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_SymlinkedRoot_IsCanonicalized()
    {
        using var holder = new TempDirectory();
        Directory.CreateDirectory(holder.Combine("real"));
        Directory.CreateSymbolicLink(holder.Combine("alias"), holder.Combine("real"));

        var paths = new WorkspacePaths(holder.Combine("alias"));

        Assert.Equal(holder.Combine("real"), paths.Root);
        Assert.True(paths.TryResolve(holder.Combine("alias", "x.txt"), out var full, out _));
        Assert.Equal(holder.Combine("real", "x.txt"), full);
    }
}
