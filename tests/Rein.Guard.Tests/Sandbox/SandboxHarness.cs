using System.Diagnostics;
using System.Globalization;
using Rein.Guard.Sandbox;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Guard.Tests.Sandbox;

/// <summary>A temp workspace and a fake home with a planted SSH key, plus a sandboxed runner over them.</summary>
internal sealed class SandboxHarness : IDisposable
{
    public const string KeyMarker = "REIN-FAKE-PRIVATE-KEY-7f3a";

    private readonly TempDirectory _root = new("rein-sbx");

    public SandboxHarness()
    {
        var (available, reason) = Bubblewrap.Probe();
        if (!available)
        {
            _root.Dispose();
            Assert.Skip($"bubblewrap is not usable here: {reason}");
        }

        Workspace = _root.Combine("ws");
        Home = _root.Combine("home");
        Directory.CreateDirectory(Workspace);
        _root.Write("home/.ssh/id_rsa", KeyMarker + "\n");
        _root.Write("home/.bashrc", "# original\n");
        _root.Write("home/.cargo/bin/tool", "toolchain-file\n");
        Options = new SandboxOptions { HomeDirectory = Home };
    }

    public string Root => _root.Path;

    public string Workspace { get; }

    public string Home { get; }

    public SandboxOptions Options { get; }

    public static string Unique() => Guid.NewGuid().ToString("N")[..12];

    /// <summary>Digits only, so it can be the fraction of a <c>sleep</c> argument and name the process.</summary>
    public static string UniqueDigits() => Random.Shared.NextInt64(100_000_000_000, 999_999_999_999).ToString(CultureInfo.InvariantCulture);

    public string Combine(params string[] parts) => _root.Combine(parts);

    public async Task<CommandResult> RunAsync(string command, int timeoutSeconds = 30, string? workdir = null, int maxOutputChars = 30_000)
    {
        var runner = new BubblewrapCommandRunner(Workspace, Options);
        var request = new CommandRequest(command, workdir ?? Workspace, TimeSpan.FromSeconds(timeoutSeconds)) { MaxOutputChars = maxOutputChars };
        return await runner.RunAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>Host processes whose command line contains <paramref name="marker"/>, waiting briefly for dying ones to go.</summary>
    public static async Task<List<int>> HostProcessesWithAsync(string marker)
    {
        List<int> found = [];
        for (var attempt = 0; attempt < 20; attempt++)
        {
            found = [];
            foreach (var folder in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
                {
                    continue;
                }

                try
                {
                    var cmdline = await File.ReadAllTextAsync(Path.Join(folder, "cmdline"), TestContext.Current.CancellationToken);
                    var state = await File.ReadAllTextAsync(Path.Join(folder, "stat"), TestContext.Current.CancellationToken);
                    // Zombies are already dead; they only wait to be reaped.
                    if (cmdline.Contains(marker, StringComparison.Ordinal) && !state.Contains(") Z ", StringComparison.Ordinal))
                    {
                        found.Add(pid);
                    }
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }

            if (found.Count == 0)
            {
                return found;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        return found;
    }

    public static Process StartHostSleep(string marker)
    {
        var info = new ProcessStartInfo("/bin/sleep", $"600.{marker}") { UseShellExecute = false };
        return Process.Start(info)!;
    }

    public static void RequirePython() =>
        Assert.SkipUnless(File.Exists("/usr/bin/python3"), "Needs /usr/bin/python3.");

    public void Dispose() => _root.Dispose();
}
