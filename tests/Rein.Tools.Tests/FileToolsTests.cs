using System.Text;
using Rein.Testing;

namespace Rein.Tools.Tests;

public sealed class ReadFileToolTests
{
    private readonly ReadFileTool _tool = new();

    [Fact]
    public async Task InvokeAsync_WholeFile_ReturnsNumberedLinesWithoutNote()
    {
        using var root = new TempDirectory();
        root.Write("a.txt", "first\nsecond\n");

        var result = await _tool.InvokeAsync(root, new { path = "a.txt" });

        Assert.False(result.IsError);
        Assert.Equal("     1\tfirst\n     2\tsecond", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_Range_ReturnsOnlyThoseLinesWithNote()
    {
        using var root = new TempDirectory();
        root.Write("a.txt", string.Join('\n', Enumerable.Range(1, 950).Select(i => $"line {i}")));

        var result = await _tool.InvokeAsync(root, new { path = "a.txt", start_line = 12, end_line = 13 });

        Assert.Equal("    12\tline 12\n    13\tline 13\n[lines 12-13 of 950; to read more call read_file with start_line=14]", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_LongFile_StopsAtMaxLinesWithHint()
    {
        using var root = new TempDirectory();
        root.Write("a.txt", string.Join('\n', Enumerable.Range(1, 25).Select(i => $"l{i}")));

        var result = await new ReadFileTool(maxLines: 10).InvokeAsync(root, new { path = "a.txt" });

        Assert.EndsWith("\n    10\tl10\n[lines 1-10 of 25; to read more call read_file with start_line=11]", result.Content, StringComparison.Ordinal);
        Assert.DoesNotContain("l11", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_LastLinesRange_NotesRangeWithoutMoreHint()
    {
        using var root = new TempDirectory();
        root.Write("a.txt", "a\nb\nc");

        var result = await _tool.InvokeAsync(root, new { path = "a.txt", start_line = 2 });

        Assert.Equal("     2\tb\n     3\tc\n[lines 2-3 of 3]", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_StartPastEnd_ReturnsError()
    {
        using var root = new TempDirectory();
        root.Write("a.txt", "a\nb");

        var result = await _tool.InvokeAsync(root, new { path = "a.txt", start_line = 5 });

        Assert.True(result.IsError);
        Assert.Contains("has 2 lines", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_EndBeforeStart_ReturnsError()
    {
        using var root = new TempDirectory();
        root.Write("a.txt", "a\nb");

        var result = await _tool.InvokeAsync(root, new { path = "a.txt", start_line = 2, end_line = 1 });

        Assert.True(result.IsError);
    }

    [Fact]
    public async Task InvokeAsync_BinaryFile_IsRefused()
    {
        using var root = new TempDirectory();
        await File.WriteAllBytesAsync(root.Combine("b.bin"), [1, 2, 0, 3], TestContext.Current.CancellationToken);

        var result = await _tool.InvokeAsync(root, new { path = "b.bin" });

        Assert.True(result.IsError);
        Assert.Contains("binary", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_MissingFile_ReturnsErrorWithoutListing()
    {
        using var root = new TempDirectory();
        root.Write(".env", "API_KEY=secret");

        var result = await _tool.InvokeAsync(root, new { path = "nope.txt" });

        Assert.True(result.IsError);
        Assert.Equal("File 'nope.txt' does not exist. Check the path with list_files.", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_Folder_ReturnsError()
    {
        using var root = new TempDirectory();
        Directory.CreateDirectory(root.Combine("src"));

        var result = await _tool.InvokeAsync(root, new { path = "src" });

        Assert.True(result.IsError);
        Assert.Contains("list_files", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_EmptyFile_SaysEmpty()
    {
        using var root = new TempDirectory();
        root.Write("e.txt", "");

        var result = await _tool.InvokeAsync(root, new { path = "e.txt" });

        Assert.False(result.IsError);
        Assert.Contains("empty", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_VeryLongLine_IsCut()
    {
        using var root = new TempDirectory();
        root.Write("long.txt", new string('x', 5000));

        var result = await _tool.InvokeAsync(root, new { path = "long.txt" });

        Assert.Contains("[line cut, 5000 characters]", result.Content, StringComparison.Ordinal);
        Assert.True(result.Content.Length < 2100);
    }

    [Theory]
    [InlineData("../secret.txt")]
    [InlineData("/etc/hostname")]
    public async Task InvokeAsync_OutsideWorkspace_IsRefused(string path)
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeAsync(root, new { path });

        Assert.True(result.IsError);
        Assert.Contains($"Path '{path}' is outside the workspace", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_SymlinkToOutsideFile_IsRefused()
    {
        using var root = new TempDirectory();
        using var outside = ToolHarness.Outside();
        File.CreateSymbolicLink(root.Combine("link.txt"), outside.Write("secret.txt", "TOP SECRET"));

        var result = await _tool.InvokeAsync(root, new { path = "link.txt" });

        Assert.True(result.IsError);
        Assert.DoesNotContain("TOP SECRET", result.Content, StringComparison.Ordinal);
        Assert.Contains("outside the workspace", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_MissingPathArgument_ReturnsError()
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeJsonAsync(root, "{}");

        Assert.True(result.IsError);
        Assert.Contains("path", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_WrongArgumentType_ReturnsError()
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeJsonAsync(root, """{"path":"a.txt","start_line":"one"}""");

        Assert.True(result.IsError);
        Assert.Contains("start_line", result.Content, StringComparison.Ordinal);
    }
}

public sealed class WriteFileToolTests
{
    private readonly WriteFileTool _tool = new();

    [Fact]
    public async Task InvokeAsync_NewFileInNewFolders_CreatesIt()
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeAsync(root, new { path = "a/b/c.txt", content = "one\ntwo\n" });

        Assert.False(result.IsError);
        Assert.Equal("Created 'a/b/c.txt' (8 bytes, 2 lines).", result.Content);
        Assert.Equal("one\ntwo\n", await File.ReadAllTextAsync(root.Combine("a", "b", "c.txt"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task InvokeAsync_ExistingFile_Overwrites()
    {
        using var root = new TempDirectory();
        root.Write("a.txt", "old content");

        var result = await _tool.InvokeAsync(root, new { path = "a.txt", content = "new" });

        Assert.Equal("Overwrote 'a.txt' (3 bytes, 1 line).", result.Content);
        Assert.Equal("new", await File.ReadAllTextAsync(root.Combine("a.txt"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task InvokeAsync_Utf8Content_CountsBytesWithoutBom()
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeAsync(root, new { path = "u.txt", content = "é" });

        Assert.Contains("(2 bytes", result.Content, StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetBytes("é"), await File.ReadAllBytesAsync(root.Combine("u.txt"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task InvokeAsync_DotDotOutside_IsRefusedAndWritesNothing()
    {
        using var root = new TempDirectory();
        var escaped = Path.Combine(Path.GetDirectoryName(root.Path)!, "rein-escape-" + Guid.NewGuid().ToString("N") + ".txt");

        var result = await _tool.InvokeAsync(root, new { path = "../" + Path.GetFileName(escaped), content = "x" });

        Assert.True(result.IsError);
        Assert.Contains("is outside the workspace", result.Content, StringComparison.Ordinal);
        Assert.False(File.Exists(escaped));
    }

    [Fact]
    public async Task InvokeAsync_AbsoluteOutside_IsRefused()
    {
        using var root = new TempDirectory();
        using var outside = ToolHarness.Outside();

        var result = await _tool.InvokeAsync(root, new { path = outside.Combine("x.txt"), content = "x" });

        Assert.True(result.IsError);
        Assert.False(File.Exists(outside.Combine("x.txt")));
    }

    [Fact]
    public async Task InvokeAsync_AbsoluteInside_Writes()
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeAsync(root, new { path = root.Combine("abs.txt"), content = "x" });

        Assert.False(result.IsError);
        Assert.True(File.Exists(root.Combine("abs.txt")));
    }

    [Fact]
    public async Task InvokeAsync_SymlinkToOutsideFile_IsRefusedAndTargetUnchanged()
    {
        using var root = new TempDirectory();
        using var outside = ToolHarness.Outside();
        var target = outside.Write("victim.txt", "original");
        File.CreateSymbolicLink(root.Combine("link.txt"), target);

        var result = await _tool.InvokeAsync(root, new { path = "link.txt", content = "pwned" });

        Assert.True(result.IsError);
        Assert.Equal("original", await File.ReadAllTextAsync(target, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task InvokeAsync_DanglingSymlinkToOutside_IsRefused()
    {
        using var root = new TempDirectory();
        using var outside = ToolHarness.Outside();
        File.CreateSymbolicLink(root.Combine("link.txt"), outside.Combine("not-yet.txt"));

        var result = await _tool.InvokeAsync(root, new { path = "link.txt", content = "x" });

        Assert.True(result.IsError);
        Assert.False(File.Exists(outside.Combine("not-yet.txt")));
    }

    [Fact]
    public async Task InvokeAsync_SymlinkedParentToOutside_IsRefused()
    {
        using var root = new TempDirectory();
        using var outside = ToolHarness.Outside();
        Directory.CreateSymbolicLink(root.Combine("dir"), outside.Path);

        var result = await _tool.InvokeAsync(root, new { path = "dir/sub/new.txt", content = "x" });

        Assert.True(result.IsError);
        Assert.Contains("outside the workspace", result.Content, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outside.Combine("sub")));
    }

    [Fact]
    public async Task InvokeAsync_PathIsFolder_ReturnsError()
    {
        using var root = new TempDirectory();
        Directory.CreateDirectory(root.Combine("src"));

        var result = await _tool.InvokeAsync(root, new { path = "src", content = "x" });

        Assert.True(result.IsError);
    }

    [Fact]
    public async Task InvokeAsync_ParentIsFile_ReturnsError()
    {
        using var root = new TempDirectory();
        root.Write("a.txt", "x");

        var result = await _tool.InvokeAsync(root, new { path = "a.txt/b.txt", content = "x" });

        Assert.True(result.IsError);
    }
}

public sealed class EditFileToolTests
{
    private readonly EditFileTool _tool = new();

    [Fact]
    public async Task InvokeAsync_UniqueMatch_ReplacesIt()
    {
        using var root = new TempDirectory();
        root.Write("a.cs", "int x = 1;\nint y = 2;\n");

        var result = await _tool.InvokeAsync(root, new { path = "a.cs", old_string = "int y = 2;", new_string = "int y = 3;" });

        Assert.False(result.IsError);
        Assert.Equal("Replaced 1 occurrence in 'a.cs' (first at line 2).", result.Content);
        Assert.Equal("int x = 1;\nint y = 3;\n", await File.ReadAllTextAsync(root.Combine("a.cs"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task InvokeAsync_NotFound_ReturnsErrorAndLeavesFile()
    {
        using var root = new TempDirectory();
        root.Write("a.cs", "hello");

        var result = await _tool.InvokeAsync(root, new { path = "a.cs", old_string = "bye", new_string = "x" });

        Assert.True(result.IsError);
        Assert.Contains("not found", result.Content, StringComparison.Ordinal);
        Assert.Equal("hello", await File.ReadAllTextAsync(root.Combine("a.cs"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task InvokeAsync_WhitespaceDiffers_HintsAboutWhitespace()
    {
        using var root = new TempDirectory();
        root.Write("a.cs", "if (x)\n    {\n        y();\n    }\n");

        var result = await _tool.InvokeAsync(root, new { path = "a.cs", old_string = "{\n  y();\n}", new_string = "{ z(); }" });

        Assert.True(result.IsError);
        Assert.Contains("whitespace", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_NotUnique_ReportsCount()
    {
        using var root = new TempDirectory();
        root.Write("a.txt", "foo foo foo");

        var result = await _tool.InvokeAsync(root, new { path = "a.txt", old_string = "foo", new_string = "bar" });

        Assert.True(result.IsError);
        Assert.Contains("found 3 times", result.Content, StringComparison.Ordinal);
        Assert.Contains("replace_all", result.Content, StringComparison.Ordinal);
        Assert.Equal("foo foo foo", await File.ReadAllTextAsync(root.Combine("a.txt"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task InvokeAsync_ReplaceAll_ReplacesEveryOccurrence()
    {
        using var root = new TempDirectory();
        root.Write("a.txt", "foo\nfoo\nfoo");

        var result = await _tool.InvokeAsync(root, new { path = "a.txt", old_string = "foo", new_string = "bar", replace_all = true });

        Assert.Equal("Replaced 3 occurrences in 'a.txt' (first at line 1).", result.Content);
        Assert.Equal("bar\nbar\nbar", await File.ReadAllTextAsync(root.Combine("a.txt"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task InvokeAsync_CrlfFile_MatchesLfOldString()
    {
        using var root = new TempDirectory();
        root.Write("w.txt", "a\r\nb\r\nc\r\n");

        var result = await _tool.InvokeAsync(root, new { path = "w.txt", old_string = "a\nb", new_string = "x\ny" });

        Assert.False(result.IsError);
        Assert.Equal("x\r\ny\r\nc\r\n", await File.ReadAllTextAsync(root.Combine("w.txt"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task InvokeAsync_FileWithBom_KeepsBom()
    {
        using var root = new TempDirectory();
        await File.WriteAllBytesAsync(root.Combine("b.txt"), [0xEF, 0xBB, 0xBF, (byte)'h', (byte)'i'], TestContext.Current.CancellationToken);

        await _tool.InvokeAsync(root, new { path = "b.txt", old_string = "hi", new_string = "yo" });

        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF, (byte)'y', (byte)'o' }, await File.ReadAllBytesAsync(root.Combine("b.txt"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task InvokeAsync_IdenticalStrings_ReturnsError()
    {
        using var root = new TempDirectory();
        root.Write("a.txt", "x");

        var result = await _tool.InvokeAsync(root, new { path = "a.txt", old_string = "x", new_string = "x" });

        Assert.True(result.IsError);
    }

    [Fact]
    public async Task InvokeAsync_MissingFile_ReturnsError()
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeAsync(root, new { path = "none.txt", old_string = "x", new_string = "y" });

        Assert.True(result.IsError);
        Assert.Contains("does not exist", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_SymlinkToOutside_IsRefused()
    {
        using var root = new TempDirectory();
        using var outside = ToolHarness.Outside();
        var target = outside.Write("t.txt", "secret");
        File.CreateSymbolicLink(root.Combine("l.txt"), target);

        var result = await _tool.InvokeAsync(root, new { path = "l.txt", old_string = "secret", new_string = "x" });

        Assert.True(result.IsError);
        Assert.Equal("secret", await File.ReadAllTextAsync(target, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task InvokeAsync_DotDotOutside_IsRefused()
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeAsync(root, new { path = "../a.txt", old_string = "x", new_string = "y" });

        Assert.True(result.IsError);
        Assert.Contains("outside the workspace", result.Content, StringComparison.Ordinal);
    }
}
