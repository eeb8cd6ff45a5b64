namespace Rein.Tools;

/// <summary>Resolves a path to the file it really names: every component, symbolic links, <c>.</c> and <c>..</c>.</summary>
/// <remarks>
/// Unlike <see cref="Path.GetFullPath(string)"/>, <c>..</c> is applied after the link before it is followed
/// (<c>link/..</c> is the parent of the link's target, as the kernel sees it), and links such as
/// <c>/proc/self/root</c> are followed like any other. Components that do not exist yet are joined lexically below
/// the last one that does. Thread-safe; reads the file system.
/// </remarks>
public static class RealPath
{
    private const int MaxLinks = 40;

    /// <summary>Resolves a path.</summary>
    /// <param name="path">An absolute path, or one relative to <paramref name="folder"/>.</param>
    /// <param name="folder">The absolute folder a relative path starts from; null for the current folder.</param>
    /// <returns>The absolute, resolved path, or null when it has a symbolic link loop or is not a valid path.</returns>
    public static string? Resolve(string path, string? folder = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        string start;
        try
        {
            start = Path.IsPathRooted(path) ? path : Path.Join(folder ?? Directory.GetCurrentDirectory(), path);
            if (!Path.IsPathRooted(start))
            {
                start = Path.GetFullPath(start);
            }
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null;
        }

        var links = 0;
        return Walk(Path.GetPathRoot(start) ?? "/", start, ref links);
    }

    private static string? Walk(string current, string path, ref int links)
    {
        var root = Path.GetPathRoot(path) ?? "";
        if (root.Length > 0)
        {
            current = root;
        }

        var parts = path[root.Length..].Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
        var missing = false;
        foreach (var part in parts)
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            var next = Path.Join(current, part);
            var target = missing ? null : LinkTarget(next);
            if (target is null)
            {
                missing = missing || !Path.Exists(next);
                current = next;
                continue;
            }

            if (++links > MaxLinks)
            {
                return null;
            }

            // A relative target is read from the link's folder; an absolute one starts again at the root.
            var resolved = Walk(current, target, ref links);
            if (resolved is null)
            {
                return null;
            }

            current = resolved;
        }

        return current;
    }

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
