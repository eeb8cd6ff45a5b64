using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Rein.Tools;

namespace Rein.Guard.Sandbox;

/// <summary>Finds bubblewrap (<c>bwrap</c>), checks that it works here, and builds its command lines.</summary>
/// <remarks>Thread-safe. The probe runs once per process and is cached.</remarks>
public static class Bubblewrap
{
    /// <summary>The loopback port inside the sandbox that forwards to the egress proxy.</summary>
    public const int ProxyPort = 3128;

    /// <summary>Where the egress proxy's socket folder appears inside the sandbox.</summary>
    public const string EgressFolder = "/run/rein-egress";

    /// <summary>The name of the egress proxy's socket inside its folder.</summary>
    public const string EgressSocketName = "proxy.sock";

    private static readonly string[] SystemSecrets =
        ["/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/security/opasswd", "/etc/ssl/private", "/etc/sudoers", "/etc/sudoers.d"];

    private static readonly string[] UserFolders = ["/root", "/home"];

    private static readonly string[] HomeSecrets =
        [".ssh", ".gnupg", ".aws", ".azure", ".kube", ".docker", ".netrc", ".npmrc", ".pypirc", ".git-credentials", ".config", ".local/share"];

    private static readonly Lazy<ProbeResult> Probed = new(RunProbe, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The home folder, then each home under <c>/root</c> or <c>/home</c> that a <c>PATH</c> entry lies in.</summary>
    private static List<string> ToolchainHomes(string home, List<string> emptied, string? searchPath)
    {
        var homes = new List<string>();
        if (Directory.Exists(home))
        {
            homes.Add(home);
        }

        foreach (var entry in (searchPath ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var folder in emptied)
            {
                if (!entry.StartsWith(folder + "/", StringComparison.Ordinal))
                {
                    continue;
                }

                // /root is one account's home; /home holds one folder per account.
                var rest = entry[(folder.Length + 1)..];
                var owner = folder == "/root" ? folder : Path.Join(folder, rest.Split('/')[0]);
                if (Directory.Exists(owner) && !homes.Contains(owner, StringComparer.Ordinal))
                {
                    homes.Add(owner);
                }
            }
        }

        return homes;
    }

    /// <summary>Checks, once per process, that <c>bwrap</c> exists and can actually start a sandbox here.</summary>
    /// <returns>Whether the sandbox is available, and if not, why.</returns>
    public static (bool Available, string? Reason) Probe()
    {
        var result = Probed.Value;
        return (result.Path is not null, result.Reason);
    }

    /// <summary>Builds the full <c>bwrap</c> command line for a request.</summary>
    /// <param name="request">The command to run; its working folder must be inside <paramref name="workspaceRoot"/>.</param>
    /// <param name="workspaceRoot">The workspace, bound writable.</param>
    /// <param name="options">What the sandbox may see and use.</param>
    /// <param name="egressFolder">The host folder holding the egress proxy's socket, or null for no network.</param>
    /// <returns>The program (<c>bwrap</c>) and its arguments.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">A limit is set but <c>prlimit</c> is missing.</exception>
    /// <remarks>
    /// Later mounts cover earlier ones, so the order is: the read-only system; private <c>/dev</c>, <c>/proc</c>,
    /// <c>/tmp</c>, <c>/var/tmp</c> and <c>/run</c> (host Unix sockets live there, and a socket on a read-only mount
    /// still accepts connections); empty <c>/root</c>, <c>/home</c> and home folder; toolchain and extra folders; the
    /// workspace; protected workspace entries; then masks over Rein's data and the host's secrets, which always win.
    /// When Rein runs as root, every host path an unprivileged user could not read (<see cref="PrivateHostPaths"/>) is
    /// masked too, except the workspace and the folders bound on purpose (toolchains, extra paths).
    /// </remarks>
    public static IReadOnlyList<string> BuildArguments(CommandRequest request, string workspaceRoot, SandboxOptions options, string? egressFolder = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(workspaceRoot);
        ArgumentNullException.ThrowIfNull(options);
        var probe = Probed.Value;
        var (uid, gid) = SandboxIds();
        var args = new List<string>
        {
            probe.Path ?? "bwrap",
            "--die-with-parent", "--new-session", "--unshare-all", "--unshare-user",
        };
        if (probe.DisablesUserNamespaces)
        {
            args.Add("--disable-userns");
        }

        args.AddRange(["--uid", uid.ToString(CultureInfo.InvariantCulture), "--gid", gid.ToString(CultureInfo.InvariantCulture), "--cap-drop", "ALL"]);
        args.AddRange(["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp", "--tmpfs", "/run"]);
        if (Directory.Exists("/var/run") && new DirectoryInfo("/var/run").LinkTarget is null)
        {
            args.AddRange(["--tmpfs", "/var/run"]);
        }

        var emptied = UserFolders.Where(Directory.Exists).Select(RealPath).Distinct(StringComparer.Ordinal).ToList();
        foreach (var folder in emptied)
        {
            args.AddRange(["--tmpfs", folder]);
        }

        // Bind sources seen at a second path inside: a mask over the source must cover that path too.
        var aliases = new List<(string Source, string Destination)>();
        var home = RealPath(options.HomeDirectory);
        if (Directory.Exists(home))
        {
            if (!emptied.Contains(home))
            {
                args.AddRange(["--tmpfs", home]);
            }

        }

        // Toolchains come back from the home folder and from any emptied home a PATH entry points into
        // (HOME may name another folder than the account's, e.g. /root/.cargo/bin on PATH with HOME=/tmp/x).
        foreach (var toolchainHome in ToolchainHomes(home, emptied, options.SearchPath))
        {
            foreach (var relative in options.ToolchainFolders)
            {
                var inHome = Path.Join(toolchainHome, relative);
                if (Directory.Exists(inHome))
                {
                    var source = RealPath(inHome);
                    args.AddRange(["--ro-bind", source, inHome]);
                    aliases.Add((source, inHome));
                }
            }
        }

        AddBinds(args, aliases, options.ReadOnlyPaths.Select(options.Expand), "--ro-bind");
        AddBinds(args, aliases, options.WritablePaths.Select(options.Expand), "--bind");
        var workspace = RealPath(workspaceRoot);
        args.AddRange(["--bind", workspace, workspace]);
        ProtectedWorkspace.AddMounts(args, workspace, ProtectedWorkspace.Entries(workspace, options.ProtectedWorkspacePaths));

        if (IsInside(home, workspace))
        {
            // A workspace that holds the home folder would bring its secrets back.
            AddMasks(args, aliases, HomeSecrets.Select(relative => Path.Join(home, relative)));
        }

        AddMasks(args, aliases, options.HiddenPaths.Select(options.Expand).SelectMany(path => new[] { path, path + "-wal", path + "-shm", path + "-journal" }));
        AddMasks(args, aliases, SystemSecrets);
        if (Directory.Exists("/etc/ssh"))
        {
            AddMasks(args, aliases, Directory.EnumerateFiles("/etc/ssh", "ssh_host_*_key"));
        }

        if (RunsAsRoot)
        {
            // The sandbox's user is host root: hide what an unprivileged user could not read, except what was bound on purpose.
            var kept = BoundPaths(args);
            if (egressFolder is not null)
            {
                kept.Add(RealPath(egressFolder));
            }

            AddMasks(args, aliases, PrivateHostPaths.Masks(kept));
        }

        if (egressFolder is not null)
        {
            args.AddRange(["--ro-bind", egressFolder, EgressFolder]);
        }

        args.AddRange(["--chdir", RealPath(request.WorkingDirectory), "--"]);
        if (egressFolder is not null)
        {
            args.AddRange(["/bin/sh", "-c", BridgeScript, "rein-sandbox"]);
        }

        var limits = LimitArguments(options);
        if (limits.Count > 0)
        {
            args.Add(probe.PrlimitPath ?? throw new InvalidOperationException("Sandbox limits need prlimit (util-linux), which is missing."));
            args.AddRange(limits);
        }

        args.AddRange(ProcessCommandRunner.DefaultArguments(request));
        return args;
    }

    /// <summary>Gets whether <c>socat</c>, which bridges the sandbox's loopback port to the egress proxy, is installed.</summary>
    internal static bool HasSocat => Probed.Value.SocatPath is not null;

    /// <summary>Resolves every symbolic link in a path, even when its last parts do not exist (a loop: the path as written).</summary>
    internal static string RealPath(string path) => Rein.Tools.RealPath.Resolve(path) ?? Path.GetFullPath(path);

    internal static bool IsInside(string path, string folder) =>
        path == folder || path.StartsWith(folder.TrimEnd('/') + "/", StringComparison.Ordinal);

    // Starts the loopback bridge to the egress proxy, waits until it listens, then runs the command.
    private static string BridgeScript => string.Create(
        CultureInfo.InvariantCulture,
        $"socat TCP-LISTEN:{ProxyPort},bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:{EgressFolder}/{EgressSocketName} </dev/null >/dev/null 2>&1 & " +
        $"i=0; while [ $i -lt 500 ] && ! grep -q ':{ProxyPort:X4} 00000000:0000 0A' /proc/net/tcp 2>/dev/null; do sleep 0.01; i=$((i+1)); done; exec \"$@\"");

    private static List<string> LimitArguments(SandboxOptions options)
    {
        const long Mb = 1024L * 1024L;
        var limits = new List<string>();
        if (options.CpuSeconds is { } cpu)
        {
            limits.Add(string.Create(CultureInfo.InvariantCulture, $"--cpu={cpu}"));
        }

        if (options.MemoryMb is { } memory)
        {
            limits.Add(string.Create(CultureInfo.InvariantCulture, $"--as={memory * Mb}"));
        }

        if (options.Processes is { } processes)
        {
            limits.Add(string.Create(CultureInfo.InvariantCulture, $"--nproc={processes}"));
        }

        if (options.FileSizeMb is { } fileSize)
        {
            limits.Add(string.Create(CultureInfo.InvariantCulture, $"--fsize={fileSize * Mb}"));
        }

        if (options.OpenFiles is { } openFiles)
        {
            limits.Add(string.Create(CultureInfo.InvariantCulture, $"--nofile={openFiles}"));
        }

        return limits;
    }

    private static void AddBinds(List<string> args, List<(string Source, string Destination)> aliases, IEnumerable<string> paths, string option)
    {
        foreach (var path in paths)
        {
            var full = Path.GetFullPath(path);
            var source = RealPath(full);
            if (File.Exists(source) || Directory.Exists(source))
            {
                var destination = Path.Join(RealPath(Path.GetDirectoryName(full) ?? "/"), Path.GetFileName(full));
                args.AddRange([option, source, destination]);
                if (destination != source)
                {
                    args.AddRange([option, source, source]);
                    aliases.Add((source, destination));
                }
            }
        }
    }

    private static void AddMasks(List<string> args, List<(string Source, string Destination)> aliases, IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            var real = RealPath(path);
            var isFolder = Directory.Exists(real);
            if (!isFolder && !File.Exists(real))
            {
                continue;
            }

            var seenAt = aliases.Where(alias => IsInside(real, alias.Source)).Select(alias => alias.Destination + real[alias.Source.Length..]);
            foreach (var target in seenAt.Prepend(real).Distinct(StringComparer.Ordinal).Where(target => IsVisible(args, target)))
            {
                args.AddRange(isFolder ? ["--tmpfs", target, "--remount-ro", target] : ["--ro-bind", "/dev/null", target]);
            }
        }
    }

    /// <summary>
    /// Whether a path is visible inside the sandbox built so far: the innermost mount over it is a bind, not an
    /// emptied folder. Masking a path that is already hidden would make bwrap create it on a read-only mount.
    /// </summary>
    private static bool IsVisible(List<string> args, string target)
    {
        var deepest = "/";
        var visible = true;
        for (var i = 0; i < args.Count - 1; i++)
        {
            var (mountPoint, shows) = args[i] switch
            {
                "--tmpfs" => (args[i + 1], false),
                "--bind" or "--ro-bind" when i + 2 < args.Count => (args[i + 2], true),
                _ => ((string?)null, false),
            };
            if (mountPoint is not null && IsInside(target, mountPoint) && mountPoint.Length >= deepest.Length)
            {
                deepest = mountPoint;
                visible = shows;
            }
        }

        return visible;
    }

    /// <summary>Gets whether this process runs as root, so that the sandbox's user is host root.</summary>
    internal static bool RunsAsRoot { get; } = OperatingSystem.IsLinux() && NativeMethods.GetEffectiveUserId() == 0;

    /// <summary>Sources and destinations of the binds so far, other than the root and the masks over single files.</summary>
    private static HashSet<string> BoundPaths(List<string> args)
    {
        var bound = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i + 2 < args.Count; i++)
        {
            if (args[i] is "--bind" or "--ro-bind" && args[i + 1] is not ("/" or "/dev/null"))
            {
                bound.Add(args[i + 1]);
                bound.Add(args[i + 2]);
            }
        }

        return bound;
    }

    private static (uint Uid, uint Gid) SandboxIds()
    {
        var uid = NativeMethods.GetEffectiveUserId();
        var gid = NativeMethods.GetEffectiveGroupId();
        // Root runs the command as an ordinary user inside, so tools do not act as root; files still belong to root outside.
        return uid == 0 ? (1000u, 1000u) : (uid, gid);
    }

    private static ProbeResult RunProbe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return new ProbeResult(null, false, null, null, "bubblewrap runs on Linux only.");
        }

        var bwrap = FindOnPath("bwrap");
        if (bwrap is null)
        {
            return new ProbeResult(null, false, null, null, "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap).");
        }

        var prlimit = FindOnPath("prlimit");
        var socat = FindOnPath("socat");
        string[] baseline = ["--unshare-all", "--unshare-user", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--die-with-parent", "--new-session", "--cap-drop", "ALL"];
        var (ok, _) = Try(bwrap, [.. baseline, "--disable-userns", "--", "/bin/true"]);
        if (ok)
        {
            return new ProbeResult(bwrap, true, prlimit, socat, null);
        }

        (ok, var error) = Try(bwrap, [.. baseline, "--", "/bin/true"]);
        return ok
            ? new ProbeResult(bwrap, false, prlimit, socat, null)
            : new ProbeResult(null, false, null, null, $"bwrap cannot create a sandbox here: {error}");
    }

    private static (bool Ok, string Error) Try(string program, string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(info)!;
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return (false, "the probe timed out");
            }

            return (process.ExitCode == 0, error.Wait(TimeSpan.FromSeconds(1)) ? error.Result.Trim() : "");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (false, ex.Message);
        }
    }

    private static string? FindOnPath(string name)
    {
        var folders = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"]);
        return folders.Select(folder => Path.Join(folder, name)).FirstOrDefault(File.Exists);
    }

    private sealed record ProbeResult(string? Path, bool DisablesUserNamespaces, string? PrlimitPath, string? SocatPath, string? Reason);

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "geteuid")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern uint GetEffectiveUserId();

        [DllImport("libc", EntryPoint = "getegid")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern uint GetEffectiveGroupId();
    }
}
