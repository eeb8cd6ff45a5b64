using System.Text;
using System.Text.RegularExpressions;

namespace Rein.Tools;

/// <summary>A compiled glob: <c>*</c>, <c>?</c>, <c>**</c>, <c>[abc]</c> and <c>{a,b}</c>.</summary>
/// <remarks>A pattern without <c>/</c> matches file names at any depth, as in .gitignore; otherwise it matches the whole relative path.</remarks>
internal sealed class Glob
{
    private readonly Regex _regex;
    private readonly bool _matchName;

    private Glob(Regex regex, bool matchName)
    {
        _regex = regex;
        _matchName = matchName;
    }

    public static Glob Parse(string pattern)
    {
        var trimmed = pattern.Trim();
        while (trimmed.StartsWith("./", StringComparison.Ordinal))
        {
            trimmed = trimmed[2..];
        }

        trimmed = trimmed.TrimStart('/');
        if (trimmed.Length == 0)
        {
            throw new ToolArgumentException("The glob pattern is empty.");
        }

        var regex = new StringBuilder("^");
        var inBraces = false;
        for (var i = 0; i < trimmed.Length; i++)
        {
            var c = trimmed[i];
            switch (c)
            {
                case '*' when i + 1 < trimmed.Length && trimmed[i + 1] == '*':
                    var atStart = i == 0 || trimmed[i - 1] == '/';
                    var slashAfter = i + 2 < trimmed.Length && trimmed[i + 2] == '/';
                    if (atStart && slashAfter)
                    {
                        regex.Append("(?:.*/)?");
                        i += 2;
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
                    var close = trimmed.IndexOf(']', i + 1);
                    if (close < 0)
                    {
                        regex.Append(@"\[");
                        break;
                    }

                    var body = trimmed[(i + 1)..close];
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
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        if (inBraces)
        {
            throw new ToolArgumentException($"The glob pattern '{pattern}' has an unclosed '{{'.");
        }

        regex.Append('$');
        try
        {
            var options = RegexOptions.CultureInvariant | (OperatingSystem.IsWindows() ? RegexOptions.IgnoreCase : RegexOptions.None);
            return new Glob(new Regex(regex.ToString(), options, TimeSpan.FromSeconds(1)), matchName: !trimmed.Contains('/', StringComparison.Ordinal));
        }
        catch (ArgumentException)
        {
            throw new ToolArgumentException($"The glob pattern '{pattern}' is not valid.");
        }
    }

    /// <summary>Tests a path relative to the search folder, with <c>/</c> separators.</summary>
    public bool IsMatch(string relativePath)
    {
        var subject = _matchName ? relativePath[(relativePath.LastIndexOf('/') + 1)..] : relativePath;
        return _regex.IsMatch(subject);
    }
}
