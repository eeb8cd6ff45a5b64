using System.Globalization;
using Rein.Tools;

namespace Rein.Guard.Sandbox;

/// <summary>Runs shell commands inside a bubblewrap sandbox: read-only system, writable workspace, no secrets, limits, and network only through <see cref="EgressProxy"/>.</summary>
/// <remarks>
/// <para>
/// Each command runs through <see cref="ProcessCommandRunner"/> with <see cref="Bubblewrap.BuildArguments"/> as its
/// argument builder, so output capping, stdin and the timeout work as there. The command gets its own PID namespace:
/// when it exits, times out or is cancelled, every process it started, background and daemonised ones included, dies
/// with it. When <see cref="SandboxOptions.AllowedDomains"/> is not empty, a proxy is started for the command and
/// stopped after it, and the hosts it refused are returned in <see cref="CommandResult.EgressRefused"/>.
/// </para>
/// <para>
/// The environment is the allow-list of <see cref="CommandEnvironment"/> (with <see cref="SandboxOptions.EnvironmentNames"/>),
/// <c>HOME</c> (the hidden home folder, empty and writable inside), <c>TMPDIR=/tmp</c>, and
/// either the proxy variables (<c>HTTP_PROXY</c>, <c>HTTPS_PROXY</c>, <c>ALL_PROXY</c>, lower-case too, and
/// <c>NO_PROXY=localhost,127.0.0.1,::1</c>) or none of them. When bubblewrap is unavailable the runner fails closed:
/// every result has a <see cref="CommandResult.StartError"/>. Thread-safe.
/// </para>
/// </remarks>
public sealed class BubblewrapCommandRunner : ICommandRunner
{
    private static readonly string[] ProxyVariables = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"];
    private static readonly string[] HostSocketVariables = ["SSH_AUTH_SOCK", "GPG_AGENT_INFO", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "DISPLAY", "WAYLAND_DISPLAY"];
    private readonly string _workspaceRoot;

    /// <summary>Creates a runner for one workspace.</summary>
    /// <param name="workspaceRoot">The absolute workspace folder, the only writable place besides private temp folders.</param>
    /// <param name="options">What commands may see and use. Defaults to <see cref="SandboxOptions"/>'s defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="workspaceRoot"/> is not an absolute path.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="workspaceRoot"/> is null.</exception>
    public BubblewrapCommandRunner(string workspaceRoot, SandboxOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(workspaceRoot);
        if (!Path.IsPathFullyQualified(workspaceRoot))
        {
            throw new ArgumentException("The workspace must be an absolute path.", nameof(workspaceRoot));
        }

        _workspaceRoot = Bubblewrap.RealPath(workspaceRoot);
        Options = options ?? new SandboxOptions();
        // Started now so the probe (a throwaway sandbox) and root's host scan overlap the model's first answer
        // instead of delaying the first command.
        _ = Task.Run(Bubblewrap.Probe);
        if (Bubblewrap.RunsAsRoot)
        {
            _ = PrivateHostPaths.PrepareAsync();
        }
    }

    /// <summary>
    /// The environment changes a sandboxed program needs on top of its own variables: the sandbox's home and temp folder,
    /// no host sockets (SSH agent, D-Bus, display), and the egress proxy's variables when it may use the network.
    /// </summary>
    /// <param name="options">The sandbox's options.</param>
    /// <param name="requested">The variables the program asked for (a null value removes one), or null.</param>
    /// <param name="network">Whether the program reaches the network through the egress proxy.</param>
    /// <returns>The variables to set, or with a null value to remove.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public static Dictionary<string, string?> EnvironmentFor(SandboxOptions options, IReadOnlyDictionary<string, string?>? requested, bool network)
    {
        ArgumentNullException.ThrowIfNull(options);
        var environment = new Dictionary<string, string?>(requested ?? new Dictionary<string, string?>(), StringComparer.Ordinal)
        {
            ["HOME"] = Bubblewrap.RealPath(options.HomeDirectory),
            ["TMPDIR"] = "/tmp",
        };
        foreach (var name in HostSocketVariables)
        {
            environment[name] = null;
        }

        var proxyUrl = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Bubblewrap.ProxyPort}");
        foreach (var name in ProxyVariables)
        {
            environment[name] = network ? proxyUrl : null;
        }

        // Only the sandbox's own loopback bypasses the proxy; nothing else may.
        environment["NO_PROXY"] = environment["no_proxy"] = network ? "localhost,127.0.0.1,::1" : null;
        return environment;
    }

    /// <summary>Gets the options every command runs with.</summary>
    public SandboxOptions Options { get; }

    /// <inheritdoc />
    public async ValueTask<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var (available, reason) = Bubblewrap.Probe();
        if (!available)
        {
            return Refused($"the sandbox is unavailable: {reason}. Install bubblewrap (apt-get install bubblewrap), or run with --sandbox none to run commands without isolation.");
        }

        if (!Bubblewrap.IsInside(Bubblewrap.RealPath(request.WorkingDirectory), _workspaceRoot))
        {
            return Refused($"the working folder {request.WorkingDirectory} is outside the sandbox's workspace {_workspaceRoot}.");
        }

        var network = Options.AllowedDomains.Count > 0;
        if (network && !Bubblewrap.HasSocat)
        {
            return Refused("the network allow-list needs socat inside the sandbox, which is not installed (Debian/Ubuntu: apt-get install socat).");
        }

        var environment = EnvironmentFor(Options, request.Environment, network);
        request = request with { Environment = environment };
        if (!network)
        {
            return await RunInSandboxAsync(request, null, cancellationToken).ConfigureAwait(false);
        }

        var folder = Directory.CreateTempSubdirectory("rein-egress-");
        try
        {
            EgressProxy proxy;
            try
            {
                proxy = EgressProxy.Start(Path.Join(folder.FullName, Bubblewrap.EgressSocketName), Options.AllowedDomains, Options.EgressResolver, Options.AllowedPorts);
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                return Refused($"the egress proxy could not start: {ex.Message}");
            }

            CommandResult result;
            await using (proxy.ConfigureAwait(false))
            {
                result = await RunInSandboxAsync(request, folder.FullName, cancellationToken).ConfigureAwait(false);
            }

            return result with { EgressRefused = proxy.Refused };
        }
        finally
        {
            try
            {
                folder.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private async ValueTask<CommandResult> RunInSandboxAsync(CommandRequest request, string? egressFolder, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> argv;
        if (Bubblewrap.RunsAsRoot)
        {
            await PrivateHostPaths.PrepareAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            argv = Bubblewrap.BuildArguments(request, _workspaceRoot, Options, egressFolder);
        }
        catch (InvalidOperationException ex)
        {
            return Refused(ex.Message);
        }

        // The sandbox makes empty mount points on the host for protected entries that do not exist yet; they go afterwards.
        using var placeholders = ProtectedWorkspace.Placeholders(_workspaceRoot, ProtectedWorkspace.Entries(_workspaceRoot, Options.ProtectedWorkspacePaths));
        using var cgroup = Options.Processes is { } maxProcesses ? ProcessCgroup.TryCreate(maxProcesses) : null;
        var runner = new ProcessCommandRunner(_ => cgroup is null ? argv : cgroup.Wrap(argv), new CommandEnvironment(Options.EnvironmentNames));
        return await runner.RunAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private static CommandResult Refused(string reason) => new(null, "") { StartError = "Sandbox: " + reason };
}
