using Rein.Testing;

namespace Rein.Tools.Tests;

public sealed class ListFilesToolTests
{
    private readonly ListFilesTool _tool = new();

    private static TempDirectory CreateRepo()
    {
        var root = new TempDirectory();
        root.Write(".gitignore", "bin/\n*.log\n");
        root.Write("README.md", "readme");
        root.Write("app.log", "log");
        root.Write("bin/out.dll", "bin");
        root.Write("src/a.cs", "class A {}");
        root.Write("src/b.txt", "b");
        root.Write("src/gen/.gitignore", "*.g.cs\n");
        root.Write("src/gen/x.g.cs", "generated");
        root.Write("src/gen/y.cs", "kept");
        root.Write("x.g.cs", "not ignored at root");
        root.Write(".git/config", "[core]");
        root.Write(".git/HEAD", "ref");
        return root;
    }

    [Fact]
    public async Task InvokeAsync_Default_ListsAllNonIgnoredFilesSorted()
    {
        using var root = CreateRepo();

        var result = await _tool.InvokeAsync(root, new { });

        Assert.False(result.IsError);
        Assert.Equal(
            ".gitignore\nREADME.md\nsrc/a.cs\nsrc/b.txt\nsrc/gen/.gitignore\nsrc/gen/y.cs\nx.g.cs",
            result.Content);
    }

    [Fact]
    public async Task InvokeAsync_PathGlob_MatchesRelativePaths()
    {
        using var root = CreateRepo();

        var result = await _tool.InvokeAsync(root, new { pattern = "src/**/*.cs" });

        Assert.Equal("src/a.cs\nsrc/gen/y.cs", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_NameGlob_MatchesAtAnyDepth()
    {
        using var root = CreateRepo();

        var result = await _tool.InvokeAsync(root, new { pattern = "*.{cs,md}" });

        Assert.Equal("README.md\nsrc/a.cs\nsrc/gen/y.cs\nx.g.cs", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_Subfolder_AppliesOuterAndNestedIgnores()
    {
        using var root = CreateRepo();
        root.Write("src/gen/trace.log", "ignored by the root .gitignore");

        var result = await _tool.InvokeAsync(root, new { path = "src/gen" });

        Assert.Equal("src/gen/.gitignore\nsrc/gen/y.cs", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_AnchoredAndNegatedRules_FollowGitSemantics()
    {
        using var root = new TempDirectory();
        root.Write(".gitignore", "/top.txt\n*.log\n!keep.log\n");
        root.Write("top.txt", "x");
        root.Write("sub/top.txt", "x");
        root.Write("a.log", "x");
        root.Write("keep.log", "x");

        var result = await _tool.InvokeAsync(root, new { pattern = "*.{txt,log}" });

        Assert.Equal("keep.log\nsub/top.txt", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_OverCap_NotesTotal()
    {
        using var root = new TempDirectory();
        for (var i = 0; i < 15; i++)
        {
            root.Write($"f{i:00}.txt", "x");
        }

        var result = await new ListFilesTool(maxFiles: 10).InvokeAsync(root, new { });

        Assert.EndsWith("f09.txt\n[showing 10 of 15 files; narrow the pattern or path]", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_NoMatch_SaysSo()
    {
        using var root = CreateRepo();

        var result = await _tool.InvokeAsync(root, new { pattern = "*.py" });

        Assert.False(result.IsError);
        Assert.StartsWith("No files match", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_MissingFolder_ReturnsError()
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeAsync(root, new { path = "nope" });

        Assert.True(result.IsError);
    }

    [Fact]
    public async Task InvokeAsync_OutsideWorkspace_IsRefused()
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeAsync(root, new { path = ".." });

        Assert.True(result.IsError);
        Assert.Contains("outside the workspace", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_SymlinkedFolderToOutside_IsNotFollowed()
    {
        using var root = new TempDirectory();
        using var outside = ToolHarness.Outside();
        outside.Write("secret.txt", "s");
        root.Write("a.txt", "a");
        Directory.CreateSymbolicLink(root.Combine("out"), outside.Path);

        var result = await _tool.InvokeAsync(root, new { });

        Assert.Equal("a.txt", result.Content);
    }
}

public sealed class GrepToolTests
{
    private readonly GrepTool _tool = new();

    [Fact]
    public async Task InvokeAsync_Matches_ReturnsPathLineText()
    {
        using var root = new TempDirectory();
        root.Write("src/a.cs", "class A\n{\n    void Run() {}\n}\n");
        root.Write("src/b.cs", "// Run later\n");

        var result = await _tool.InvokeAsync(root, new { pattern = @"\bRun\b" });

        Assert.False(result.IsError);
        Assert.Equal("src/a.cs:3:    void Run() {}\nsrc/b.cs:1:// Run later", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_NestedGitignore_SkipsIgnoredFiles()
    {
        using var root = new TempDirectory();
        root.Write(".gitignore", "dist/\n");
        root.Write("dist/out.js", "needle");
        root.Write("pkg/.gitignore", "cache.txt\n");
        root.Write("pkg/cache.txt", "needle");
        root.Write("pkg/src.txt", "needle");
        root.Write(".git/objects/x", "needle");

        var result = await _tool.InvokeAsync(root, new { pattern = "needle" });

        Assert.Equal("pkg/src.txt:1:needle", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_BinaryFile_IsSkipped()
    {
        using var root = new TempDirectory();
        await File.WriteAllBytesAsync(root.Combine("b.bin"), [.. "needle"u8, 0, 1], TestContext.Current.CancellationToken);
        root.Write("t.txt", "needle");

        var result = await _tool.InvokeAsync(root, new { pattern = "needle" });

        Assert.Equal("t.txt:1:needle", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_InvalidRegex_ReturnsError()
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeAsync(root, new { pattern = "(unclosed" });

        Assert.True(result.IsError);
        Assert.StartsWith("Invalid regex '(unclosed'", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_CaseInsensitive_MatchesOtherCase()
    {
        using var root = new TempDirectory();
        root.Write("a.txt", "Hello");

        Assert.StartsWith("No matches", (await _tool.InvokeAsync(root, new { pattern = "hello" })).Content, StringComparison.Ordinal);
        Assert.Equal("a.txt:1:Hello", (await _tool.InvokeAsync(root, new { pattern = "hello", case_insensitive = true })).Content);
    }

    [Fact]
    public async Task InvokeAsync_IncludeAndPath_FilterFiles()
    {
        using var root = new TempDirectory();
        root.Write("src/a.cs", "x");
        root.Write("src/a.txt", "x");
        root.Write("test/b.cs", "x");

        var result = await _tool.InvokeAsync(root, new { pattern = "x", path = "src", include = "*.cs" });

        Assert.Equal("src/a.cs:1:x", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_SingleFilePath_SearchesThatFile()
    {
        using var root = new TempDirectory();
        root.Write("a.txt", "one\ntwo");
        root.Write("b.txt", "two");

        var result = await _tool.InvokeAsync(root, new { pattern = "two", path = "a.txt" });

        Assert.Equal("a.txt:2:two", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_ManyMatches_CapsWithNote()
    {
        using var root = new TempDirectory();
        root.Write("a.txt", string.Join('\n', Enumerable.Repeat("hit", 20)));

        var result = await new GrepTool(maxMatches: 5).InvokeAsync(root, new { pattern = "hit" });

        Assert.Equal(5, result.Content.Split('\n').Count(l => l.StartsWith("a.txt:", StringComparison.Ordinal)));
        Assert.Contains("match limit reached", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_LongLine_IsCut()
    {
        using var root = new TempDirectory();
        root.Write("a.txt", "hit" + new string('x', 1000));

        var result = await _tool.InvokeAsync(root, new { pattern = "hit" });

        Assert.EndsWith(" [...]", result.Content, StringComparison.Ordinal);
        Assert.True(result.Content.Length < 400);
    }

    [Fact]
    public async Task InvokeAsync_SymlinkToOutsideFile_IsNotRead()
    {
        using var root = new TempDirectory();
        using var outside = ToolHarness.Outside();
        File.CreateSymbolicLink(root.Combine("l.txt"), outside.Write("s.txt", "needle"));

        var result = await _tool.InvokeAsync(root, new { pattern = "needle" });

        Assert.StartsWith("No matches", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_PathOutside_IsRefused()
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeAsync(root, new { pattern = "x", path = "/etc" });

        Assert.True(result.IsError);
        Assert.Contains("outside the workspace", result.Content, StringComparison.Ordinal);
    }
}
