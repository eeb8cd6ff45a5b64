using System.Diagnostics;
using System.Globalization;
using Rein.Guard.Checkpoints;
using Rein.Guard.Sandbox;
using Rein.Tools;

namespace Rein.Bench;

/// <summary>What safety costs per call: a command run directly, in the bubblewrap sandbox, in the sandbox with the egress proxy; workspace snapshots.</summary>
internal static class GuardBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var runs = int.Parse(Stats.Option(args, "--runs", "30"), CultureInfo.InvariantCulture);
        var workspace = Directory.CreateTempSubdirectory("rein-bench-guard-").FullName;
        try
        {
            await CommandsAsync(workspace, runs);
            await SnapshotsAsync(workspace, Math.Max(5, runs / 3));
            HostScan(Math.Max(3, runs / 10));
        }
        finally
        {
            Directory.Delete(workspace, recursive: true);
        }
    }

    private static async Task CommandsAsync(string workspace, int runs)
    {
        var (available, reason) = Bubblewrap.Probe();
        var runners = new List<(string Name, ICommandRunner Runner)> { ("direct (no sandbox)", new ProcessCommandRunner()) };
        if (available)
        {
            runners.Add(("bubblewrap sandbox", new BubblewrapCommandRunner(workspace)));
            var withNetwork = new SandboxOptions();
            withNetwork.AllowedDomains.Add("example.org");
            runners.Add(("bubblewrap + egress proxy", new BubblewrapCommandRunner(workspace, withNetwork)));
        }
        else
        {
            Console.WriteLine($"sandbox: skipped ({reason})");
        }

        foreach (var (name, runner) in runners)
        {
            var request = new CommandRequest("true", workspace, TimeSpan.FromSeconds(30));
            await runner.RunAsync(request);
            var latencies = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var result = await runner.RunAsync(request);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (result.ExitCode != 0)
                {
                    throw new InvalidOperationException($"{name}: `true` failed: {result.StartError ?? result.Output}");
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"shell `true`, {name}: median {Stats.Percentile(latencies, 50):0.0} ms, p90 {Stats.Percentile(latencies, 90):0.0} ms ({runs} runs)"));
        }
    }

    /// <summary>Root's scan for private host files: the whole host, and with <c>/usr</c> from the cache.</summary>
    private static void HostScan(int runs)
    {
        var cacheFolder = Directory.CreateTempSubdirectory("rein-bench-hostscan-").FullName;
        try
        {
            var cache = new HostScanCache(Path.Combine(cacheFolder, "host-scan.txt"), TimeProvider.System);
            var found = PrivateHostPaths.ScanHost(cache).Count;
            var scans = new (string Name, Action Scan)[]
            {
                ("whole host, no cache", () => PrivateHostPaths.ScanHost(null)),
                ("whole host, /usr from the cache", () => PrivateHostPaths.ScanHost(cache)),
                ("of which /usr from the cache", () => cache.Scan("/usr", ["/usr/local"])),
            };
            foreach (var (name, scan) in scans)
            {
                var latencies = new List<double>();
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < runs; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    scan();
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }

                allocated = (GC.GetAllocatedBytesForCurrentThread() - allocated) / runs;

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"host scan for private files (root only), {name}: median {Stats.Percentile(latencies, 50):0} ms, p90 {Stats.Percentile(latencies, 90):0} ms, {allocated / 1e6:0.0} MB allocated ({runs} runs, {found} found)"));
            }
        }
        finally
        {
            Directory.Delete(cacheFolder, recursive: true);
        }
    }

    private static async Task SnapshotsAsync(string workspace, int runs)
    {
        for (var i = 0; i < 2000; i++)
        {
            var folder = Path.Combine(workspace, "src", $"m{i % 40}");
            Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(Path.Combine(folder, $"f{i}.txt"), $"file {i}\n" + new string('x', 200));
        }

        var data = Directory.CreateTempSubdirectory("rein-bench-checkpoints-").FullName;
        try
        {
            var repository = new ShadowRepository(workspace, new CheckpointOptions { Folder = data });
            var first = Stopwatch.StartNew();
            await repository.SnapshotAsync("bench");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"checkpoint, 2,000 files, first snapshot: {first.Elapsed.TotalMilliseconds:0} ms"));
            var unchanged = new List<double>();
            var changed = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await repository.SnapshotAsync("bench");
                unchanged.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                await File.AppendAllTextAsync(Path.Combine(workspace, "src", "m0", "f0.txt"), $"change {i}\n");
                started = Stopwatch.GetTimestamp();
                await repository.SnapshotAsync("bench");
                changed.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"checkpoint, 2,000 files: unchanged median {Stats.Percentile(unchanged, 50):0.0} ms, one file changed median {Stats.Percentile(changed, 50):0.0} ms ({runs} runs)"));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
