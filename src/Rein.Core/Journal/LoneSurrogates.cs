using System.Text;
using System.Text.Json;

namespace Rein.Journal;

/// <summary>
/// Replaces lone UTF-16 surrogates, which no encoding can carry, with U+FFFD: in strings, and in JSON text where they
/// hide behind <c>\uD800</c>-style escapes (which System.Text.Json refuses to read or write).
/// </summary>
/// <remarks>
/// A model may send one (a broken tool call's arguments, a cut emoji); unchecked, it makes the step fail to journal and
/// a journal holding one fail to load. Each check is one pass over the text; text without any is returned as is.
/// Thread-safe.
/// </remarks>
public static class LoneSurrogates
{
    private const string Replacement = "\\uFFFD";

    /// <summary>Replaces every lone surrogate character in a string with U+FFFD.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The text, or the same instance when it has none.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public static string Replace(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.AsSpan().ContainsAnyInRange('\ud800', '\udfff') || IsWellFormed(text))
        {
            return text;
        }

        var output = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                output.Append(c).Append(text[i + 1]);
                i++;
            }
            else
            {
                output.Append(char.IsSurrogate(c) ? '\ufffd' : c);
            }
        }

        return output.ToString();
    }

    /// <summary>Replaces lone surrogates in JSON text, raw or escaped (an escaped one becomes <c>\uFFFD</c>).</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The text, or the same instance when it has none.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is null.</exception>
    public static string ReplaceInJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        json = Replace(json);
        if (!json.Contains("\\u", StringComparison.Ordinal))
        {
            return json;
        }

        StringBuilder? output = null;
        var copied = 0;
        for (var i = 0; i < json.Length; i++)
        {
            if (json[i] != '\\' || i + 1 >= json.Length)
            {
                continue;
            }

            if (json[i + 1] != 'u')
            {
                // Another escape, e.g. \\ : its second character must not be read as the start of one.
                i++;
                continue;
            }

            if (EscapedChar(json, i) is not { } c || !char.IsSurrogate(c))
            {
                i += 5;
                continue;
            }

            if (char.IsHighSurrogate(c) && EscapedChar(json, i + 6) is { } low && char.IsLowSurrogate(low))
            {
                i += 11;
                continue;
            }

            output ??= new StringBuilder(json.Length);
            output.Append(json, copied, i - copied).Append(Replacement);
            copied = i + 6;
            i += 5;
        }

        return output is null ? json : output.Append(json, copied, json.Length - copied).ToString();
    }

    /// <summary>Returns the element, re-read with its lone surrogates replaced when it has any.</summary>
    /// <param name="element">A JSON value, e.g. a tool call's arguments.</param>
    /// <returns>An element every string of which can be read and written.</returns>
    public static JsonElement ReplaceIn(JsonElement element)
    {
        var raw = element.GetRawText();
        var clean = ReplaceInJson(raw);
        if (ReferenceEquals(clean, raw))
        {
            return element;
        }

        using var document = JsonDocument.Parse(clean);
        return document.RootElement.Clone();
    }

    private static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    // The character a \uXXXX escape at the index stands for, or null when there is no complete one there.
    private static char? EscapedChar(string json, int index)
    {
        if (index + 6 > json.Length || json[index] != '\\' || json[index + 1] != 'u')
        {
            return null;
        }

        var value = 0;
        for (var k = index + 2; k < index + 6; k++)
        {
            var digit = HexDigit(json[k]);
            if (digit < 0)
            {
                return null;
            }

            value = (value << 4) | digit;
        }

        return (char)value;
    }

    private static int HexDigit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
