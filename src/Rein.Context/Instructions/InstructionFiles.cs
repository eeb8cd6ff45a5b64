using Rein.Tools;

namespace Rein.Context.Instructions;

/// <summary>An instruction file found on the way to a touched path.</summary>
/// <param name="RelativePath">The file relative to the workspace root, with <c>/</c> separators.</param>
/// <param name="FullPath">The canonical absolute path to read.</param>
internal sealed record InstructionFile(string RelativePath, string FullPath);

/// <summary>Finds the instruction files in the folders between a workspace root and a touched path.</summary>
internal static class InstructionFiles
{
    /// <summary>
    /// The instruction files in the folders strictly below the root down to the touched path's folder (the path itself when it
    /// is a folder), nearest last. Paths that leave the workspace, directly or through a symbolic link, give none.
    /// </summary>
    public static IReadOnlyList<InstructionFile> Find(string workspaceRoot, string? touchedPath, string fileName)
    {
        WorkspacePaths paths;
        try
        {
            paths = new WorkspacePaths(workspaceRoot);
        }
        catch (ArgumentException)
        {
            return [];
        }

        if (!paths.TryResolve(touchedPath, out var touched, out _))
        {
            return [];
        }

        var folder = Directory.Exists(touched) ? touched : Path.GetDirectoryName(touched);
        if (folder is null || !paths.IsInside(folder))
        {
            return [];
        }

        var relativeFolder = paths.ToRelative(folder);
        if (relativeFolder == ".")
        {
            return [];
        }

        var found = new List<InstructionFile>();
        var prefix = "";
        foreach (var segment in relativeFolder.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            prefix = prefix.Length == 0 ? segment : prefix + "/" + segment;
            var relative = prefix + "/" + fileName;
            // Resolving again refuses a file that is a symbolic link out of the workspace.
            if (paths.TryResolve(relative, out var full, out _) && File.Exists(full))
            {
                found.Add(new InstructionFile(relative, full));
            }
        }

        return found;
    }
}
