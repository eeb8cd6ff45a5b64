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

        string body;
        try
        {
            body = GlobSyntax.ToRegex(trimmed, strictBrackets: false, trailingStarStarMatchesFolder: false, out _);
        }
        catch (FormatException)
        {
            throw new ToolArgumentException($"The glob pattern '{pattern}' has an unclosed '{{'.");
        }

        var regex = new StringBuilder("^").Append(body);
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
