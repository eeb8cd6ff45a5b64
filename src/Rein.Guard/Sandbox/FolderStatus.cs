using System.Runtime.InteropServices;
using System.Text;

namespace Rein.Guard.Sandbox;

/// <summary>A path's kind, permissions and last-write time, read without following a final link.</summary>
/// <param name="IsFolder">Whether it exists and is a folder (not a link to one).</param>
/// <param name="Mode">Its permissions; <c>0</c> when it is not a folder.</param>
/// <param name="LastWriteTicks">Its last-write time in UTC ticks, as <see cref="FileSystemInfo.LastWriteTimeUtc"/> gives it.</param>
internal readonly record struct FolderStatus(bool IsFolder, UnixFileMode Mode, long LastWriteTicks)
{
    private const int CurrentFolder = -100; // AT_FDCWD
    private const int NoFollow = 0x100; // AT_SYMLINK_NOFOLLOW
    private const uint Wanted = 0x1 | 0x2 | 0x40; // STATX_TYPE | STATX_MODE | STATX_MTIME
    private const int KindMask = 0xF000; // S_IFMT
    private const int FolderKind = 0x4000; // S_IFDIR

    private static bool _statxMissing = !OperatingSystem.IsLinux();

    /// <summary>
    /// Reads <paramref name="path"/> with one <c>statx</c> call and no allocation (a cache check reads tens of thousands
    /// of folders at start-up); falls back to <see cref="DirectoryInfo"/> where <c>statx</c> is missing.
    /// </summary>
    public static FolderStatus Read(ReadOnlySpan<char> path)
    {
        if (!_statxMissing && path.Length <= 1024)
        {
            Span<byte> bytes = stackalloc byte[(path.Length * 3) + 1];
            var count = Encoding.UTF8.GetBytes(path, bytes);
            bytes[count] = 0;
            try
            {
                if (NativeMethods.Statx(CurrentFolder, ref bytes[0], NoFollow, Wanted, out var status) != 0)
                {
                    return default;
                }

                if ((status.Mask & Wanted) == Wanted)
                {
                    return (status.Mode & KindMask) != FolderKind
                        ? default
                        : new FolderStatus(
                            true,
                            (UnixFileMode)(status.Mode & 0xFFF),
                            DateTime.UnixEpoch.Ticks + (status.LastWriteSeconds * TimeSpan.TicksPerSecond) + (status.LastWriteNanoseconds / 100));
                }
            }
            catch (EntryPointNotFoundException)
            {
                _statxMissing = true;
            }
        }

        var folder = new DirectoryInfo(path.ToString());
        return folder.Exists && (folder.Attributes & FileAttributes.ReparsePoint) == 0
            ? new FolderStatus(true, folder.UnixFileMode, folder.LastWriteTimeUtc.Ticks)
            : default;
    }

    /// <summary>The fields of Linux's <c>struct statx</c> (256 bytes, the same layout on every architecture) that are read.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(0)]
        public uint Mask;

        [FieldOffset(28)]
        public ushort Mode;

        [FieldOffset(112)]
        public long LastWriteSeconds;

        [FieldOffset(120)]
        public uint LastWriteNanoseconds;
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "statx")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Statx(int folder, ref byte path, int flags, uint mask, out StatxBuffer status);
    }
}
