using System.IO.Enumeration;

namespace Rein.Guard.Sandbox;

/// <summary>
/// Finds the host's files that an unprivileged user could not read, so a sandbox started by root can hide them.
/// </summary>
/// <remarks>
/// <para>
/// When Rein runs as root, bubblewrap maps the sandbox's user to host root: without capabilities, but as the owner of
/// every root-owned file, so <c>/var/cache/debconf/passwords.dat</c> or <c>/etc/mysql/debian.cnf</c> would be readable.
/// The scan lists every folder others may not enter (no <c>o+x</c>, not descended into), every file others may not
/// read (no <c>o+r</c>; sockets and pipes too). It skips what the sandbox
/// replaces anyway (<c>/proc</c>, <c>/sys</c>, <c>/dev</c>, <c>/run</c>, <c>/tmp</c>, <c>/var/tmp</c>, <c>/root</c>,
/// <c>/home</c>) and symbolic links (their targets are judged where they are).
/// </para>
/// <para>
/// The scan runs once per process, in the background from the first sandbox runner on, and is then reused: a file
/// made private later in the same process stays visible. <c>/usr</c> comes from <see cref="HostScanCache"/>, which reads
/// again only the folders that changed since the last process (see there for what that cannot see). Thread-safe.
/// </para>
/// </remarks>
internal static class PrivateHostPaths
{
    private static readonly string[] Skipped = ["/proc", "/sys", "/dev", "/run", "/var/run", "/tmp", "/var/tmp", "/root", "/home"];

    private static readonly Lazy<Task<IReadOnlyList<(string Path, bool IsFolder)>>> Scanned =
        new(() => Task.Run(() => ScanHost(HostScanCache.ForRoot)), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Starts the scan if it has not started yet; completes when it is done.</summary>
    public static Task PrepareAsync() => Scanned.Value;

    /// <summary>Gets this process's scan of the host, waiting for it if needed.</summary>
    public static IReadOnlyList<(string Path, bool IsFolder)> HostEntries => Scanned.Value.GetAwaiter().GetResult();

    /// <summary>
    /// The paths to mask: every private entry, except those inside <paramref name="kept"/> paths (the workspace and what
    /// was bound on purpose); a private folder that holds a kept path is not masked itself, but everything in it that
    /// does not lead to a kept path is.
    /// </summary>
    /// <param name="kept">Paths that stay visible, with what they hold.</param>
    /// <param name="scanned">The private entries; defaults to this process's scan of the host (waited for if still running).</param>
    public static List<string> Masks(IReadOnlyCollection<string> kept, IEnumerable<(string Path, bool IsFolder)>? scanned = null)
    {
        var masks = new List<string>();
        foreach (var (path, isFolder) in scanned ?? HostEntries)
        {
            if (kept.Any(k => Bubblewrap.IsInside(path, k)))
            {
                continue;
            }

            if (isFolder && kept.Any(k => Bubblewrap.IsInside(k, path)))
            {
                MaskAround(path, kept, masks);
            }
            else
            {
                masks.Add(path);
            }
        }

        return masks;
    }

    private static void MaskAround(string folder, IReadOnlyCollection<string> kept, List<string> masks)
    {
        IEnumerable<string> children;
        try
        {
            children = Directory.EnumerateFileSystemEntries(folder).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (var child in children)
        {
            if (kept.Any(k => Bubblewrap.IsInside(child, k)))
            {
                continue;
            }

            if (kept.Any(k => Bubblewrap.IsInside(k, child)))
            {
                MaskAround(child, kept, masks);
            }
            else
            {
                masks.Add(child);
            }
        }
    }

    /// <summary>
    /// Scans the host. <c>/usr</c>, most of a host's entries and changed only by package managers, comes from
    /// <paramref name="cache"/>, where only its changed folders are read again; everything else, <c>/usr/local</c>
    /// included, is scanned every time.
    /// </summary>
    /// <param name="cache">Where the scan of <c>/usr</c> is kept between processes; null to scan it every time.</param>
    internal static IReadOnlyList<(string Path, bool IsFolder)> ScanHost(HostScanCache? cache)
    {
        const string packageTree = "/usr";
        const string localTree = "/usr/local";
        var found = Scan("/", [.. Skipped, packageTree], folders: null);
        found.AddRange(cache?.Scan(packageTree, [localTree]) ?? Scan(packageTree, [localTree], folders: null));
        var local = new DirectoryInfo(localTree);
        if (local.Exists && (local.Attributes & FileAttributes.ReparsePoint) == 0)
        {
            if ((local.UnixFileMode & UnixFileMode.OtherExecute) == 0)
            {
                found.Add((localTree, true));
            }
            else
            {
                found.AddRange(Scan(localTree, [], folders: null));
            }
        }

        return found;
    }

    /// <summary>Lists the private entries under <paramref name="root"/>, skipping what the sandbox replaces anyway.</summary>
    internal static IReadOnlyList<(string Path, bool IsFolder)> Scan(string root) => Scan(root, Skipped, folders: null);

    /// <summary>Lists the private entries under <paramref name="root"/>.</summary>
    /// <param name="root">The folder to walk.</param>
    /// <param name="skipped">Absolute paths that are neither listed nor entered.</param>
    /// <param name="folders">When not null, receives every folder entered, stamped before it is read.</param>
    internal static List<(string Path, bool IsFolder)> Scan(string root, IReadOnlyCollection<string> skipped, List<FolderStamp>? folders)
    {
        var skip = skipped.ToHashSet(StringComparer.Ordinal);
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = 0,
            ReturnSpecialDirectories = false,
        };
        var found = new FileSystemEnumerable<(string Path, bool IsFolder)?>(
            root,
            (ref FileSystemEntry entry) => Private(ref entry, skip),
            options)
        {
            ShouldIncludePredicate = (ref FileSystemEntry entry) => (entry.Attributes & FileAttributes.ReparsePoint) == 0,
            ShouldRecursePredicate = (ref FileSystemEntry entry) =>
            {
                if ((entry.Attributes & FileAttributes.ReparsePoint) != 0)
                {
                    return false;
                }

                var info = entry.ToFileSystemInfo();
                if (skip.Contains(info.FullName) || (info.UnixFileMode & UnixFileMode.OtherExecute) == 0)
                {
                    return false;
                }

                // The entry's status was read while its parent was listed, so before the folder itself is opened.
                folders?.Add(new FolderStamp(info.FullName, info.LastWriteTimeUtc, info.UnixFileMode));
                return true;
            },
        };
        return [.. found.Where(item => item is not null).Select(item => item!.Value)];
    }

    private static (string Path, bool IsFolder)? Private(ref FileSystemEntry entry, HashSet<string> skipped)
    {
        // One path string per entry: the info's own.
        var info = entry.ToFileSystemInfo();
        var path = info.FullName;
        if (skipped.Contains(path))
        {
            return null;
        }

        UnixFileMode mode;
        try
        {
            mode = info.UnixFileMode;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        if (entry.IsDirectory)
        {
            return (mode & UnixFileMode.OtherExecute) == 0 ? (path, true) : null;
        }

        return (mode & UnixFileMode.OtherRead) != 0 ? null : (path, false);
    }
}
