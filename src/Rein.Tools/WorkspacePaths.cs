using System.Diagnostics.CodeAnalysis;

namespace Rein.Tools;

/// <summary>Resolves paths given by the model against a workspace root and refuses any that leave it.</summary>
/// <remarks>
/// A path is refused when it leaves the root lexically (<c>..</c> or an absolute path elsewhere) or when its real
/// target (<see cref="RealPath"/>: every symbolic link followed, <c>..</c> applied to what a link points to) lies
/// outside the root. Components that do not exist yet (a file about to be written, its new parent folders) are
/// checked lexically below the last existing one.
/// Instances are immutable and thread-safe.
/// </remarks>
public sealed class WorkspacePaths
{
    private readonly string _givenRoot;

    /// <summary>Creates a resolver for a workspace.</summary>
    /// <param name="root">The workspace root; symbolic links in it are resolved once here.</param>
    /// <exception cref="ArgumentException"><paramref name="root"/> is empty or not rooted.</exception>
    public WorkspacePaths(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        if (!Path.IsPathRooted(root))
        {
            throw new ArgumentException($"The workspace root '{root}' must be an absolute path.", nameof(root));
        }

        _givenRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        Root = RealPath.Resolve(_givenRoot)
            ?? throw new ArgumentException($"The workspace root '{root}' has a symbolic link loop.", nameof(root));
    }

    /// <summary>Gets the canonical absolute path of the workspace root.</summary>
    public string Root { get; }

    /// <summary>Resolves a path relative to the root (or absolute inside it) to its canonical absolute form.</summary>
    /// <param name="path">The path as the model gave it; empty or <c>.</c> means the root.</param>
    /// <param name="fullPath">The canonical absolute path, with symbolic links resolved, when allowed.</param>
    /// <param name="error">Why the path is refused, when it is; safe to show to the model.</param>
    /// <returns>Whether the path stays inside the workspace.</returns>
    public bool TryResolve(string? path, [NotNullWhen(true)] out string? fullPath, [NotNullWhen(false)] out string? error)
    {
        fullPath = null;
        path ??= "";
        string lexical;
        try
        {
            lexical = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path.Length == 0 ? "." : path, Root));
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            error = $"Path '{path}' is not a valid path.";
            return false;
        }

        // An absolute path spelled through the root as given (e.g. /tmp rather than /private/tmp) is inside too.
        if (!IsInside(lexical) && !string.Equals(_givenRoot, Root, PathComparison) && IsUnder(lexical, _givenRoot))
        {
            lexical = Path.Join(Root, Path.GetRelativePath(_givenRoot, lexical));
        }

        if (!IsInside(lexical))
        {
            error = $"Path '{path}' is outside the workspace. Use a path relative to the workspace root.";
            return false;
        }

        // Resolved from the path as given: ".." after a link climbs from the link's target, as the kernel does.
        var canonical = RealPath.Resolve(path.Length == 0 ? "." : path, Root);
        if (canonical is null)
        {
            error = $"Path '{path}' has a symbolic link loop.";
            return false;
        }

        if (!IsInside(canonical))
        {
            error = $"Path '{path}' is outside the workspace (it goes through a symbolic link that points outside).";
            return false;
        }

        fullPath = canonical;
        error = null;
        return true;
    }

    /// <summary>Gets whether an absolute, normalized path is the root or below it.</summary>
    /// <param name="fullPath">The absolute path.</param>
    /// <returns>Whether the path is inside the workspace. Symbolic links are not resolved here.</returns>
    public bool IsInside(string fullPath)
    {
        ArgumentNullException.ThrowIfNull(fullPath);
        return IsUnder(fullPath, Root);
    }

    /// <summary>Formats a path below the root for display, relative and with <c>/</c> separators.</summary>
    /// <param name="fullPath">An absolute path inside the workspace.</param>
    /// <returns>The relative path, or <c>.</c> for the root itself.</returns>
    public string ToRelative(string fullPath)
    {
        ArgumentNullException.ThrowIfNull(fullPath);
        var relative = Path.GetRelativePath(Root, fullPath);
        return Path.DirectorySeparatorChar == '/' ? relative : relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    private static bool IsUnder(string fullPath, string root)
    {
        if (fullPath.Length == root.Length)
        {
            return string.Equals(fullPath, root, PathComparison);
        }

        return fullPath.Length > root.Length
            && fullPath.StartsWith(root, PathComparison)
            && (Path.EndsInDirectorySeparator(root) || fullPath[root.Length] == Path.DirectorySeparatorChar || fullPath[root.Length] == Path.AltDirectorySeparatorChar);
    }

    private static StringComparison PathComparison =>
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
}
