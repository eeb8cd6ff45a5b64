using System.Globalization;
using System.Text;

namespace Rein.Context.Shaping;

/// <summary>Cuts large observations head and tail, at line boundaries, with a marker that says how to page through the rest.</summary>
public static class ObservationShaper
{
    /// <summary>Cuts <paramref name="text"/> to about <paramref name="maxChars"/> characters: two thirds head, one third tail.</summary>
    /// <param name="text">The whole observation.</param>
    /// <param name="maxChars">The most characters to keep.</param>
    /// <param name="step">The step that made it (for the marker).</param>
    /// <param name="reference">The arguments that name it for <c>read_output</c>, e.g. <c>step=12</c>.</param>
    /// <returns>The text shown to the model.</returns>
    public static string Cut(string text, int maxChars, int step, string reference)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(reference);
        if (text.Length <= maxChars)
        {
            return text;
        }

        var headEnd = LineBoundaryBefore(text, maxChars * 2 / 3);
        var tailStart = LineBoundaryAfter(text, text.Length - (maxChars - headEnd));
        if (tailStart <= headEnd)
        {
            tailStart = headEnd;
        }

        var firstOmittedLine = CountLines(text, 0, headEnd) + 1;
        var omittedLines = CountLines(text, headEnd, tailStart);
        var marker = string.Create(CultureInfo.InvariantCulture,
            $"\n[... {tailStart - headEnd} characters ({omittedLines} lines) omitted from step {step}'s output; read_output({reference}, start_line={firstOmittedLine}) pages through them ...]\n");
        return new StringBuilder(headEnd + marker.Length + text.Length - tailStart)
            .Append(text, 0, headEnd)
            .Append(marker)
            .Append(text, tailStart, text.Length - tailStart)
            .ToString();
    }

    private static int LineBoundaryBefore(string text, int index)
    {
        var newline = text.LastIndexOf('\n', Math.Max(0, index - 1));
        return newline >= index / 2 ? newline + 1 : index;
    }

    private static int LineBoundaryAfter(string text, int index)
    {
        var newline = text.IndexOf('\n', index);
        return newline >= 0 && newline - index < (text.Length - index) / 2 ? newline + 1 : index;
    }

    private static int CountLines(string text, int start, int end) => text.AsSpan(start, end - start).Count('\n');
}
