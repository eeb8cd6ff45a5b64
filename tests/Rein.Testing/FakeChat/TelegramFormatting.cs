using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Rein.Testing.FakeChat;

/// <summary>A message text after entity parsing: the plain text and its entities (UTF-16 offsets, as Telegram counts).</summary>
internal sealed record ParsedText(string Text, JsonArray Entities);

/// <summary>
/// Parses message text the way the Bot API does for <c>parse_mode</c> <c>MarkdownV2</c>, <c>HTML</c> and
/// <c>Markdown</c>, refusing what Telegram refuses with Telegram's wording.
/// </summary>
internal static class TelegramFormatting
{
    private const string Reserved = "_*[]()~`>#+-=|{}.!";

    /// <summary>Parses <paramref name="text"/>; returns the error (without the "Bad Request: " prefix) or the parsed text.</summary>
    public static (ParsedText? Parsed, string? Error) Parse(string text, string? parseMode)
    {
        // The Bot API compares parse_mode case-insensitively (Telegram.Bot sends "Html").
        var (parsed, error) = parseMode?.ToLowerInvariant() switch
        {
            null or "" => (new ParsedText(text, []), null),
            "markdownv2" => MarkdownV2(text),
            "html" => Html(text),
            "markdown" => Markdown(text),
            _ => ((ParsedText?)null, "unsupported parse_mode"),
        };
        return parsed is null ? (null, error) : (Trim(parsed), null);
    }

    private static int ByteOffset(string text, int index) => Encoding.UTF8.GetByteCount(text.AsSpan(0, index));

    private static string CantParse(string detail) => "can't parse entities: " + detail;

    private static string ReservedError(char c) => CantParse($"Character '{c}' is reserved and must be escaped with the preceding '\\'");

    // Telegram strips leading and trailing white space from a message after parsing; entities move with the text.
    private static ParsedText Trim(ParsedText parsed)
    {
        var text = parsed.Text;
        var start = 0;
        while (start < text.Length && char.IsWhiteSpace(text[start]))
        {
            start++;
        }

        var end = text.Length;
        while (end > start && char.IsWhiteSpace(text[end - 1]))
        {
            end--;
        }

        var entities = new JsonArray();
        foreach (var entity in parsed.Entities.OfType<JsonObject>().OrderBy(e => (int)e["offset"]!).ToList())
        {
            var from = Math.Clamp((int)entity["offset"]!, start, end);
            var to = Math.Clamp((int)entity["offset"]! + (int)entity["length"]!, start, end);
            if (to > from)
            {
                parsed.Entities.Remove(entity);
                entity["offset"] = from - start;
                entity["length"] = to - from;
                entities.Add(entity);
            }
        }

        return new ParsedText(text[start..end], entities);
    }

    private static JsonObject Entity(string type, int offset, int length, string? key = null, string? value = null)
    {
        var entity = new JsonObject { ["type"] = type, ["offset"] = offset, ["length"] = length };
        if (key is not null)
        {
            entity[key] = value;
        }

        return entity;
    }

    private static string? CheckedUrl(string url)
    {
        var candidate = url.Contains("://", StringComparison.Ordinal) ? url : "http://" + url;
        return Uri.TryCreate(candidate, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "tg" or "ton" ? candidate : null;
    }

    private enum Kind
    {
        Bold,
        Italic,
        Underline,
        Strikethrough,
        Spoiler,
        Code,
        Pre,
        PreCode,
        TextUrl,
        CustomEmoji,
    }

    private sealed record Open(Kind Kind, string? Argument, int ResultStart, int SourceIndex);

    private static (ParsedText?, string?) MarkdownV2(string s)
    {
        var result = new StringBuilder();
        var entities = new JsonArray();
        var stack = new List<Open>();
        int? quoteStart = null;
        var quoteExpandable = false;
        char At(int i) => i < s.Length ? s[i] : '\0';

        void CloseQuote()
        {
            if (quoteStart is { } from && result.Length > from)
            {
                entities.Add(Entity(quoteExpandable ? "expandable_blockquote" : "blockquote", from, result.Length - from));
            }

            quoteStart = null;
        }

        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            var top = stack.Count > 0 ? stack[^1].Kind : (Kind?)null;
            var inCode = top is Kind.Code or Kind.Pre or Kind.PreCode;
            if (!inCode && (i == 0 || s[i - 1] == '\n'))
            {
                if (c == '>' || (c == '*' && At(i + 1) == '*' && At(i + 2) == '>'))
                {
                    if (quoteStart is null)
                    {
                        quoteStart = result.Length;
                        quoteExpandable = c == '*';
                    }

                    i += c == '*' ? 2 : 0;
                    continue;
                }

                CloseQuote();
            }

            if (c == '\\' && At(i + 1) is >= (char)1 and <= (char)126)
            {
                result.Append(s[++i]);
                continue;
            }

            if (!(inCode ? c == '`' : Reserved.Contains(c, StringComparison.Ordinal)))
            {
                result.Append(c);
                continue;
            }

            if (quoteExpandable && quoteStart is not null && c == '|' && At(i + 1) == '|' && At(i + 2) is '\n' or '\0' && top != Kind.Spoiler)
            {
                // "||" at the end of an expandable block quote's last line closes the quote.
                i++;
                continue;
            }

            var isEnd = top switch
            {
                Kind.Bold => c == '*',
                Kind.Italic => c == '_' && At(i + 1) != '_',
                Kind.Underline => c == '_' && At(i + 1) == '_',
                Kind.Strikethrough => c == '~',
                Kind.Spoiler => c == '|' && At(i + 1) == '|',
                Kind.Code => c == '`',
                Kind.Pre or Kind.PreCode => c == '`' && At(i + 1) == '`' && At(i + 2) == '`',
                Kind.TextUrl or Kind.CustomEmoji => c == ']',
                _ => false,
            };

            if (!isEnd)
            {
                var start = i;
                Kind kind;
                string? argument = null;
                switch (c)
                {
                    case '_' when At(i + 1) == '_':
                        kind = Kind.Underline;
                        i++;
                        break;
                    case '_':
                        kind = Kind.Italic;
                        break;
                    case '*':
                        kind = Kind.Bold;
                        break;
                    case '~':
                        kind = Kind.Strikethrough;
                        break;
                    case '|' when At(i + 1) == '|':
                        kind = Kind.Spoiler;
                        i++;
                        break;
                    case '[':
                        kind = Kind.TextUrl;
                        break;
                    case '!' when At(i + 1) == '[':
                        kind = Kind.CustomEmoji;
                        i++;
                        break;
                    case '`' when inCode:
                        // Only a closing ``` ends a pre block; a lone backtick inside one must be escaped.
                        return (null, ReservedError(c));
                    case '`' when At(i + 1) == '`' && At(i + 2) == '`':
                        kind = Kind.Pre;
                        i += 3;
                        var languageEnd = i;
                        while (languageEnd < s.Length && !char.IsWhiteSpace(s[languageEnd]) && s[languageEnd] != '`')
                        {
                            languageEnd++;
                        }

                        if (languageEnd != i && languageEnd < s.Length && s[languageEnd] != '`')
                        {
                            kind = Kind.PreCode;
                            argument = s[i..languageEnd];
                            i = languageEnd;
                        }

                        // One line break right after the opening (or the language) is not part of the text.
                        if (At(i) is '\n' or '\r')
                        {
                            i += At(i + 1) is '\n' or '\r' && At(i + 1) != At(i) ? 2 : 1;
                        }

                        i--;
                        break;
                    case '`':
                        kind = Kind.Code;
                        break;
                    default:
                        return (null, ReservedError(c));
                }

                stack.Add(new Open(kind, argument, result.Length, start));
                continue;
            }

            var open = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            var length = result.Length - open.ResultStart;
            string? link = null;
            switch (open.Kind)
            {
                case Kind.Underline or Kind.Spoiler:
                    i++;
                    break;
                case Kind.Pre or Kind.PreCode:
                    i += 2;
                    break;
                case Kind.TextUrl or Kind.CustomEmoji:
                    if (At(i + 1) != '(')
                    {
                        if (open.Kind == Kind.CustomEmoji)
                        {
                            return (null, CantParse("Custom emoji entity must contain a tg://emoji URL"));
                        }

                        link = result.ToString(open.ResultStart, length);
                        break;
                    }

                    i += 2;
                    var urlStart = i;
                    var url = new StringBuilder();
                    while (i < s.Length && s[i] != ')')
                    {
                        if (s[i] == '\\' && At(i + 1) is >= (char)1 and <= (char)126)
                        {
                            url.Append(s[i + 1]);
                            i += 2;
                            continue;
                        }

                        url.Append(s[i++]);
                    }

                    if (i >= s.Length)
                    {
                        return (null, CantParse($"Can't find end of a URL at byte offset {ByteOffset(s, urlStart)}"));
                    }

                    link = url.ToString();
                    break;
                default:
                    break;
            }

            if (length == 0)
            {
                continue;
            }

            switch (open.Kind)
            {
                case Kind.TextUrl:
                    if (CheckedUrl(link!) is { } checkedUrl)
                    {
                        entities.Add(Entity("text_link", open.ResultStart, length, "url", checkedUrl));
                    }

                    break;
                case Kind.CustomEmoji:
                    const string EmojiPrefix = "tg://emoji?id=";
                    if (!link!.StartsWith(EmojiPrefix, StringComparison.Ordinal) || !long.TryParse(link[EmojiPrefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    {
                        return (null, CantParse("Custom emoji URL must have an emoji identifier"));
                    }

                    entities.Add(Entity("custom_emoji", open.ResultStart, length, "custom_emoji_id", link[EmojiPrefix.Length..]));
                    break;
                case Kind.PreCode:
                    entities.Add(Entity("pre", open.ResultStart, length, "language", open.Argument));
                    break;
                default:
                    entities.Add(Entity(open.Kind == Kind.Strikethrough ? "strikethrough" : open.Kind.ToString().ToLowerInvariant(), open.ResultStart, length));
                    break;
            }
        }

        if (stack.Count > 0)
        {
            var open = stack[^1];
            return (null, CantParse($"Can't find end of {open.Kind} entity at byte offset {ByteOffset(s, open.SourceIndex)}"));
        }

        CloseQuote();
        return (new ParsedText(result.ToString(), entities), null);
    }

    private static readonly Dictionary<string, string> HtmlTags = new(StringComparer.Ordinal)
    {
        ["b"] = "bold", ["strong"] = "bold", ["i"] = "italic", ["em"] = "italic", ["u"] = "underline", ["ins"] = "underline",
        ["s"] = "strikethrough", ["strike"] = "strikethrough", ["del"] = "strikethrough", ["span"] = "spoiler",
        ["tg-spoiler"] = "spoiler", ["a"] = "text_link", ["code"] = "code", ["pre"] = "pre", ["blockquote"] = "blockquote",
        ["tg-emoji"] = "custom_emoji",
    };

    private sealed record HtmlOpen(string Tag, int ResultStart, Dictionary<string, string> Attributes);

    private static (ParsedText?, string?) Html(string s)
    {
        var result = new StringBuilder();
        var entities = new JsonArray();
        var stack = new List<HtmlOpen>();
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '&')
            {
                var semicolon = s.IndexOf(';', i);
                var name = semicolon > i ? s[(i + 1)..semicolon] : string.Empty;
                string? decoded = name switch
                {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "quot" => "\"",
                    ['#', 'x' or 'X', .. var hex] when int.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code) && code is > 0 and <= 0x10FFFF => char.ConvertFromUtf32(code),
                    ['#', .. var dec] when int.TryParse(dec, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is > 0 and <= 0x10FFFF => char.ConvertFromUtf32(code),
                    _ => null,
                };
                if (decoded is null)
                {
                    result.Append(c);
                }
                else
                {
                    result.Append(decoded);
                    i = semicolon;
                }

                continue;
            }

            if (c != '<')
            {
                result.Append(c);
                continue;
            }

            var tagStart = i;
            var closing = i + 1 < s.Length && s[i + 1] == '/';
            var nameStart = i + (closing ? 2 : 1);
            var nameEnd = nameStart;
            while (nameEnd < s.Length && (char.IsAsciiLetterOrDigit(s[nameEnd]) || s[nameEnd] == '-'))
            {
                nameEnd++;
            }

            var tag = s[nameStart..nameEnd].ToLowerInvariant();
            if (closing)
            {
                var end = s.IndexOf('>', nameEnd);
                if (end < 0)
                {
                    return (null, CantParse($"Unclosed end tag at byte offset {ByteOffset(s, tagStart)}"));
                }

                if (stack.Count == 0)
                {
                    return (null, CantParse($"Unexpected end tag at byte offset {ByteOffset(s, tagStart)}"));
                }

                var open = stack[^1];
                if (open.Tag != tag)
                {
                    return (null, CantParse($"Unmatched end tag at byte offset {ByteOffset(s, tagStart)}, expected \"</{open.Tag}>\", found \"</{tag}>\""));
                }

                stack.RemoveAt(stack.Count - 1);
                i = end;
                var length = result.Length - open.ResultStart;
                if (length > 0 && HtmlEntity(open, length, stack) is { } entity)
                {
                    entities.Add(entity);
                }

                continue;
            }

            if (tag.Length == 0 || !HtmlTags.ContainsKey(tag))
            {
                return (null, CantParse($"Unsupported start tag \"{tag}\" at byte offset {ByteOffset(s, tagStart)}"));
            }

            var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
            var j = nameEnd;
            while (true)
            {
                while (j < s.Length && char.IsWhiteSpace(s[j]))
                {
                    j++;
                }

                if (j >= s.Length)
                {
                    return (null, CantParse($"Unclosed start tag at byte offset {ByteOffset(s, tagStart)}"));
                }

                if (s[j] == '>')
                {
                    break;
                }

                var attributeStart = j;
                while (j < s.Length && (char.IsAsciiLetterOrDigit(s[j]) || s[j] == '-'))
                {
                    j++;
                }

                var attribute = s[attributeStart..j].ToLowerInvariant();
                if (attribute.Length == 0)
                {
                    return (null, CantParse($"Empty attribute name in the tag \"{tag}\" at byte offset {ByteOffset(s, attributeStart)}"));
                }

                var value = string.Empty;
                if (j < s.Length && s[j] == '=')
                {
                    j++;
                    if (j < s.Length && s[j] is '"' or '\'')
                    {
                        var quote = s[j];
                        var close = s.IndexOf(quote, j + 1);
                        if (close < 0)
                        {
                            return (null, CantParse($"Unclosed start tag at byte offset {ByteOffset(s, tagStart)}"));
                        }

                        value = s[(j + 1)..close];
                        j = close + 1;
                    }
                    else
                    {
                        var valueStart = j;
                        while (j < s.Length && !char.IsWhiteSpace(s[j]) && s[j] != '>')
                        {
                            j++;
                        }

                        value = s[valueStart..j];
                    }
                }

                attributes[attribute] = value.Replace("&amp;", "&", StringComparison.Ordinal).Replace("&quot;", "\"", StringComparison.Ordinal)
                    .Replace("&lt;", "<", StringComparison.Ordinal).Replace("&gt;", ">", StringComparison.Ordinal);
            }

            if (tag == "span" && (!attributes.TryGetValue("class", out var spanClass) || spanClass != "tg-spoiler"))
            {
                return (null, CantParse($"Tag \"span\" must have class \"tg-spoiler\" at byte offset {ByteOffset(s, tagStart)}"));
            }

            stack.Add(new HtmlOpen(tag, result.Length, attributes));
            i = j;
        }

        if (stack.Count > 0)
        {
            return (null, CantParse($"Can't find end tag corresponding to start tag \"{stack[^1].Tag}\""));
        }

        return (new ParsedText(result.ToString(), entities), null);
    }

    private static JsonObject? HtmlEntity(HtmlOpen open, int length, List<HtmlOpen> outer)
    {
        var type = HtmlTags[open.Tag];
        switch (type)
        {
            case "text_link":
                return open.Attributes.TryGetValue("href", out var href) && CheckedUrl(href) is { } url
                    ? Entity(type, open.ResultStart, length, "url", url)
                    : null;
            case "custom_emoji":
                return open.Attributes.TryGetValue("emoji-id", out var id) ? Entity(type, open.ResultStart, length, "custom_emoji_id", id) : null;
            case "blockquote" when open.Attributes.ContainsKey("expandable"):
                return Entity("expandable_blockquote", open.ResultStart, length);
            case "code" when outer.Count > 0 && outer[^1].Tag == "pre" && open.Attributes.TryGetValue("class", out var cls) && cls.StartsWith("language-", StringComparison.Ordinal):
                // <pre><code class="language-x"> is a pre block in language x; the pre tag adds the entity.
                outer[^1].Attributes["language"] = cls["language-".Length..];
                return null;
            case "pre" when open.Attributes.TryGetValue("language", out var language):
                return Entity(type, open.ResultStart, length, "language", language);
            default:
                return Entity(type, open.ResultStart, length);
        }
    }

    private static (ParsedText?, string?) Markdown(string s)
    {
        var result = new StringBuilder();
        var entities = new JsonArray();
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\\' && i + 1 < s.Length && s[i + 1] is '_' or '*' or '`' or '[')
            {
                result.Append(s[++i]);
                continue;
            }

            if (c is not ('_' or '*' or '`' or '['))
            {
                result.Append(c);
                continue;
            }

            var begin = i;
            var pre = c == '`' && i + 2 < s.Length && s[i + 1] == '`' && s[i + 2] == '`';
            var endChar = c == '[' ? ']' : c;
            i += pre ? 3 : 1;
            var start = result.Length;
            while (i < s.Length && !(s[i] == endChar && (!pre || (i + 2 < s.Length && s[i + 1] == '`' && s[i + 2] == '`'))))
            {
                result.Append(s[i++]);
            }

            if (i >= s.Length)
            {
                return (null, CantParse($"Can't find end of the entity starting at byte offset {ByteOffset(s, begin)}"));
            }

            i += pre ? 2 : 0;
            var length = result.Length - start;
            if (c == '[')
            {
                if (i + 1 < s.Length && s[i + 1] == '(')
                {
                    var close = s.IndexOf(')', i + 2);
                    if (close < 0)
                    {
                        return (null, CantParse($"Can't find end of the entity starting at byte offset {ByteOffset(s, begin)}"));
                    }

                    if (length > 0 && CheckedUrl(s[(i + 2)..close]) is { } url)
                    {
                        entities.Add(Entity("text_link", start, length, "url", url));
                    }

                    i = close;
                }

                continue;
            }

            if (length > 0)
            {
                entities.Add(Entity(c switch { '*' => "bold", '_' => "italic", _ => pre ? "pre" : "code" }, start, length));
            }
        }

        return (new ParsedText(result.ToString(), entities), null);
    }
}
