using System.Globalization;
using System.Text;

namespace Rein.Context.Shaping;

/// <summary>Pages through a whole observation by lines, for <c>read_output</c>.</summary>
public static class OutputPager
{
    /// <summary>The default number of lines in a page.</summary>
    public const int DefaultPageLines = 200;

    /// <summary>The most characters in a page.</summary>
    public const int MaxPageChars = 12_000;

    /// <summary>Returns lines <paramref name="startLine"/>.. of <paramref name="text"/>, exactly (line breaks kept).</summary>
    /// <param name="text">The whole observation.</param>
    /// <param name="startLine">The first line, 1-based.</param>
    /// <param name="maxLines">The most lines.</param>
    /// <param name="nextLine">The first line not returned, or <see langword="null"/> at the end.</param>
    /// <returns>The page's text; empty past the end.</returns>
    public static string Page(string text, int startLine, int maxLines, out int? nextLine)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(startLine, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLines, 1);
        var position = 0;
        for (var line = 1; line < startLine; line++)
        {
            var newline = text.IndexOf('\n', position);
            if (newline < 0)
            {
                nextLine = null;
                return "";
            }

            position = newline + 1;
        }

        var start = position;
        var taken = 0;
        while (taken < maxLines && position < text.Length)
        {
            var newline = text.IndexOf('\n', position);
            var end = newline < 0 ? text.Length : newline + 1;
            if (taken > 0 && end - start > MaxPageChars)
            {
                break;
            }

            position = end;
            taken++;
            if (position - start >= MaxPageChars)
            {
                break;
            }
        }

        nextLine = position < text.Length ? startLine + taken : null;
        return text[start..position];
    }

    /// <summary>Formats a page for the model: the text and where to continue.</summary>
    public static string Describe(string page, int startLine, int? nextLine, int totalLines)
    {
        ArgumentNullException.ThrowIfNull(page);
        var text = new StringBuilder(page);
        if (page.Length > 0 && page[^1] != '\n')
        {
            text.Append('\n');
        }

        text.Append(nextLine is { } next
            ? string.Create(CultureInfo.InvariantCulture, $"[lines {startLine}-{next - 1} of {totalLines}; continue with start_line={next}]")
            : string.Create(CultureInfo.InvariantCulture, $"[lines {startLine}-{totalLines} of {totalLines}; end of output]"));
        return text.ToString();
    }
}
