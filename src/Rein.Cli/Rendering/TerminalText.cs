using System.Globalization;
using System.Text;

namespace Rein.Cli.Rendering;

/// <summary>
/// Makes text that came from a model, a tool, a file or the journal safe to show on a terminal: every character a
/// terminal would act on instead of print is replaced by a visible stand-in that does nothing.
/// </summary>
/// <remarks>
/// <para>
/// C0 controls other than line feed and tab, and DEL, become their Unicode control pictures, so <c>ESC ]0;title BEL</c>
/// shows as <c>␛]0;title␇</c> and <c>ESC [2J</c> as <c>␛[2J</c>; with the escape character gone, no CSI, OSC (titles,
/// OSC 52 clipboard writes, hyperlinks), DCS, APC, PM or SOS sequence can start. A carriage return is kept only right
/// before a line feed; alone it would move the cursor back so that later text hides what was printed, and it shows as
/// <c>␍</c>. C1 controls (U+0080–U+009F, which some terminals read as CSI, OSC or DCS on their own) and the bidirectional
/// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), which reorder what a person reads, become
/// <c>\uXXXX</c>: inert on a terminal and, inside a JSON string, the same character written as an escape.
/// </para>
/// <para>The mapping is per character, so text split anywhere neutralises to the same result. Thread-safe.</para>
/// </remarks>
internal static class TerminalText
{
    /// <summary>Returns <paramref name="text"/> with every terminal control replaced; the same instance when it has none.</summary>
    public static string Neutralize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var first = IndexOfControl(text, 0);
        if (first < 0)
        {
            return text;
        }

        var output = new StringBuilder(text.Length + 16).Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                output.Append('\r');
            }
            else
            {
                Append(output, c);
            }
        }

        return output.ToString();
    }

    /// <summary>Whether a terminal could act on the character (a carriage return counts; see <see cref="Neutralize"/>).</summary>
    public static bool IsControl(char c) => c switch
    {
        '\n' or '\t' => false,
        < ' ' or '\u007f' => true,
        >= '\u0080' and <= '\u009f' => true,
        >= '\u202a' and <= '\u202e' => true,
        >= '\u2066' and <= '\u2069' => true,
        _ => false,
    };

    /// <summary>Appends the character, or its inert stand-in when it is a control.</summary>
    public static void Append(StringBuilder output, char c)
    {
        switch (c)
        {
            case < ' ':
                output.Append(c is '\n' or '\t' ? c : (char)(0x2400 + c));
                break;
            case '\u007f':
                output.Append('\u2421');
                break;
            default:
                if (IsControl(c))
                {
                    output.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                }
                else
                {
                    output.Append(c);
                }

                break;
        }
    }

    private static int IndexOfControl(string text, int start)
    {
        for (var i = start; i < text.Length; i++)
        {
            if (IsControl(text[i]) && !(text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n'))
            {
                return i;
            }
        }

        return -1;
    }
}
