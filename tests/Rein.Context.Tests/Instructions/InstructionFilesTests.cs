using Rein.Context.Instructions;
using Rein.Testing;

namespace Rein.Context.Tests.Instructions;

public sealed class InstructionFilesTests : IDisposable
{
    private readonly TempDirectory _workspace = new("rein-ws");

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public void Find_FileDeepInTheTree_ListsFoldersBelowTheRootNearestLast()
    {
        _workspace.Write("AGENTS.md", "root");
        _workspace.Write("a/AGENTS.md", "a");
        _workspace.Write("a/b/c/AGENTS.md", "c");
        _workspace.Write("a/b/c/d/file.txt", "x");

        var found = InstructionFiles.Find(_workspace.Path, "a/b/c/d/file.txt", "AGENTS.md");

        Assert.Equal(["a/AGENTS.md", "a/b/c/AGENTS.md"], found.Select(f => f.RelativePath));
        Assert.Equal(_workspace.Combine("a", "b", "c", "AGENTS.md"), found[1].FullPath);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("top.txt")]
    [InlineData("../escape/file.txt")]
    [InlineData("/etc/passwd")]
    public void Find_RootOrOutside_FindsNothing(string path)
    {
        _workspace.Write("AGENTS.md", "root");
        _workspace.Write("top.txt", "x");

        Assert.Empty(InstructionFiles.Find(_workspace.Path, path, "AGENTS.md"));
    }

    [Fact]
    public void Find_AbsolutePathInsideTheWorkspace_IsFound()
    {
        _workspace.Write("a/AGENTS.md", "a");

        var found = InstructionFiles.Find(_workspace.Path, _workspace.Combine("a", "new-file.txt"), "AGENTS.md");

        Assert.Equal("a/AGENTS.md", Assert.Single(found).RelativePath);
    }
}
