using System.Globalization;

namespace Rein.Guard.Sandbox;

/// <summary>
/// A cgroup that caps how many processes one sandboxed command may have, and kills whatever is left in it
/// when the command ends.
/// </summary>
/// <remarks>
/// <c>RLIMIT_NPROC</c> is not enforced for root's processes, and a command run by a root Rein is root's (its
/// sandbox user maps to root outside), so a fork bomb is only contained by a pids cgroup. Rein uses one when it
/// may create cgroups (cgroup v1 <c>/sys/fs/cgroup/pids</c> or a cgroup v2 hierarchy with the pids controller);
/// otherwise the process limit falls back to <c>prlimit --nproc</c>, which holds for ordinary users.
/// </remarks>
internal sealed class ProcessCgroup : IDisposable
{
    private static readonly Lazy<string?> Root = new(FindRoot);
    private static int _swept;

    private ProcessCgroup(string path) => Path = path;

    /// <summary>Gets the cgroup folder.</summary>
    public string Path { get; }

    /// <summary>Gets whether commands can be put in pids cgroups here.</summary>
    public static bool Available => Root.Value is not null;

    /// <summary>Creates a cgroup allowing at most <paramref name="maxProcesses"/> processes, or returns null when cgroups are not available.</summary>
    public static ProcessCgroup? TryCreate(long maxProcesses)
    {
        if (Root.Value is not { } root)
        {
            return null;
        }

        if (Interlocked.Exchange(ref _swept, 1) == 0)
        {
            // Cgroups left by Rein processes that have exited (a cgroup can only be removed once empty). A cgroup of a
            // live Rein may be empty only because its command has not joined yet, so those are never touched.
            foreach (var stale in Directory.EnumerateDirectories(root, "rein-*-*"))
            {
                var owner = System.IO.Path.GetFileName(stale).Split('-')[1];
                if (int.TryParse(owner, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !Directory.Exists($"/proc/{pid}"))
                {
                    TryRemove(stale);
                }
            }
        }

        var path = System.IO.Path.Join(root, $"rein-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(path);
            File.WriteAllText(System.IO.Path.Join(path, "pids.max"), maxProcesses.ToString(CultureInfo.InvariantCulture));
            return new ProcessCgroup(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryRemove(path);
            return null;
        }
    }

    /// <summary>Wraps a command line so its first process joins this cgroup before anything else runs.</summary>
    public IReadOnlyList<string> Wrap(IReadOnlyList<string> argv) =>
        ["/bin/sh", "-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"", Path, .. argv];

    /// <summary>Kills every process still in the cgroup and removes it.</summary>
    public void Dispose()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var pids = ReadPids();
            if (pids.Count == 0)
            {
                break;
            }

            foreach (var pid in pids)
            {
                try
                {
                    System.Diagnostics.Process.GetProcessById(pid).Kill();
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // Already gone.
                }
            }

            Thread.Sleep(20);
        }

        if (!TryRemove(Path))
        {
            // The last processes are still being reaped; try again shortly (and the next Rein sweeps what is left).
            var path = Path;
            _ = Task.Delay(TimeSpan.FromSeconds(2)).ContinueWith(_ => TryRemove(path), TaskScheduler.Default);
        }
    }

    private List<int> ReadPids()
    {
        try
        {
            return [.. File.ReadAllLines(System.IO.Path.Join(Path, "cgroup.procs"))
                .Select(line => int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
                .Where(pid => pid > 0)];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static bool TryRemove(string path)
    {
        try
        {
            Directory.Delete(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return !Directory.Exists(path);
        }
    }

    private static string? FindRoot()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        // cgroup v1: a pids hierarchy; cgroup v2: the unified hierarchy with the pids controller enabled for children.
        foreach (var candidate in new[] { "/sys/fs/cgroup/pids", "/sys/fs/cgroup" })
        {
            var controllers = System.IO.Path.Join(candidate, "cgroup.subtree_control");
            var isV1Pids = candidate.EndsWith("/pids", StringComparison.Ordinal) && File.Exists(System.IO.Path.Join(candidate, "cgroup.procs"));
            var isV2 = !isV1Pids && File.Exists(controllers) && SafeRead(controllers).Split(' ').Contains("pids");
            if (!isV1Pids && !isV2)
            {
                continue;
            }

            var probe = System.IO.Path.Join(candidate, "rein-probe-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            try
            {
                Directory.CreateDirectory(probe);
                var writable = File.Exists(System.IO.Path.Join(probe, "pids.max"));
                TryRemove(probe);
                if (writable)
                {
                    return candidate;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                TryRemove(probe);
            }
        }

        return null;
    }

    private static string SafeRead(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
