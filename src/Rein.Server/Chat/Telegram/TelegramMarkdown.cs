using System.Text;

namespace Rein.Server.Chat.Telegram;

/// <summary>
/// Turns an answer into Telegram's MarkdownV2: code blocks (<c>```</c>) and inline code stay code, everything else is shown
/// as written, every character MarkdownV2 reserves escaped with <c>\</c>.
/// </summary>
internal static class TelegramMarkdown
{
    /// <summary>The characters MarkdownV2 reserves outside code.</summary>
    private const string Reserved = "_*[]()~`>#+-=|{}.!\\";

    /// <summary>Renders text as MarkdownV2.</summary>
    public static string Render(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new StringBuilder(text.Length + 16);
        var at = 0;
        while (at < text.Length)
        {
            if (At(text, at, "```") && text.IndexOf("```", at + 3, StringComparison.Ordinal) is var end and > 0)
            {
                // A block: its first line may name the language (letters only, else it is code).
                var inner = text[(at + 3)..end];
                var newline = inner.IndexOf('\n', StringComparison.Ordinal);
                var language = newline > 0 && inner[..newline].All(char.IsAsciiLetterOrDigit) ? inner[..newline] : "";
                var code = language.Length > 0 ? inner[(newline + 1)..] : inner.TrimStart('\n');
                output.Append("```").Append(language).Append('\n').Append(EscapeCode(code.TrimEnd('\n'))).Append("\n```");
                at = end + 3;
                continue;
            }

            if (text[at] == '`' && text.IndexOf('`', at + 1) is var close and > 0 && text.IndexOf('\n', at, close - at) < 0 && close > at + 1)
            {
                output.Append('`').Append(EscapeCode(text[(at + 1)..close])).Append('`');
                at = close + 1;
                continue;
            }

            var next = NextCode(text, at);
            output.Append(Escape(text[at..next]));
            at = next;
            if (at < text.Length && !CodeStartsAt(text, at))
            {
                // A lone backtick (nothing closes it) is text.
                output.Append("\\`");
                at++;
            }
        }

        return output.ToString();
    }

    /// <summary>Escapes plain text: every reserved character gets a <c>\</c>.</summary>
    public static string Escape(string text)
    {
        var output = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (Reserved.Contains(c, StringComparison.Ordinal))
            {
                output.Append('\\');
            }

            output.Append(c);
        }

        return output.ToString();
    }

    /// <summary>Inside code only the backtick and the backslash are escaped.</summary>
    private static string EscapeCode(string code) =>
        code.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("`", "\\`", StringComparison.Ordinal);

    private static int NextCode(string text, int from)
    {
        var tick = text.IndexOf('`', from);
        return tick < 0 ? text.Length : tick;
    }

    private static bool CodeStartsAt(string text, int at) =>
        (At(text, at, "```") && text.IndexOf("```", at + 3, StringComparison.Ordinal) > 0)
        || (text[at] == '`' && text.IndexOf('`', at + 1) is var close and > 0 && close > at + 1 && text.IndexOf('\n', at, close - at) < 0);

    private static bool At(string text, int at, string what) => string.CompareOrdinal(text, at, what, 0, what.Length) == 0;
}
