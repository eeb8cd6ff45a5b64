using MAB.DotIgnore;

namespace Rein.Tools;

/// <summary>A file found by <see cref="WorkspaceWalker"/>.</summary>
/// <param name="FullPath">The absolute path.</param>
/// <param name="RelativePath">The path relative to the workspace root, with <c>/</c> separators.</param>
/// <param name="IsLink">Whether the entry is a symbolic link (whose target may lie outside the workspace).</param>
internal readonly record struct WalkEntry(string FullPath, string RelativePath, bool IsLink);

/// <summary>Enumerates workspace files, honouring the root's and nested .gitignore files and skipping <c>.git</c>.</summary>
/// <remarks>Symbolic links to folders are never followed. Rules of every .gitignore on the way down apply; a later negation in a deeper file cannot re-include a path an outer file ignores.</remarks>
internal static class WorkspaceWalker
{
    private static readonly EnumerationOptions Options = new()
    {
        IgnoreInaccessible = true,
        AttributesToSkip = 0,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
    };

    public static IEnumerable<WalkEntry> EnumerateFiles(WorkspacePaths workspace, string startDirectory, CancellationToken cancellationToken)
    {
        var rules = new List<(string Prefix, IgnoreList List)>();
        // Ignore files between the root and the start folder still apply below it.
        var startRelative = workspace.ToRelative(startDirectory);
        var chain = new List<string> { workspace.Root };
        if (startRelative != ".")
        {
            var current = workspace.Root;
            foreach (var part in startRelative.Split('/'))
            {
                current = Path.Join(current, part);
                chain.Add(current);
            }
        }

        foreach (var folder in chain[..^1])
        {
            AddRules(workspace, folder, rules);
        }

        return Walk(workspace, startDirectory, rules, cancellationToken);
    }

    private static IEnumerable<WalkEntry> Walk(WorkspacePaths workspace, string startDirectory, List<(string Prefix, IgnoreList List)> rules, CancellationToken cancellationToken)
    {
        var pending = new Stack<string>();
        pending.Push(startDirectory);
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var folder = pending.Pop();
            AddRules(workspace, folder, rules);
            var folderRelative = workspace.ToRelative(folder);
            var scoped = rules.FindAll(r => r.Prefix.Length == 0 || folderRelative == r.Prefix || folderRelative.StartsWith(r.Prefix + "/", StringComparison.Ordinal));
            var entries = new DirectoryInfo(folder).EnumerateFileSystemInfos("*", Options).OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
            var subfolders = new List<string>();
            foreach (var entry in entries)
            {
                if (entry.Name == ".git")
                {
                    continue;
                }

                var relative = workspace.ToRelative(entry.FullName);
                var isLink = entry.Attributes.HasFlag(FileAttributes.ReparsePoint);
                var isDirectory = entry is DirectoryInfo;
                if (IsIgnored(scoped, relative, isDirectory))
                {
                    continue;
                }

                if (isDirectory && !isLink)
                {
                    subfolders.Add(entry.FullName);
                }
                else if (!isDirectory)
                {
                    yield return new WalkEntry(entry.FullName, relative, isLink);
                }
            }

            // Pushed in reverse so folders are visited in name order.
            for (var i = subfolders.Count - 1; i >= 0; i--)
            {
                pending.Push(subfolders[i]);
            }
        }
    }

    private static void AddRules(WorkspacePaths workspace, string folder, List<(string Prefix, IgnoreList List)> rules)
    {
        var file = Path.Join(folder, ".gitignore");
        var relative = workspace.ToRelative(folder);
        var prefix = relative == "." ? "" : relative;
        if (rules.Exists(r => r.Prefix == prefix) || !File.Exists(file) || new FileInfo(file).LinkTarget is not null)
        {
            return;
        }

        try
        {
            rules.Add((prefix, new IgnoreList(file)));
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static bool IsIgnored(List<(string Prefix, IgnoreList List)> rules, string relative, bool isDirectory)
    {
        foreach (var (prefix, list) in rules)
        {
            var local = prefix.Length == 0 ? relative : relative[(prefix.Length + 1)..];
            if (list.IsIgnored(local, isDirectory))
            {
                return true;
            }
        }

        return false;
    }
}
