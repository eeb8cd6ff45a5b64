using Rein.Cli.Rendering;
using Spectre.Console;

namespace Rein.Cli.Tests;

public sealed class TerminalTextTests
{
    [Theory]
    [InlineData("\u001b]0;pwned\u0007", "␛]0;pwned␇")] // OSC: window title
    [InlineData("\u001b]52;c;cHduZWQ=\u0007", "␛]52;c;cHduZWQ=␇")] // OSC 52: clipboard write
    [InlineData("\u001b[2J\u001b[H", "␛[2J␛[H")] // CSI: clear screen, cursor home
    [InlineData("\u001b[5A\u001b[2K", "␛[5A␛[2K")] // CSI: cursor up, erase line
    [InlineData("\u001bP1$r\u001b\\", "␛P1$r␛\\")] // DCS … ST
    [InlineData("\u001b_apc\u001b\\ \u001b^pm\u001b\\ \u001bXsos\u001b\\", "␛_apc␛\\ ␛^pm␛\\ ␛Xsos␛\\")] // APC, PM, SOS
    [InlineData("\u009b2J \u009d0;t\u009c", "\\u009B2J \\u009D0;t\\u009C")] // C1 CSI, OSC, ST
    [InlineData("ok\u0008\u0008no \u0000\u007f", "ok␈␈no ␀␡")] // backspace, NUL, DEL
    [InlineData("safe\rEVIL", "safe␍EVIL")] // a lone CR would overwrite the line
    [InlineData("abc\u202edcba\u202c \u2066x\u2069", "abc\\u202Edcba\\u202C \\u2066x\\u2069")] // bidi override and isolate
    public void Neutralize_ControlSequence_VisibleAndInert(string text, string expected)
    {
        var result = TerminalText.Neutralize(text);

        Assert.Equal(expected, result);
        Assert.DoesNotContain(result, TerminalText.IsControl);
    }

    [Fact]
    public void Neutralize_PlainTextWithNewlinesTabsAndCrLf_ReturnsSameInstance()
    {
        var text = "line 1\r\n\tline 2 — ünïcödé 😀\n";

        Assert.Same(text, TerminalText.Neutralize(text));
    }

    [Fact]
    public void Write_SequenceSplitAcrossWrites_NeutralisedLikeWhole()
    {
        var inner = new StringWriter();
        var writer = new NeutralizingWriter(inner);

        foreach (var piece in new[] { "a\u001b", "]0;x\u0007 b\r", "\nc\r", "d\u202e" })
        {
            writer.Write(piece);
        }

        Assert.Equal("a␛]0;x␇ b\r\nc␍d\\u202E", inner.ToString());
    }

    [Fact]
    public void Write_JsonLineWithBidiCharacter_StaysValidJsonWithSameValue()
    {
        var inner = new StringWriter();
        var writer = new NeutralizingWriter(inner);
        var json = new System.Text.Json.Nodes.JsonObject { ["text"] = "a\u202eb\u001bc" }.ToJsonString(Rein.Journal.JournalJson.Options);

        writer.Write(json);

        Assert.DoesNotContain('\u202e', inner.ToString());
        Assert.Equal("a\u202eb\u001bc", System.Text.Json.JsonDocument.Parse(inner.ToString()).RootElement.GetProperty("text").GetString());
    }

    [Fact]
    public void Render_MarkupWithEscapedContent_ContentNeutralisedStylingKept()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.Yes, ColorSystem = ColorSystemSupport.Standard });
        console.Pipeline.Attach(TerminalOutput.NeutralizingRenderHook.Instance);

        console.MarkupLine($"[red]{Markup.Escape("title\u001b]0;pwned\u0007")}[/]");
        var table = new Table().AddColumns("cell");
        table.AddRow(Markup.Escape("x\u001b[2Jy"));
        console.Write(table);

        var text = output.ToString();
        Assert.Contains("title␛]0;pwned␇", text, StringComparison.Ordinal);
        Assert.Contains("x␛[2Jy", text, StringComparison.Ordinal);
        Assert.Contains("\u001b[", text, StringComparison.Ordinal); // Rein's own colour codes still reach the terminal
        Assert.DoesNotContain("\u001b]", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[2J", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\u0007', text);
    }
}
