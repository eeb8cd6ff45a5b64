using System.Text;

namespace Rein.Server.Chat;

/// <summary>Cuts a long answer into messages a chat accepts, at paragraph, line or word ends, keeping code blocks whole per message.</summary>
internal static class ChatText
{
    private const string Fence = "```";

    /// <summary>Splits <paramref name="text"/> into parts of at most <paramref name="maxLength"/> characters.</summary>
    /// <param name="text">The text (Markdown, as the model wrote it).</param>
    /// <param name="maxLength">The most characters in one part (at least 100).</param>
    /// <returns>The parts, in order; one empty part for empty text. A code block cut in two is closed at the end of one part and opened again at the start of the next.</returns>
    public static IReadOnlyList<string> Split(string text, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 100);
        var parts = new List<string>();
        var rest = text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd();
        var reopen = "";
        while (true)
        {
            var available = maxLength - reopen.Length;
            if (rest.Length <= available)
            {
                parts.Add(reopen + rest);
                return parts;
            }

            // Room for a closing fence, in case the cut falls inside a code block.
            var cut = CutAt(rest, available - (Fence.Length + 1));
            var part = rest[..cut].TrimEnd();
            rest = rest[cut..].TrimStart('\n', ' ');
            var openFence = OpenFence(reopen + part);
            if (openFence is not null)
            {
                parts.Add(reopen + part + "\n" + Fence);
                reopen = openFence + "\n";
            }
            else
            {
                parts.Add(reopen + part);
                reopen = "";
            }
        }
    }

    /// <summary>Where to cut: after the last paragraph break, else line break, else space in the window; else at the window's end.</summary>
    private static int CutAt(string text, int window)
    {
        var head = text.AsSpan(0, window);
        foreach (var separator in new[] { "\n\n", "\n", " " })
        {
            var at = head.LastIndexOf(separator, StringComparison.Ordinal);
            if (at >= window / 2)
            {
                return at + separator.Length;
            }
        }

        // Never inside an escape such as &amp; (text escaped for Slack), nor between the halves of a surrogate pair.
        var ampersand = head[^Math.Min(8, window)..].LastIndexOf('&');
        if (ampersand >= 0 && head[(window - Math.Min(8, window) + ampersand)..].IndexOf(';') < 0)
        {
            return window - Math.Min(8, window) + ampersand;
        }

        return char.IsHighSurrogate(text[window - 1]) ? window - 1 : window;
    }

    /// <summary>The opening line of a code block left open at the end of <paramref name="text"/> (e.g. <c>```csharp</c>), or null.</summary>
    private static string? OpenFence(string text)
    {
        string? open = null;
        foreach (var line in text.Split('\n'))
        {
            var trimmed = line.TrimStart();
            if (trimmed.StartsWith(Fence, StringComparison.Ordinal))
            {
                open = open is null ? trimmed : null;
            }
        }

        return open;
    }

    /// <summary>Shortens one line of text for a headline, marking what was left out.</summary>
    public static string Shorten(string text, int maxLength)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(c is '\n' or '\r' or '\t' ? ' ' : c);
        }

        var flat = builder.ToString().Trim();
        return flat.Length <= maxLength ? flat : flat[..(maxLength - 1)] + "…";
    }
}
