using System.Text;
using System.Text.RegularExpressions;

namespace Rein.Tools;

/// <summary>Translates glob syntax — <c>*</c>, <c>?</c>, <c>**</c>, <c>[abc]</c>, <c>[!abc]</c>, <c>{a,b}</c> — into a regular expression.</summary>
public static class GlobSyntax
{
    /// <summary>Translates a glob (already trimmed and with <c>/</c> separators) into a regular-expression fragment, without anchors.</summary>
    /// <param name="glob">The glob.</param>
    /// <param name="strictBrackets">Whether an unclosed <c>[</c> is an error; otherwise it is a literal character.</param>
    /// <param name="trailingStarStarMatchesFolder">Whether <c>dir/**</c> also matches <c>dir</c> itself (gitignore-style rules).</param>
    /// <param name="literalChars">How many literal characters the glob has (a measure of how specific it is).</param>
    /// <returns>The regular-expression fragment.</returns>
    /// <exception cref="FormatException">An unclosed <c>{</c>, or an unclosed <c>[</c> with <paramref name="strictBrackets"/>.</exception>
    public static string ToRegex(string glob, bool strictBrackets, bool trailingStarStarMatchesFolder, out int literalChars)
    {
        ArgumentNullException.ThrowIfNull(glob);
        var regex = new StringBuilder();
        var literal = 0;
        var inBraces = false;
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            switch (c)
            {
                case '*' when i + 1 < glob.Length && glob[i + 1] == '*':
                    var atStart = i == 0 || glob[i - 1] == '/';
                    var slashAfter = i + 2 < glob.Length && glob[i + 2] == '/';
                    if (atStart && slashAfter)
                    {
                        regex.Append("(?:.*/)?");
                        i += 2;
                    }
                    else if (trailingStarStarMatchesFolder && i + 2 == glob.Length && i > 0 && glob[i - 1] == '/')
                    {
                        // "dir/**" also matches the folder itself.
                        regex.Length -= 1;
                        regex.Append("(?:/.*)?");
                        i += 1;
                    }
                    else
                    {
                        regex.Append(".*");
                        i += 1;
                    }

                    break;
                case '*':
                    regex.Append("[^/]*");
                    break;
                case '?':
                    regex.Append("[^/]");
                    break;
                case '[':
                    var close = glob.IndexOf(']', i + 1);
                    if (close < 0)
                    {
                        if (strictBrackets)
                        {
                            throw new FormatException($"'{glob}' has an unclosed '['");
                        }

                        literal++;
                        regex.Append(@"\[");
                        break;
                    }

                    var body = glob[(i + 1)..close];
                    var negate = body.StartsWith('!') || body.StartsWith('^');
                    regex.Append('[').Append(negate ? "^" : "").Append(Regex.Escape(negate ? body[1..] : body).Replace(@"\-", "-", StringComparison.Ordinal)).Append(']');
                    i = close;
                    break;
                case '{' when !inBraces:
                    inBraces = true;
                    regex.Append("(?:");
                    break;
                case '}' when inBraces:
                    inBraces = false;
                    regex.Append(')');
                    break;
                case ',' when inBraces:
                    regex.Append('|');
                    break;
                default:
                    literal++;
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        if (inBraces)
        {
            throw new FormatException($"'{glob}' has an unclosed '{{'");
        }

        literalChars = literal;
        return regex.ToString();
    }
}
