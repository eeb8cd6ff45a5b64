using System.Text.Json;
using Rein.Cli.Rendering;
using Rein.Server.Views;
using Rein.Testing;
using Spectre.Console;

namespace Rein.Cli.Tests;

public sealed class ApprovalPreviewTests : IDisposable
{
    private readonly TempDirectory _workspace = new("rein-preview");

    public void Dispose() => _workspace.Dispose();

    private static JsonElement Args(object value) => JsonSerializer.SerializeToElement(value);

    private ApprovalPreview Preview(string tool, object arguments) => ApprovalPreview.Create(tool, Args(arguments), _workspace.Path);

    private static string Render(ApprovalPreview preview, bool color)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = color ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = color ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
        });
        console.Profile.Width = 10_000;
        preview.Write(console, "  ");
        return output.ToString();
    }

    [Fact]
    public void Create_ShellWithLongMultiLineCommand_ShowsTheWholeCommandAsItIs()
    {
        var longLine = "echo " + new string('x', 300);
        var command = $"set -e\n{longLine}\nrm -rf build";

        var preview = Preview("shell", new { command });

        Assert.Equal(command, preview.ToText());
        Assert.All(preview.Lines, l => Assert.Equal(PreviewLineKind.Text, l.Kind));
    }

    [Fact]
    public void Create_ShellWithOtherArguments_NotesThemAfterTheCommand()
    {
        var preview = Preview("shell", new { command = "make", workdir = "src", timeout_seconds = 600 });

        Assert.Equal("make\nwith {\"workdir\":\"src\",\"timeout_seconds\":600}", preview.ToText());
    }

    [Fact]
    public void Create_EditFile_UnifiedDiffAgainstTheFileAsItIsNow()
    {
        File.WriteAllText(_workspace.Combine("app.py"), "one\ntwo\nthree\nfour\nfive\nsix\n");

        var preview = Preview("edit_file", new { path = "app.py", old_string = "four", new_string = "FOUR\nFOUR AND A HALF" });

        Assert.Equal(
            ["--- app.py", "+++ app.py", "@@ -2,5 +2,6 @@", " two", " three", "-four", "+FOUR", "+FOUR AND A HALF", " five", " six"],
            preview.Lines.Select(l => l.Text));
        Assert.Equal(PreviewLineKind.Removed, preview.Lines[5].Kind);
        Assert.Equal(PreviewLineKind.Added, preview.Lines[6].Kind);
        Assert.Equal(PreviewLineKind.Context, preview.Lines[3].Kind);
    }

    [Fact]
    public void Create_EditFileWhoseTextIsNotThere_SaysTheEditWillFailAndShowsTheEdit()
    {
        File.WriteAllText(_workspace.Combine("app.py"), "one\n");

        var preview = Preview("edit_file", new { path = "app.py", old_string = "two", new_string = "2" });

        Assert.Contains("will fail", preview.Lines[0].Text, StringComparison.Ordinal);
        Assert.Equal(["-two", "+2"], preview.Lines.Skip(1).Select(l => l.Text));
    }

    [Fact]
    public void Create_WriteFileNew_SaysNewFileWithItsLineCountAndContent()
    {
        var preview = Preview("write_file", new { path = "notes/todo.md", content = "# Todo\n- tests\n" });

        Assert.Equal(["new file notes/todo.md, 2 lines", "+# Todo", "+- tests"], preview.Lines.Select(l => l.Text));
        Assert.Equal(PreviewLineKind.Note, preview.Lines[0].Kind);
    }

    [Fact]
    public void Create_WriteFileExisting_DiffsAgainstIt()
    {
        File.WriteAllText(_workspace.Combine("a.txt"), "keep\nold\n");

        var preview = Preview("write_file", new { path = "a.txt", content = "keep\nnew\n" });

        Assert.Equal(["--- a.txt", "+++ a.txt", "@@ -1,2 +1,2 @@", " keep", "-old", "+new"], preview.Lines.Select(l => l.Text));
    }

    [Fact]
    public void Create_WriteFileOutsideTheWorkspace_IsNotRead()
    {
        using var outside = new TempDirectory("rein-outside");
        File.WriteAllText(outside.Combine("secret.txt"), "do not show\n");

        var preview = Preview("write_file", new { path = outside.Combine("secret.txt"), content = "x\n" });

        Assert.Contains("not read", preview.Lines[0].Text, StringComparison.Ordinal);
        Assert.DoesNotContain("do not show", preview.ToText(), StringComparison.Ordinal);
    }

    [Fact]
    public void Create_FileText_PassesThroughTheRedactor()
    {
        File.WriteAllText(_workspace.Combine(".env"), "TOKEN=hunter2\nDEBUG=0\n");

        var preview = ApprovalPreview.Create(
            "edit_file", Args(new { path = ".env", old_string = "DEBUG=0", new_string = "DEBUG=1" }), _workspace.Path, t => t.Replace("hunter2", "[secret]", StringComparison.Ordinal));

        Assert.Contains(" TOKEN=[secret]", preview.Lines.Select(l => l.Text));
        Assert.DoesNotContain("hunter2", preview.ToText(), StringComparison.Ordinal);
    }

    [Fact]
    public void Create_FetchUrl_ShowsMethodAndFullUrl()
    {
        var url = "https://example.com/a/very/long/path?with=query&and=" + new string('q', 200);

        Assert.Equal($"GET {url}", Preview("fetch_url", new { url }).ToText());
    }

    [Fact]
    public void Create_OtherTool_ArgumentsAsCompactJson()
    {
        var preview = ApprovalPreview.Create("mcp_search", JsonDocument.Parse("""{ "query" : "a <b> & 'c'",  "limit": 3 }""").RootElement, _workspace.Path);

        Assert.Equal("""{"query":"a <b> & 'c'","limit":3}""", preview.ToText());
    }

    [Fact]
    public void Create_LongPreview_FirstLinesThenHowManyMore()
    {
        var command = string.Join('\n', Enumerable.Range(1, 100).Select(i => $"echo {i}"));

        var preview = Preview("shell", new { command });

        Assert.Equal(ApprovalPreview.MaxLines + 1, preview.Lines.Count);
        Assert.Equal("echo 40", preview.Lines[ApprovalPreview.MaxLines - 1].Text);
        Assert.Equal(new PreviewLine(PreviewLineKind.Note, "… 60 more lines"), preview.Lines[^1]);
    }

    [Fact]
    public void Write_EscapeSequencesInTheCommand_AreNeutralised()
    {
        var preview = Preview("shell", new { command = "echo hi\u001b]0;pwned\u0007\u001b[2J\rrm -rf ~" });

        var shown = Render(preview, color: true);

        Assert.Contains("echo hi␛]0;pwned␇␛[2J␍rm -rf ~", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b]", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[2J", shown, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', shown.Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    [Fact]
    public void Write_WithColours_DiffLinesAreColoured()
    {
        File.WriteAllText(_workspace.Combine("a.txt"), "old\n");

        var shown = Render(Preview("write_file", new { path = "a.txt", content = "new\n" }), color: true);

        var lines = shown.Split('\n');
        var added = lines.Single(l => l.Contains("  +new", StringComparison.Ordinal));
        var removed = lines.Single(l => l.Contains("  -old", StringComparison.Ordinal));
        Assert.StartsWith("\u001b[", added, StringComparison.Ordinal);
        Assert.StartsWith("\u001b[", removed, StringComparison.Ordinal);
        Assert.NotEqual(added[..added.IndexOf('m', StringComparison.Ordinal)], removed[..removed.IndexOf('m', StringComparison.Ordinal)]);
    }

    [Fact]
    public void Write_WithoutColours_PlainDiffWithoutAnyEscape()
    {
        File.WriteAllText(_workspace.Combine("a.txt"), "old\n");

        var shown = Render(Preview("write_file", new { path = "a.txt", content = "new\n" }), color: false);

        Assert.DoesNotContain('\u001b', shown);
        Assert.Equal("  --- a.txt\n  +++ a.txt\n  @@ -1,1 +1,1 @@\n  -old\n  +new\n", shown.ReplaceLineEndings("\n"));
    }
}
