using System.Diagnostics;

namespace Rein.Guard.Sandbox;

/// <summary>
/// The workspace entries no sandboxed command may create, replace, rename or change, because the host trusts them
/// later (git runs hooks and <c>core.fsmonitor</c> from them; Rein loads settings from them): the configured entries
/// (<see cref="SandboxOptions.ProtectedWorkspacePaths"/>), the real git folder a <c>.git</c> file points to, and the hooks
/// folder named by <c>core.hooksPath</c>, when they lie inside the workspace.
/// </summary>
/// <remarks>
/// An existing entry is bound read-only onto itself; a missing one gets an empty read-only folder in its place, so it
/// cannot be created. A mount point cannot be renamed or removed, and neither can a folder on the way to an entry
/// (bound onto itself, still writable inside), so an entry cannot be moved aside and rebuilt. The empty folders the
/// sandbox creates on the host for missing entries are removed after the command by <see cref="Placeholders"/>.
/// </remarks>
internal static class ProtectedWorkspace
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, int> InUse = new(StringComparer.Ordinal);

    /// <summary>Gets the real paths of the protected entries of a workspace, whether they exist or not; none nested in another.</summary>
    /// <param name="workspace">The workspace's real path.</param>
    /// <param name="configured">Entries relative to the workspace.</param>
    public static List<string> Entries(string workspace, IEnumerable<string> configured)
    {
        var candidates = configured.Select(relative => Bubblewrap.RealPath(Path.Join(workspace, relative))).ToList();
        var gitDir = Path.Join(workspace, ".git");
        if (File.Exists(gitDir) && GitDirOf(gitDir, workspace) is { } linked)
        {
            // A worktree or submodule: .git is a file naming the real git folder.
            gitDir = linked;
            candidates.Add(linked);
        }

        if (HooksPath(Path.Join(gitDir, "config")) is { } hooks && !hooks.StartsWith('~'))
        {
            candidates.Add(Bubblewrap.RealPath(Path.GetFullPath(hooks, workspace)));
        }

        var inside = candidates.Where(path => path != workspace && Bubblewrap.IsInside(path, workspace)).Distinct(StringComparer.Ordinal).OrderBy(path => path.Length).ToList();
        return inside.Where(path => !inside.Exists(outer => outer != path && Bubblewrap.IsInside(path, outer))).ToList();
    }

    /// <summary>Adds the mounts that protect the entries, after the workspace's own bind.</summary>
    public static void AddMounts(List<string> args, string workspace, IReadOnlyList<string> entries)
    {
        var folders = new List<string>();
        var mounts = new List<string>();
        foreach (var entry in entries)
        {
            // Folders between the workspace and the entry become mount points, so none can be renamed away with the entry inside.
            var current = workspace;
            string? missing = null;
            foreach (var part in Path.GetRelativePath(workspace, entry).Split('/'))
            {
                current = Path.Join(current, part);
                if (!Path.Exists(current))
                {
                    missing = current;
                    break;
                }

                if (current != entry && !folders.Contains(current))
                {
                    folders.Add(current);
                }
            }

            mounts.AddRange(missing is null ? ["--ro-bind", entry, entry] : ["--tmpfs", missing, "--remount-ro", missing]);
        }

        foreach (var folder in folders)
        {
            args.AddRange(["--bind", folder, folder]);
        }

        args.AddRange(mounts);
    }

    /// <summary>
    /// Records the missing entries (the first missing folder on the way to each) that the sandbox will create as empty
    /// mount points on the host; disposing removes those still empty once no other command of this process uses them.
    /// </summary>
    public static IDisposable Placeholders(string workspace, IReadOnlyList<string> entries)
    {
        var created = new List<string>();
        lock (Gate)
        {
            foreach (var entry in entries)
            {
                var current = workspace;
                foreach (var part in Path.GetRelativePath(workspace, entry).Split('/'))
                {
                    current = Path.Join(current, part);
                    if (InUse.ContainsKey(current) || !Path.Exists(current))
                    {
                        InUse[current] = InUse.GetValueOrDefault(current) + 1;
                        created.Add(current);
                        break;
                    }
                }
            }
        }

        return new Release(created);
    }

    private static string? GitDirOf(string dotGitFile, string workspace)
    {
        try
        {
            var line = File.ReadLines(dotGitFile).FirstOrDefault() ?? "";
            return line.StartsWith("gitdir:", StringComparison.Ordinal)
                ? Bubblewrap.RealPath(Path.GetFullPath(line["gitdir:".Length..].Trim(), workspace))
                : null;
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

    // git reads the file itself (quoting, sections, case): "--file" reads that file only, follows no include and runs nothing.
    private static string? HooksPath(string configFile)
    {
        if (!File.Exists(configFile))
        {
            return null;
        }

        var info = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "config", "--file", configFile, "--get", "core.hooksPath" })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        info.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        try
        {
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return null;
            }

            return process.ExitCode == 0 && output.Trim() is { Length: > 0 } path ? path : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private sealed class Release(List<string> created) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            lock (Gate)
            {
                foreach (var path in created)
                {
                    if ((InUse[path] -= 1) > 0)
                    {
                        continue;
                    }

                    InUse.Remove(path);
                    try
                    {
                        // Only the empty folder the sandbox made as a mount point; anything else was there or came from outside.
                        if (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null && !Directory.EnumerateFileSystemEntries(path).Any())
                        {
                            Directory.Delete(path);
                        }
                    }
                    catch (IOException)
                    {
                    }
                    catch (UnauthorizedAccessException)
                    {
                    }
                }
            }
        }
    }
}
