namespace Rein.Evals.Running;

/// <summary>Copies a folder tree for a trial, keeping file modes and symbolic links.</summary>
internal static class WorkspaceCopy
{
    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/>; only top-level entries <paramref name="include"/> accepts are copied.</summary>
    public static void Copy(string source, string destination, Func<string, bool> include)
    {
        Directory.CreateDirectory(destination);
        foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            if (include(entry.Name))
            {
                CopyEntry(entry, Path.Combine(destination, entry.Name));
            }
        }
    }

    private static void CopyEntry(FileSystemInfo entry, string target)
    {
        if (entry.LinkTarget is { } link)
        {
            if (entry is DirectoryInfo)
            {
                Directory.CreateSymbolicLink(target, link);
            }
            else
            {
                File.CreateSymbolicLink(target, link);
            }

            return;
        }

        if (entry is DirectoryInfo folder)
        {
            Directory.CreateDirectory(target);
            foreach (var child in folder.EnumerateFileSystemInfos())
            {
                CopyEntry(child, Path.Combine(target, child.Name));
            }
        }
        else
        {
            // File.Copy keeps the Unix mode, so executable scripts stay executable.
            File.Copy(entry.FullName, target);
        }
    }
}
