using System.Globalization;
using System.Text;

namespace Rein.Guard.Sandbox;

/// <summary>
/// Keeps the scan of a large tree that only package managers change (<c>/usr</c>) from one process to the next, so a
/// sandbox started by root does not walk the whole host before its first command.
/// </summary>
/// <remarks>
/// <para>
/// The cache holds every folder the scan entered, with its last-write time and mode, and the private entries it found.
/// A later process checks each folder and reads again only those that changed: creating, removing or renaming an
/// entry changes its folder's last-write time, and a folder made private changes its own mode. A new folder is
/// scanned whole. What folder times cannot show is an existing file whose permissions alone were narrowed
/// (<c>chmod 600</c>): it stays visible in the sandbox until the next full scan, at most <see cref="MaxAge"/> after
/// the last one. That is why only the package-managed tree is cached, never <c>/etc</c>, <c>/var</c>, <c>/opt</c> or
/// <c>/usr/local</c>, where people keep and lock down their secrets.
/// </para>
/// <para>
/// A folder changed less than two seconds before it was read is saved as unknown and read again next time: file
/// times are coarser than the clock, so a change right after the read could leave its time as it was. Nothing is saved
/// when a path holds a line break. The file is written whole and renamed into place, with mode 0600 in a folder of mode
/// 0700, and is not read when it or its folder is writable by group or others. Failing to read or write it only costs
/// a full scan. Thread-safe.
/// </para>
/// </remarks>
/// <param name="file">The cache file.</param>
/// <param name="time">The clock that dates scans.</param>
internal sealed class HostScanCache(string file, TimeProvider time)
{
    /// <summary>How long after a full scan the tree is scanned whole again: 24 hours.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(24);

    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);
    private const string Header = "rein host scan 2";
    private const UnixFileMode SharedWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    /// <summary>Gets root's cache, in <c>/var/cache/rein</c>: a folder only root may create, whatever <c>HOME</c> says.</summary>
    public static HostScanCache ForRoot { get; } = new("/var/cache/rein/host-scan.txt", TimeProvider.System);

    /// <summary>
    /// Lists the private entries of <paramref name="tree"/>: the saved scan with every changed folder read again, or a
    /// full scan when there is no usable one; what changed is saved for the next process.
    /// </summary>
    /// <param name="tree">The tree's absolute path.</param>
    /// <param name="skipped">Paths inside it that are neither listed nor entered.</param>
    public IReadOnlyList<(string Path, bool IsFolder)> Scan(string tree, IReadOnlyCollection<string> skipped)
    {
        var now = time.GetUtcNow();
        if (Load(tree, now) is not { } saved)
        {
            var root = new DirectoryInfo(tree);
            if (!root.Exists)
            {
                return [];
            }

            var folders = new List<FolderStamp> { Stamp(root) };
            var found = PrivateHostPaths.Scan(tree, skipped, folders);
            Save(tree, now, folders, found, now);
            return found;
        }

        var refreshed = new Refresh(tree, skipped, saved.Folders, saved.Found);
        if (refreshed.Changed)
        {
            Save(tree, saved.Scanned, refreshed.Folders, refreshed.Found, now);
        }

        return refreshed.Found;
    }

    private static FolderStamp Stamp(FileSystemInfo folder) => new(folder.FullName, folder.LastWriteTimeUtc, folder.UnixFileMode);

    private Saved? Load(string tree, DateTimeOffset now)
    {
        string[] lines;
        try
        {
            if (!OperatingSystem.IsLinux() || !File.Exists(file)
                || (File.GetUnixFileMode(file) & SharedWrite) != 0
                || (File.GetUnixFileMode(Path.GetDirectoryName(file)!) & SharedWrite) != 0)
            {
                return null;
            }

            lines = File.ReadAllLines(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        if (lines.Length < 3 || lines[0] != Header || lines[1] != "tree " + tree
            || !lines[2].StartsWith("scanned ", StringComparison.Ordinal)
            || !long.TryParse(lines[2].AsSpan("scanned ".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var scannedMs))
        {
            return null;
        }

        var scanned = DateTimeOffset.FromUnixTimeMilliseconds(scannedMs);
        if (now - scanned < TimeSpan.Zero || now - scanned > MaxAge)
        {
            return null;
        }

        var folders = new List<FolderStamp>();
        var found = new List<(string Path, bool IsFolder)>();
        foreach (var line in lines.AsSpan(3))
        {
            if (line.StartsWith("p ", StringComparison.Ordinal) || line.StartsWith("f ", StringComparison.Ordinal))
            {
                found.Add((line[2..], line[0] == 'f'));
            }
            else if (ParseFolder(line) is { } folder)
            {
                folders.Add(folder);
            }
            else
            {
                return null;
            }
        }

        return folders.Count > 0 && folders[0].Path == tree && found.All(e => Bubblewrap.IsInside(e.Path, tree))
            ? new Saved(scanned, folders, found)
            : null;
    }

    private static FolderStamp? ParseFolder(string line)
    {
        // "d TICKS MODE PATH"
        if (!line.StartsWith("d ", StringComparison.Ordinal))
        {
            return null;
        }

        var rest = line.AsSpan(2);
        var space = rest.IndexOf(' ');
        if (space <= 0 || !long.TryParse(rest[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) || ticks > DateTime.MaxValue.Ticks)
        {
            return null;
        }

        rest = rest[(space + 1)..];
        space = rest.IndexOf(' ');
        return space > 0 && int.TryParse(rest[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var mode)
            ? new FolderStamp(rest[(space + 1)..].ToString(), new DateTime(ticks, DateTimeKind.Utc), (UnixFileMode)mode)
            : null;
    }

    private void Save(string tree, DateTimeOffset scanned, IReadOnlyList<FolderStamp> folders, IReadOnlyList<(string Path, bool IsFolder)> found, DateTimeOffset now)
    {
        if (!OperatingSystem.IsLinux() || folders.Any(f => HasLineBreak(f.Path)) || found.Any(e => HasLineBreak(e.Path)))
        {
            return;
        }

        var settled = now.UtcDateTime - Settle;
        var text = new StringBuilder()
            .Append(Header).Append('\n')
            .Append("tree ").Append(tree).Append('\n')
            .Append("scanned ").Append(scanned.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var folder in folders)
        {
            // A folder that changed just before it was read is saved as unknown, so the next process reads it again.
            var ticks = folder.LastWrite >= settled ? 0 : folder.LastWrite.Ticks;
            text.Append("d ").Append(ticks.ToString(CultureInfo.InvariantCulture))
                .Append(' ').Append(((int)folder.Mode).ToString(CultureInfo.InvariantCulture))
                .Append(' ').Append(folder.Path).Append('\n');
        }

        foreach (var (path, isFolder) in found)
        {
            text.Append(isFolder ? "f " : "p ").Append(path).Append('\n');
        }

        var temporary = $"{file}.{Environment.ProcessId}.tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            using (var stream = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                stream.Write(Encoding.UTF8.GetBytes(text.ToString()));
            }

            File.Move(temporary, file, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only an optimisation: the next process scans again.
            try
            {
                File.Delete(temporary);
            }
            catch (Exception inner) when (inner is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static bool HasLineBreak(string path) => path.AsSpan().IndexOfAny('\n', '\r') >= 0;

    private sealed record Saved(DateTimeOffset Scanned, List<FolderStamp> Folders, List<(string Path, bool IsFolder)> Found);

    /// <summary>Brings a saved scan up to date: every saved folder is checked, and those that changed are read again.</summary>
    private sealed class Refresh
    {
        private readonly string _tree;
        private readonly IReadOnlyCollection<string> _skipped;
        private readonly HashSet<string> _known;
        private readonly HashSet<string> _dropped = new(StringComparer.Ordinal);
        private readonly Dictionary<string, HashSet<(string Path, bool IsFolder)>> _byFolder = new(StringComparer.Ordinal);

        public Refresh(string tree, IReadOnlyCollection<string> skipped, List<FolderStamp> saved, List<(string Path, bool IsFolder)> found)
        {
            _tree = tree;
            _skipped = skipped;
            _known = saved.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
            foreach (var entry in found)
            {
                Add(entry);
            }

            // Saved folders come parent first (a folder is found while its parent is read), so a folder that is gone
            // or turned private is dropped before any folder inside it comes up.
            foreach (var stamp in saved)
            {
                if (InsideDropped(stamp.Path))
                {
                    continue;
                }

                var folder = new DirectoryInfo(stamp.Path);
                if (!folder.Exists || (folder.Attributes & FileAttributes.ReparsePoint) != 0 || (folder.UnixFileMode & UnixFileMode.OtherExecute) == 0)
                {
                    _dropped.Add(stamp.Path);
                    _byFolder.Remove(stamp.Path);
                    if (folder.Exists && (folder.Attributes & FileAttributes.ReparsePoint) == 0)
                    {
                        Add((stamp.Path, true));
                    }

                    Changed = true;
                    continue;
                }

                var now = Stamp(folder);
                Folders.Add(now);
                if (now.LastWrite != stamp.LastWrite || now.Mode != stamp.Mode)
                {
                    Changed = true;
                    ReadAgain(folder);
                }
            }

            Found = [.. _byFolder.Values.SelectMany(entries => entries).Where(e => !InsideDropped(e.Path))];
        }

        public bool Changed { get; private set; }

        public List<FolderStamp> Folders { get; } = [];

        public List<(string Path, bool IsFolder)> Found { get; }

        private void Add((string Path, bool IsFolder) entry)
        {
            var parent = Path.GetDirectoryName(entry.Path) ?? "";
            if (!_byFolder.TryGetValue(parent, out var entries))
            {
                _byFolder[parent] = entries = [];
            }

            entries.Add(entry);
        }

        private bool InsideDropped(string path)
        {
            for (var parent = Path.GetDirectoryName(path); parent is not null && parent.Length >= _tree.Length; parent = Path.GetDirectoryName(parent))
            {
                if (_dropped.Contains(parent))
                {
                    return true;
                }
            }

            return false;
        }

        private void ReadAgain(DirectoryInfo folder)
        {
            _byFolder.Remove(folder.FullName);
            List<FileSystemInfo> children;
            try
            {
                children = [.. folder.EnumerateFileSystemInfos()];
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return;
            }

            foreach (var child in children)
            {
                if ((child.Attributes & FileAttributes.ReparsePoint) != 0 || _skipped.Contains(child.FullName))
                {
                    continue;
                }

                var mode = child.UnixFileMode;
                if (child is not DirectoryInfo)
                {
                    if ((mode & UnixFileMode.OtherRead) == 0)
                    {
                        Add((child.FullName, false));
                    }
                }
                else if ((mode & UnixFileMode.OtherExecute) == 0)
                {
                    Add((child.FullName, true));
                }
                else if (!_known.Contains(child.FullName))
                {
                    // A folder the saved scan never entered (new, or no longer private): scanned whole.
                    Folders.Add(Stamp(child));
                    foreach (var entry in PrivateHostPaths.Scan(child.FullName, _skipped, Folders))
                    {
                        Add(entry);
                    }
                }
            }
        }
    }
}

/// <summary>A folder's last-write time and mode, read before its entries were listed.</summary>
/// <param name="Path">The folder.</param>
/// <param name="LastWrite">Its last-write time (UTC).</param>
/// <param name="Mode">Its permissions.</param>
internal readonly record struct FolderStamp(string Path, DateTime LastWrite, UnixFileMode Mode);
