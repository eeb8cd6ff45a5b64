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
/// A later process checks each folder (one <c>statx</c> call each, no allocation: see <see cref="FolderStatus"/>) and
/// reads again only those that changed: creating, removing or renaming an
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
            Save(tree, now, now, [.. folders.Select(f => new FolderLine(default, f))], found, savedText: "");
            return found;
        }

        var refreshed = new Refresh(saved, skipped);
        if (refreshed.Changed)
        {
            Save(tree, saved.Scanned, now, refreshed.Lines, refreshed.Found, saved.Text);
        }

        return refreshed.Found;
    }

    private static FolderStamp Stamp(FileSystemInfo folder) => new(folder.FullName, folder.LastWriteTimeUtc, folder.UnixFileMode);

    private Saved? Load(string tree, DateTimeOffset now)
    {
        string text;
        try
        {
            if (!OperatingSystem.IsLinux() || !File.Exists(file)
                || (File.GetUnixFileMode(file) & SharedWrite) != 0
                || (File.GetUnixFileMode(Path.GetDirectoryName(file)!) & SharedWrite) != 0)
            {
                return null;
            }

            // One string, read in slices: a saved folder costs no allocation unless it changed.
            text = Encoding.UTF8.GetString(File.ReadAllBytes(file));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var position = 0;
        if (!NextLine(text, ref position, out var header) || !text.AsSpan()[header].SequenceEqual(Header)
            || !NextLine(text, ref position, out var treeLine) || !text.AsSpan()[treeLine].SequenceEqual("tree " + tree)
            || !NextLine(text, ref position, out var scannedLine) || !text.AsSpan()[scannedLine].StartsWith("scanned ", StringComparison.Ordinal)
            || !long.TryParse(text.AsSpan()[scannedLine]["scanned ".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var scannedMs))
        {
            return null;
        }

        var scanned = DateTimeOffset.FromUnixTimeMilliseconds(scannedMs);
        if (now - scanned < TimeSpan.Zero || now - scanned > MaxAge)
        {
            return null;
        }

        var folders = new List<SavedFolder>();
        var found = new List<(string Path, bool IsFolder)>();
        while (NextLine(text, ref position, out var line))
        {
            var span = text.AsSpan()[line];
            if (span.StartsWith("p ", StringComparison.Ordinal) || span.StartsWith("f ", StringComparison.Ordinal))
            {
                found.Add((span[2..].ToString(), span[0] == 'f'));
            }
            else if (ParseFolder(text, line) is { } folder)
            {
                folders.Add(folder);
            }
            else
            {
                return null;
            }
        }

        return folders.Count > 0 && text.AsSpan()[folders[0].Path].SequenceEqual(tree) && found.All(e => Bubblewrap.IsInside(e.Path, tree))
            ? new Saved(text, tree, scanned, folders, found)
            : null;
    }

    private static bool NextLine(string text, ref int position, out Range line)
    {
        if (position >= text.Length)
        {
            line = default;
            return false;
        }

        var end = text.IndexOf('\n', position);
        end = end < 0 ? text.Length : end;
        line = position..end;
        position = end + 1;
        return true;
    }

    private static SavedFolder? ParseFolder(string text, Range line)
    {
        // "d TICKS MODE PATH"
        var (offset, length) = line.GetOffsetAndLength(text.Length);
        var span = text.AsSpan(offset, length);
        if (!span.StartsWith("d ", StringComparison.Ordinal))
        {
            return null;
        }

        var first = span[2..].IndexOf(' ') + 2;
        if (first <= 2 || !long.TryParse(span[2..first], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
        {
            return null;
        }

        var second = span[(first + 1)..].IndexOf(' ') + first + 1;
        return second > first + 1 && int.TryParse(span[(first + 1)..second], NumberStyles.None, CultureInfo.InvariantCulture, out var mode)
            ? new SavedFolder(line, (offset + second + 1)..(offset + length), ticks, (UnixFileMode)mode)
            : null;
    }

    private void Save(
        string tree, DateTimeOffset scanned, DateTimeOffset now, IReadOnlyList<FolderLine> folders, IReadOnlyList<(string Path, bool IsFolder)> found, string savedText)
    {
        if (!OperatingSystem.IsLinux() || folders.Any(f => f.Stamp is { } stamp && HasLineBreak(stamp.Path)) || found.Any(e => HasLineBreak(e.Path)))
        {
            return;
        }

        var settled = (now.UtcDateTime - Settle).Ticks;
        var temporary = $"{file}.{Environment.ProcessId}.tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            using (var writer = new StreamWriter(
                temporary,
                new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
                new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            {
                writer.Write($"{Header}\ntree {tree}\nscanned {scanned.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}\n");
                foreach (var folder in folders)
                {
                    if (folder.Stamp is { } stamp)
                    {
                        // A folder that changed just before it was read is saved as unknown, so the next process reads it again.
                        var ticks = stamp.LastWrite.Ticks >= settled ? 0 : stamp.LastWrite.Ticks;
                        writer.Write(string.Create(CultureInfo.InvariantCulture, $"d {ticks} {(int)stamp.Mode} "));
                        writer.Write(stamp.Path);
                    }
                    else
                    {
                        writer.Write(savedText.AsSpan()[folder.Saved]);
                    }

                    writer.Write('\n');
                }

                foreach (var (path, isFolder) in found)
                {
                    writer.Write(isFolder ? "f " : "p ");
                    writer.Write(path);
                    writer.Write('\n');
                }
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

    private sealed record Saved(string Text, string Tree, DateTimeOffset Scanned, List<SavedFolder> Folders, List<(string Path, bool IsFolder)> Found);

    /// <summary>A folder line of the saved text: the whole line, its path, and the stamp it was saved with.</summary>
    private readonly record struct SavedFolder(Range Line, Range Path, long Ticks, UnixFileMode Mode);

    /// <summary>A folder line to save: a saved line kept as it was (<paramref name="Saved"/>), or a new stamp.</summary>
    private readonly record struct FolderLine(Range Saved, FolderStamp? Stamp);

    /// <summary>Brings a saved scan up to date: every saved folder is checked, and those that changed are read again.</summary>
    private sealed class Refresh
    {
        private readonly Saved _saved;
        private readonly IReadOnlyCollection<string> _skipped;
        private readonly HashSet<string> _dropped = new(StringComparer.Ordinal);
        private readonly Dictionary<string, HashSet<(string Path, bool IsFolder)>> _byFolder = new(StringComparer.Ordinal);

        public Refresh(Saved saved, IReadOnlyCollection<string> skipped)
        {
            _saved = saved;
            _skipped = skipped;
            foreach (var entry in saved.Found)
            {
                Add(entry);
            }

            // Saved folders come parent first (a folder is found while its parent is read), so a folder that is gone
            // or turned private is dropped before any folder inside it comes up.
            foreach (var folder in saved.Folders)
            {
                var path = saved.Text.AsSpan()[folder.Path];
                if (InsideDropped(path))
                {
                    continue;
                }

                var status = FolderStatus.Read(path);
                if (!status.IsFolder || (status.Mode & UnixFileMode.OtherExecute) == 0)
                {
                    var gone = path.ToString();
                    _dropped.Add(gone);
                    _byFolder.Remove(gone);
                    if (status.IsFolder)
                    {
                        Add((gone, true));
                    }

                    Changed = true;
                }
                else if (status.LastWriteTicks == folder.Ticks && status.Mode == folder.Mode)
                {
                    Lines.Add(new FolderLine(folder.Line, null));
                }
                else
                {
                    Changed = true;
                    var changed = path.ToString();
                    Lines.Add(new FolderLine(default, new FolderStamp(changed, new DateTime(status.LastWriteTicks, DateTimeKind.Utc), status.Mode)));
                    ReadAgain(changed);
                }
            }

            Found = [.. _byFolder.Values.SelectMany(entries => entries).Where(e => !InsideDropped(e.Path))];
        }

        public bool Changed { get; private set; }

        public List<FolderLine> Lines { get; } = [];

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

        private bool InsideDropped(ReadOnlySpan<char> path)
        {
            if (_dropped.Count == 0)
            {
                return false;
            }

            var dropped = _dropped.GetAlternateLookup<ReadOnlySpan<char>>();
            for (var cut = path.LastIndexOf('/'); cut > 0 && cut >= _saved.Tree.Length; cut = path[..cut].LastIndexOf('/'))
            {
                if (dropped.Contains(path[..cut]))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The saved folders directly inside <paramref name="folder"/>.</summary>
        private HashSet<string> SavedChildren(string folder)
        {
            var children = new HashSet<string>(StringComparer.Ordinal);
            foreach (var saved in _saved.Folders)
            {
                var path = _saved.Text.AsSpan()[saved.Path];
                var cut = path.LastIndexOf('/');
                if (cut > 0 && path[..cut].SequenceEqual(folder))
                {
                    children.Add(path.ToString());
                }
            }

            return children;
        }

        private void ReadAgain(string folder)
        {
            _byFolder.Remove(folder);
            List<FileSystemInfo> children;
            try
            {
                children = [.. new DirectoryInfo(folder).EnumerateFileSystemInfos()];
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return;
            }

            var known = SavedChildren(folder);
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
                else if (!known.Contains(child.FullName))
                {
                    // A folder the saved scan never entered (new, or no longer private): scanned whole.
                    var entered = new List<FolderStamp> { Stamp(child) };
                    foreach (var entry in PrivateHostPaths.Scan(child.FullName, _skipped, entered))
                    {
                        Add(entry);
                    }

                    Lines.AddRange(entered.Select(stamp => new FolderLine(default, stamp)));
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
