using System.Diagnostics;
using System.Security.Cryptography;

namespace Rein.Guard.Tests.Checkpoints;

/// <summary>Reads a folder tree into a comparable form: every entry with its kind, content hash and executable bit.</summary>
internal static class WorkspaceFiles
{
    public static SortedDictionary<string, string> Capture(string root, params string[] skip)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Walk(root, root, skip, entries);
        return entries;
    }

    private static void Walk(string root, string folder, string[] skip, SortedDictionary<string, string> entries)
    {
        foreach (var path in Directory.EnumerateFileSystemEntries(folder))
        {
            var relative = Path.GetRelativePath(root, path).Replace('\\', '/');
            if (skip.Any(s => relative == s || relative.StartsWith(s + "/", StringComparison.Ordinal)))
            {
                continue;
            }

            var info = new FileInfo(path);
            if (info.LinkTarget is { } target)
            {
                entries[relative] = "link " + target;
            }
            else if (Directory.Exists(path))
            {
                entries[relative] = "dir";
                Walk(root, path, skip, entries);
            }
            else if (!OperatingSystem.IsWindows())
            {
                var exec = (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0;
                entries[relative] = $"file {(exec ? "x" : "-")} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)))}";
            }
        }
    }

    public static void Git(string workingDirectory, params string[] arguments)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", "user.name=T", "-c", "user.email=t@t", "-c", "init.defaultBranch=main" }.Concat(arguments))
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', arguments)}: {error}");
    }

    public static void MakeExecutable(string path, bool executable = true)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(path);
        const UnixFileMode x = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(path, executable ? mode | x : mode & ~x);
    }
}
