using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using Rein.Tools;

namespace Rein.Guard.Policy;

/// <summary>Resolves and displays paths against a workspace and a home folder: lexically, or (<see cref="Real"/>) by the file system.</summary>
internal sealed class PolicyPaths
{
    private readonly Lazy<string> _realWorkspace;

    public PolicyPaths(string workspace, string home)
    {
        Workspace = Normalize(Path.GetFullPath(workspace));
        Home = Normalize(Path.GetFullPath(home));
        _realWorkspace = new Lazy<string>(() => Normalize(RealPath.Resolve(Workspace) ?? Workspace));
    }

    public string Workspace { get; }

    public string Home { get; }

    internal static StringComparison Comparison =>
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>Resolves a path against a folder, removing <c>.</c>, <c>..</c> and duplicate separators.</summary>
    public string Resolve(string path, string? folder = null)
    {
        try
        {
            return Normalize(Path.GetFullPath(path.Length == 0 ? "." : path, folder ?? Workspace));
        }
        catch (ArgumentException)
        {
            return Normalize(Path.Join(folder ?? Workspace, path));
        }
    }

    /// <summary>Resolves a path to the file it really is (<see cref="RealPath"/>), spelled through <see cref="Workspace"/> when inside it; lexically when it has a link loop.</summary>
    public string Real(string path, string? folder = null)
    {
        if (RealPath.Resolve(path.Length == 0 ? "." : path, folder ?? Workspace) is not { } real)
        {
            return Resolve(path, folder);
        }

        real = Normalize(real);
        // The workspace may itself be reached through a link (e.g. /tmp on macOS); keep its spelling.
        var realWorkspace = _realWorkspace.Value;
        return !string.Equals(realWorkspace, Workspace, Comparison) && IsUnder(real, realWorkspace)
            ? Workspace + real[realWorkspace.Length..]
            : real;
    }

    public bool IsInside(string fullPath) => IsUnder(fullPath, Workspace);

    /// <summary>Gets the path relative to the workspace with <c>/</c> separators, <c>.</c> for the root, or null when outside.</summary>
    public string? Relative(string fullPath)
    {
        if (!IsInside(fullPath))
        {
            return null;
        }

        return fullPath.Length == Workspace.Length ? "." : fullPath[(Workspace.Length + (Workspace.EndsWith('/') ? 0 : 1))..];
    }

    /// <summary>Formats a path for a message: relative inside the workspace, <c>~/…</c> under home, absolute otherwise.</summary>
    public string Display(string fullPath)
    {
        if (Relative(fullPath) is { } relative)
        {
            return relative;
        }

        if (IsUnder(fullPath, Home))
        {
            return fullPath.Length == Home.Length ? "~" : "~/" + fullPath[(Home.Length + 1)..];
        }

        return fullPath;
    }

    public static bool IsUnder(string fullPath, string root)
    {
        if (fullPath.Length == root.Length)
        {
            return string.Equals(fullPath, root, Comparison);
        }

        return fullPath.Length > root.Length
            && fullPath.StartsWith(root, Comparison)
            && (root.EndsWith('/') || fullPath[root.Length] == '/');
    }

    private static string Normalize(string fullPath)
    {
        var path = fullPath.Replace('\\', '/');
        while (path.Length > 1 && path.EndsWith('/') && !path.EndsWith(":/", StringComparison.Ordinal))
        {
            path = path[..^1];
        }

        return path;
    }
}

/// <summary>
/// A gitignore-style path glob: <c>**</c>, <c>*</c>, <c>?</c>, <c>[abc]</c>, <c>{a,b}</c>. Relative patterns apply
/// below the workspace (a pattern without <c>/</c> matches names at any depth); absolute and <c>~/</c> patterns
/// apply to absolute paths. A pattern also matches everything below a folder it matches.
/// </summary>
internal sealed class PathGlob
{
    // Every session's policy compiles the same protected-path patterns and the same settings' rules: a server starting many
    // sessions would build the same regular expressions again each time. Globs are immutable, so one compilation serves all.
    private const int CacheCapacity = 1024;
    private static readonly ConcurrentDictionary<(string Pattern, string Home, bool IgnoreCase), PathGlob> Compiled = new();

    private readonly Regex _regex;

    private PathGlob(Regex regex, bool absolute, string text, int literalLength)
    {
        _regex = regex;
        IsAbsolute = absolute;
        Text = text;
        LiteralLength = literalLength;
    }

    /// <summary>Gets whether the pattern is absolute (including <c>~/</c>).</summary>
    public bool IsAbsolute { get; }

    /// <summary>Gets the pattern as written.</summary>
    public string Text { get; }

    /// <summary>Gets how many characters of the pattern are not wildcards.</summary>
    public int LiteralLength { get; }

    /// <summary>Compiles a pattern, or gives the glob compiled for it before.</summary>
    /// <exception cref="FormatException">The pattern is empty or malformed.</exception>
    public static PathGlob Parse(string pattern, string home, bool ignoreCase = false)
    {
        var key = (pattern, home, ignoreCase);
        if (Compiled.TryGetValue(key, out var glob))
        {
            return glob;
        }

        glob = Compile(pattern, home, ignoreCase);
        if (Compiled.Count >= CacheCapacity)
        {
            Compiled.Clear();
        }

        return Compiled.GetOrAdd(key, glob);
    }

    private static PathGlob Compile(string pattern, string home, bool ignoreCase)
    {
        var text = pattern.Trim();
        if (text.Length == 0)
        {
            throw new FormatException("the path pattern is empty");
        }

        var absolute = false;
        if (text == "~" || text.StartsWith("~/", StringComparison.Ordinal))
        {
            text = home.TrimEnd('/') + text[1..];
            absolute = true;
        }
        else if (text.StartsWith('/') || Path.IsPathRooted(text))
        {
            absolute = true;
        }

        text = text.Replace('\\', '/');
        while (text.Contains("//", StringComparison.Ordinal))
        {
            text = text.Replace("//", "/", StringComparison.Ordinal);
        }

        if (!absolute)
        {
            while (text.StartsWith("./", StringComparison.Ordinal))
            {
                text = text[2..];
            }
        }

        var trimmed = text.TrimEnd('/');
        if (trimmed.Length == 0)
        {
            trimmed = text;
        }

        var regex = new StringBuilder("^");
        if (!absolute && !trimmed.Contains('/', StringComparison.Ordinal) && !trimmed.StartsWith("**", StringComparison.Ordinal))
        {
            regex.Append("(?:.*/)?");
        }

        int literal;
        try
        {
            regex.Append(GlobSyntax.ToRegex(trimmed, strictBrackets: true, trailingStarStarMatchesFolder: true, out literal));
        }
        catch (FormatException ex)
        {
            throw new FormatException($"the path pattern '{pattern}' {ex.Message[(ex.Message.IndexOf(" has ", StringComparison.Ordinal) + 1)..]}", ex);
        }

        regex.Append("(?:/.*)?$");
        var options = RegexOptions.CultureInvariant | RegexOptions.Singleline
            | (ignoreCase || PolicyPaths.Comparison == StringComparison.OrdinalIgnoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
        try
        {
            return new PathGlob(new Regex(regex.ToString(), options, TimeSpan.FromSeconds(1)), absolute, pattern.Trim(), literal);
        }
        catch (ArgumentException)
        {
            throw new FormatException($"the path pattern '{pattern}' is not valid");
        }
    }

    /// <summary>Tests an absolute, normalized path.</summary>
    public bool IsMatch(string fullPath, PolicyPaths paths)
    {
        if (IsAbsolute)
        {
            return _regex.IsMatch(fullPath);
        }

        var relative = paths.Relative(fullPath);
        return relative is not null && relative != "." && _regex.IsMatch(relative);
    }
}
