using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Rein.Tools;

/// <summary>Opens a file for writing at a path already resolved by <see cref="RealPath"/>, without following any link.</summary>
/// <remarks>
/// A file tool judges the real target of a path and then writes it. Between the two, a process could swap a folder
/// on the way for a symbolic link to a protected file; opening with <c>RESOLVE_NO_SYMLINKS</c> (Linux <c>openat2</c>)
/// makes that open fail instead of following the new link. Where <c>openat2</c> is missing the last component is
/// checked just before an ordinary open, which leaves a narrow window.
/// </remarks>
internal static class NoFollowFile
{
    private const int SysOpenat2 = 437;
    private const int AtFdCwd = -100;
    private const ulong OWronly = 0x1, OCreat = 0x40, OTrunc = 0x200, OCloexec = 0x80000;
    private const ulong ResolveNoSymlinks = 0x04;
    private const int Eloop = 40, Enosys = 38, Enoent = 2, Eacces = 13, Eperm = 1, Eisdir = 21, Enotdir = 20;
    private static int s_unsupported;

    /// <summary>Creates or truncates a file and opens it for writing.</summary>
    /// <exception cref="IOException">A component of the path became a symbolic link, or the open failed.</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    public static FileStream OpenWrite(string resolvedPath)
    {
        if (OperatingSystem.IsLinux() && Volatile.Read(ref s_unsupported) == 0)
        {
            var how = new OpenHow { Flags = OWronly | OCreat | OTrunc | OCloexec, Mode = 438 /* 0666, less the umask */, Resolve = ResolveNoSymlinks };
            var fd = NativeMethods.Openat2(SysOpenat2, AtFdCwd, resolvedPath, ref how, (nuint)Marshal.SizeOf<OpenHow>());
            if (fd >= 0)
            {
                return new FileStream(new SafeFileHandle((nint)fd, ownsHandle: true), FileAccess.Write);
            }

            var errno = Marshal.GetLastPInvokeError();
            switch (errno)
            {
                case Eloop:
                    throw new IOException("the path changed into a symbolic link after it was checked; nothing was written");
                case Enoent or Enotdir:
                    throw new DirectoryNotFoundException();
                case Eacces:
                    throw new UnauthorizedAccessException();
                case Eisdir:
                    throw new IOException("the path is a folder");
                case Enosys:
                    Volatile.Write(ref s_unsupported, 1);
                    break;
                case Eperm:
                    // A seccomp filter may refuse openat2 itself; the ordinary open below says whether the file is writable.
                    break;
                default:
                    throw new IOException(Marshal.GetPInvokeErrorMessage(errno));
            }
        }

        if (new FileInfo(resolvedPath).LinkTarget is not null)
        {
            throw new IOException("the path changed into a symbolic link after it was checked; nothing was written");
        }

        return new FileStream(resolvedPath, FileMode.Create, FileAccess.Write, FileShare.Read);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Openat2(long number, int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, ref OpenHow how, nuint size);
    }
}
