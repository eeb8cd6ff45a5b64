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
/// It is used only while every one of those folders is unchanged and the cache is younger than <see cref="MaxAge"/>:
/// creating, removing or renaming an entry changes its folder's last-write time, and a folder made private changes
/// its own mode, so both invalidate it and the next process scans the tree again. What folder times cannot show is an
/// existing file in the tree whose permissions alone were narrowed (<c>chmod 600</c>): it stays visible in the sandbox
/// until the next full scan, at most <see cref="MaxAge"/> later. That is why only the package-managed tree is cached,
/// never <c>/etc</c>, <c>/var</c>, <c>/opt</c> or <c>/usr/local</c>, where people keep and lock down their secrets.
/// </para>
/// <para>
/// A scan is not saved when a folder changed less than two seconds before it started (file times are coarser than
/// the clock, so a change right after the scan read a folder could leave its time as it was), or when a path holds a
/// line break. The file is written whole and renamed into place, with mode 0600 in a folder of mode 0700, and is not
/// read when it or its folder is writable by group or others. Failing to read or write it only costs a full scan.
/// Thread-safe.
/// </para>
/// </remarks>
/// <param name="file">The cache file.</param>
/// <param name="time">The clock that dates scans.</param>
internal sealed class HostScanCache(string file, TimeProvider time)
{
    /// <summary>How long a saved scan is trusted at most: 24 hours.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(24);

    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);
    private const string Header = "rein host scan 1";
    private const UnixFileMode SharedWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    /// <summary>Gets root's cache, in <c>/var/cache/rein</c>: a folder only root may create, whatever <c>HOME</c> says.</summary>
    public static HostScanCache ForRoot { get; } = new("/var/cache/rein/host-scan.txt", TimeProvider.System);

    /// <summary>Gets the private entries of <paramref name="tree"/> from the cache, or null when there is no valid one.</summary>
    /// <param name="tree">The scanned tree's absolute path.</param>
    public IReadOnlyList<(string Path, bool IsFolder)>? TryLoad(string tree)
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

        var age = time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(scannedMs);
        if (age < TimeSpan.Zero || age > MaxAge)
        {
            return null;
        }

        var found = new List<(string Path, bool IsFolder)>();
        foreach (var line in lines.AsSpan(3))
        {
            if (line.StartsWith("p ", StringComparison.Ordinal) || line.StartsWith("f ", StringComparison.Ordinal))
            {
                found.Add((line[2..], line[0] == 'f'));
            }
            else if (!line.StartsWith("d ", StringComparison.Ordinal) || !Unchanged(line))
            {
                return null;
            }
        }

        return found;
    }

    /// <summary>Saves a scan of <paramref name="tree"/>, unless it cannot be trusted later (see the remarks).</summary>
    /// <param name="tree">The scanned tree's absolute path.</param>
    /// <param name="started">When the scan started.</param>
    /// <param name="folders">Every folder the scan entered, stamped before it was read.</param>
    /// <param name="found">The private entries it found.</param>
    public void Save(string tree, DateTimeOffset started, IReadOnlyList<FolderStamp> folders, IReadOnlyList<(string Path, bool IsFolder)> found)
    {
        var settled = started.UtcDateTime - Settle;
        if (!OperatingSystem.IsLinux()
            || folders.Any(f => f.LastWrite >= settled || HasLineBreak(f.Path))
            || found.Any(e => HasLineBreak(e.Path)))
        {
            return;
        }

        var text = new StringBuilder()
            .Append(Header).Append('\n')
            .Append("tree ").Append(tree).Append('\n')
            .Append("scanned ").Append(started.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var folder in folders)
        {
            text.Append("d ").Append(folder.LastWrite.Ticks.ToString(CultureInfo.InvariantCulture))
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

    private static bool Unchanged(string line)
    {
        // "d TICKS MODE PATH"
        var rest = line.AsSpan(2);
        var space = rest.IndexOf(' ');
        if (space <= 0 || !long.TryParse(rest[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
        {
            return false;
        }

        rest = rest[(space + 1)..];
        space = rest.IndexOf(' ');
        if (space <= 0 || !int.TryParse(rest[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var mode))
        {
            return false;
        }

        var folder = new DirectoryInfo(rest[(space + 1)..].ToString());
        return folder.Exists
            && (folder.Attributes & FileAttributes.ReparsePoint) == 0
            && folder.LastWriteTimeUtc.Ticks == ticks
            && (int)folder.UnixFileMode == mode;
    }
}

/// <summary>A folder's last-write time and mode, read before its entries were listed.</summary>
/// <param name="Path">The folder.</param>
/// <param name="LastWrite">Its last-write time (UTC).</param>
/// <param name="Mode">Its permissions.</param>
internal readonly record struct FolderStamp(string Path, DateTime LastWrite, UnixFileMode Mode);
