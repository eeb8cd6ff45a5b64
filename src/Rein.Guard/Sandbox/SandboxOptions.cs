using System.Text.Json;

namespace Rein.Guard.Sandbox;

/// <summary>What a sandboxed command may see and use.</summary>
/// <remarks>
/// <para>
/// Defaults: the system is read-only; the workspace is writable; <c>/tmp</c>, <c>/var/tmp</c> and <c>/run</c> are
/// private and empty; the home folder, <c>/root</c> and <c>/home</c> are hidden except for the toolchain folders in
/// <see cref="ToolchainFolders"/>; Rein's own data (<see cref="HiddenPaths"/>) and the host's password and key files
/// are never visible; there is no network; and the limits are 600 CPU seconds, 8,192 MB of address space, 1,024
/// processes, 1,024 MB per written file and 4,096 open files.
/// </para>
/// <para>Not thread-safe while being changed; a runner reads it on every command.</para>
/// </remarks>
public sealed class SandboxOptions
{
    /// <summary>Gets or sets the user's home folder, hidden inside the sandbox. Defaults to <c>$HOME</c>.</summary>
    public string HomeDirectory { get; set; } = DefaultHome();

    /// <summary>
    /// Gets the folders, relative to <see cref="HomeDirectory"/>, bound back read-only when they exist so that builds
    /// still work. Defaults to <c>.dotnet</c>, <c>.cargo</c>, <c>.rustup</c>, <c>.pyenv</c>, <c>.nvm</c>,
    /// <c>.local/bin</c>, <c>.nuget/packages</c>, <c>.m2</c>, <c>.gradle</c> and <c>go</c>.
    /// </summary>
    public IList<string> ToolchainFolders { get; } =
        [".dotnet", ".cargo", ".rustup", ".pyenv", ".nvm", ".local/bin", ".nuget/packages", ".m2", ".gradle", "go"];

    /// <summary>
    /// Gets or sets the command search path (<c>PATH</c>). An entry inside <c>/root</c> or <c>/home/USER</c> brings that
    /// home's <see cref="ToolchainFolders"/> back too, for when <see cref="HomeDirectory"/> is another folder (e.g.
    /// <c>/root/.cargo/bin</c> on the path with <c>HOME=/tmp/x</c>). Defaults to this process's <c>PATH</c>.
    /// </summary>
    public string? SearchPath { get; set; } = Environment.GetEnvironmentVariable("PATH");

    /// <summary>Gets extra absolute paths bound read-only when they exist (<c>~/</c> means the home folder). Defaults to none.</summary>
    public IList<string> ReadOnlyPaths { get; } = [];

    /// <summary>Gets extra absolute paths bound writable when they exist (<c>~/</c> means the home folder). Defaults to none.</summary>
    public IList<string> WritablePaths { get; } = [];

    /// <summary>
    /// Gets paths that are never visible, even inside a bound folder: Rein's journal, settings and secrets. Defaults to
    /// <c>$REIN_CONFIG_DIR</c>, <c>$XDG_CONFIG_HOME/rein</c>, <c>$XDG_DATA_HOME/rein</c>, <c>~/.config/rein</c>,
    /// <c>~/.local/share/rein</c> and <c>$REIN_STORE</c>, those that are set.
    /// </summary>
    public IList<string> HiddenPaths { get; } = DefaultHiddenPaths();

    /// <summary>
    /// Gets the workspace entries, relative to its root, that no command may create, replace, rename or change, whether
    /// they exist or not, because the host trusts them later. Defaults to <c>.rein</c> (Rein's project settings) and
    /// <c>.git</c>; the real git folder of a <c>.git</c> file and the folder <c>core.hooksPath</c> names are added when they
    /// lie inside the workspace.
    /// </summary>
    public IList<string> ProtectedWorkspacePaths { get; } = [GuardInfo.ProjectFolder, ".git"];

    /// <summary>
    /// Gets the domains reachable through Rein's egress proxy, e.g. <c>pypi.org</c> or <c>*.github.com</c> (any
    /// subdomain, not the domain itself). Defaults to none: no network at all.
    /// </summary>
    public IList<string> AllowedDomains { get; } = [];

    /// <summary>Gets the ports the egress proxy lets commands reach on allowed domains (settings <c>sandbox.network.ports</c>). Defaults to 80 and 443.</summary>
    public IList<int> AllowedPorts { get; } = [80, 443];

    /// <summary>
    /// Gets the names of Rein's environment variables that commands inherit besides
    /// <see cref="Rein.Tools.CommandEnvironment.DefaultNames"/> (settings <c>sandbox.env</c>), e.g. <c>NODE_ENV</c> or
    /// <c>MY_*</c> (every name starting with <c>MY_</c>). Credential-like names never pass. Defaults to none.
    /// </summary>
    public IList<string> EnvironmentNames { get; } = [];

    /// <summary>Gets or sets the CPU seconds each process may use, or null for no limit. Defaults to 600.</summary>
    public int? CpuSeconds { get; set; } = 600;

    /// <summary>Gets or sets the address space each process may map, in MB, or null for no limit. Defaults to 8,192.</summary>
    public int? MemoryMb { get; set; } = 8192;

    /// <summary>Gets or sets how many processes and threads the sandbox user may run at once, or null for no limit. Defaults to 1,024.</summary>
    public int? Processes { get; set; } = 1024;

    /// <summary>Gets or sets the largest file a process may write, in MB, or null for no limit. Defaults to 1,024.</summary>
    public int? FileSizeMb { get; set; } = 1024;

    /// <summary>Gets or sets how many files a process may have open, or null for no limit. Defaults to 4,096.</summary>
    public int? OpenFiles { get; set; } = 4096;

    /// <summary>
    /// Gets or sets where the egress proxy connects for an allowed host and port, or null to resolve it with DNS.
    /// A null result also means DNS. Defaults to null. Meant for tests that map a name to a loopback server.
    /// </summary>
    public Func<string, int, (string Host, int Port)?>? EgressResolver { get; set; }

    /// <summary>Reads the <c>"sandbox"</c> section of a settings file.</summary>
    /// <param name="sandboxSection">The section: <c>{"network": {"allow": [...], "ports": [...]}, "limits": {...}, "read_only_paths": [...], "writable_paths": [...], "env": [...]}</c>.</param>
    /// <param name="path">The settings file, named in errors.</param>
    /// <returns>Options with defaults for everything the section leaves out.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="FormatException">A key has the wrong type or value; the message names the file and the key.</exception>
    /// <remarks>A limit set to <c>null</c> removes it. Unknown keys are errors, so a typo does not silently weaken the sandbox.</remarks>
    public static SandboxOptions FromJson(JsonElement sandboxSection, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var options = new SandboxOptions();
        RequireObject(sandboxSection, path, "sandbox");
        foreach (var property in sandboxSection.EnumerateObject())
        {
            var key = "sandbox." + property.Name;
            switch (property.Name)
            {
                case "type":
                    // "bubblewrap" or "none": which sandbox runs commands is chosen by the host (--sandbox), not here.
                    if (property.Value.ValueKind != JsonValueKind.String || property.Value.GetString() is not ("bubblewrap" or "none"))
                    {
                        throw new FormatException($"{path}: \"{key}\" must be \"bubblewrap\" or \"none\".");
                    }

                    break;
                case "network":
                    RequireObject(property.Value, path, key);
                    foreach (var network in property.Value.EnumerateObject())
                    {
                        if (network.Name == "ports")
                        {
                            options.AllowedPorts.Clear();
                            foreach (var port in ReadPorts(network.Value, path, key + ".ports"))
                            {
                                options.AllowedPorts.Add(port);
                            }

                            continue;
                        }

                        if (network.Name != "allow")
                        {
                            throw new FormatException($"{path}: unknown key \"{key}.{network.Name}\" (expected \"allow\" or \"ports\").");
                        }

                        foreach (var domain in ReadStrings(network.Value, path, key + ".allow"))
                        {
                            if (!DomainAllowList.IsValidPattern(domain))
                            {
                                throw new FormatException($"{path}: \"{key}.allow\" has an invalid domain '{domain}' (use e.g. \"pypi.org\" or \"*.github.com\").");
                            }

                            options.AllowedDomains.Add(domain);
                        }
                    }

                    break;
                case "limits":
                    RequireObject(property.Value, path, key);
                    foreach (var limit in property.Value.EnumerateObject())
                    {
                        var value = ReadLimit(limit.Value, path, $"{key}.{limit.Name}");
                        switch (limit.Name)
                        {
                            case "cpu_seconds": options.CpuSeconds = value; break;
                            case "memory_mb": options.MemoryMb = value; break;
                            case "processes": options.Processes = value; break;
                            case "file_size_mb": options.FileSizeMb = value; break;
                            case "open_files": options.OpenFiles = value; break;
                            default:
                                throw new FormatException($"{path}: unknown key \"{key}.{limit.Name}\" (expected cpu_seconds, memory_mb, processes, file_size_mb or open_files).");
                        }
                    }

                    break;
                case "env":
                    foreach (var name in ReadStrings(property.Value, path, key))
                    {
                        if (!Rein.Tools.CommandEnvironment.IsValidPattern(name))
                        {
                            throw new FormatException($"{path}: \"{key}\" has '{name}', which is not an environment variable name (letters, digits and _, optionally ending in * for a prefix).");
                        }

                        if (Rein.Tools.SecretEnvironment.IsSecretName(name.TrimEnd('*')))
                        {
                            throw new FormatException($"{path}: \"{key}\" has '{name}', which names a credential; store it with 'rein secrets set {name.TrimEnd('*')}' and let the shell tool ask for it by name instead.");
                        }

                        options.EnvironmentNames.Add(name);
                    }

                    break;
                case "read_only_paths":
                    AddPaths(options.ReadOnlyPaths, ReadStrings(property.Value, path, key), path, key);
                    break;
                case "writable_paths":
                    AddPaths(options.WritablePaths, ReadStrings(property.Value, path, key), path, key);
                    break;
                default:
                    throw new FormatException($"{path}: unknown key \"{key}\" (expected type, network, limits, read_only_paths, writable_paths or env).");
            }
        }

        return options;
    }

    /// <summary>Expands a leading <c>~/</c> to <see cref="HomeDirectory"/>.</summary>
    internal string Expand(string path) =>
        path == "~" ? HomeDirectory : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Join(HomeDirectory, path[2..]) : path;

    private static void AddPaths(IList<string> target, IEnumerable<string> paths, string file, string key)
    {
        foreach (var item in paths)
        {
            if (!(Path.IsPathFullyQualified(item) || item == "~" || item.StartsWith("~/", StringComparison.Ordinal)))
            {
                throw new FormatException($"{file}: \"{key}\" has '{item}', which is not an absolute path or ~/path.");
            }

            target.Add(item);
        }
    }

    private static void RequireObject(JsonElement value, string path, string key)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{path}: \"{key}\" must be an object, not {Kind(value)}.");
        }
    }

    private static List<string> ReadStrings(JsonElement value, string path, string key)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"{path}: \"{key}\" must be an array of strings, not {Kind(value)}.");
        }

        var result = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 } text)
            {
                throw new FormatException($"{path}: \"{key}\" must contain only non-empty strings.");
            }

            result.Add(text);
        }

        return result;
    }

    private static List<int> ReadPorts(JsonElement value, string path, string key)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"{path}: \"{key}\" must be an array of port numbers, e.g. [80, 443, 8443], not {Kind(value)}.");
        }

        var ports = new List<int>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var port) || port is < 1 or > 65535)
            {
                throw new FormatException($"{path}: \"{key}\" must contain only port numbers from 1 to 65535.");
            }

            ports.Add(port);
        }

        return ports;
    }

    private static int? ReadLimit(JsonElement value, string path, string key) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.Number when value.TryGetInt32(out var number) && number > 0 => number,
        _ => throw new FormatException($"{path}: \"{key}\" must be a positive whole number or null (no limit)."),
    };

    private static string Kind(JsonElement value) => value.ValueKind.ToString().ToLowerInvariant();

    private static string DefaultHome() =>
        Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private static List<string> DefaultHiddenPaths()
    {
        var home = DefaultHome();
        var paths = new List<string> { Path.Join(home, ".config", "rein"), Path.Join(home, ".local", "share", "rein") };
        if (Environment.GetEnvironmentVariable("REIN_CONFIG_DIR") is { Length: > 0 } config)
        {
            paths.Add(config);
        }

        if (Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdgConfig)
        {
            paths.Add(Path.Join(xdgConfig, "rein"));
        }

        if (Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdgData)
        {
            paths.Add(Path.Join(xdgData, "rein"));
        }

        if (Environment.GetEnvironmentVariable("REIN_STORE") is { Length: > 0 } store)
        {
            paths.Add(store);
        }

        return paths;
    }
}
