using System.Diagnostics;
using System.Globalization;
using Rein.Testing.FakeProviders;

namespace Rein.Bench;

/// <summary>
/// <c>rein run</c> end to end against a local OpenAI-compatible server whose model makes one
/// <c>shell</c> call (<c>echo hello &gt; out.txt</c>) and then answers. Measures wall-clock, time to the
/// first model request, time between the two requests, and peak RSS of the whole process tree.
/// </summary>
internal static class EndToEndBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var rein = Stats.Option(args, "--rein", "rein");
        var runs = int.Parse(Stats.Option(args, "--runs", "10"), CultureInfo.InvariantCulture);
        // Shell runs unsandboxed by default here so the numbers compare with earlier ones; --sandbox bubblewrap measures the sandboxed path.
        var sandbox = Stats.Option(args, "--sandbox", "none");
        await using var server = await FakeOpenAIServer.StartAsync();
        var requestTimes = new List<long>();
        server.OnRequest = _ =>
        {
            lock (requestTimes)
            {
                requestTimes.Add(Stopwatch.GetTimestamp());
                return requestTimes.Count % 2 == 1
                    ? FakeReply.ToolCall("shell", """{"command":"echo hello > out.txt"}""")
                    : FakeReply.Text("Done: out.txt contains hello.");
            }
        };

        var wall = new List<double>();
        var firstRequest = new List<double>();
        var between = new List<double>();
        var memory = new List<double>();
        for (var run = 0; run <= runs; run++)
        {
            lock (requestTimes)
            {
                requestTimes.Clear();
            }

            var workspace = Directory.CreateTempSubdirectory("rein-bench-e2e-").FullName;
            try
            {
                var info = new ProcessStartInfo(rein)
                {
                    WorkingDirectory = workspace,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    RedirectStandardInput = true,
                };
                foreach (var a in new[] { "run", "--model", "openai-compatible:bench", "--base-url", server.BaseUrl, "--store", Path.Combine(workspace, ".bench.db"), "--mode", "workspace-write", "--sandbox", sandbox, "write hello to out.txt" })
                {
                    info.ArgumentList.Add(a);
                }

                var started = Stopwatch.GetTimestamp();
                using var process = Process.Start(info)!;
                process.StandardInput.Close();
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                var peakKb = await ProcessTreeMemory.SamplePeakAsync(process);
                await process.WaitForExitAsync();
                var ended = Stopwatch.GetTimestamp();
                await Task.WhenAll(stdout, stderr);
                if (process.ExitCode != 0 || !File.Exists(Path.Combine(workspace, "out.txt")))
                {
                    throw new InvalidOperationException($"rein failed (exit {process.ExitCode}): {await stderr}");
                }

                if (run == 0)
                {
                    continue; // warm-up: disk cache
                }

                wall.Add(Stopwatch.GetElapsedTime(started, ended).TotalMilliseconds);
                firstRequest.Add(Stopwatch.GetElapsedTime(started, requestTimes[0]).TotalMilliseconds);
                between.Add(Stopwatch.GetElapsedTime(requestTimes[0], requestTimes[1]).TotalMilliseconds);
                memory.Add(peakKb / 1024.0);
            }
            finally
            {
                Directory.Delete(workspace, recursive: true);
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"e2e rein run ({runs} runs, median): wall-clock {Stats.Percentile(wall, 50) / 1000:0.000} s, first model request {Stats.Percentile(firstRequest, 50) / 1000:0.000} s, between requests {Stats.Percentile(between, 50):0} ms, peak tree RSS {Stats.Percentile(memory, 50):0} MB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  ranges: wall {wall.Min() / 1000:0.000}-{wall.Max() / 1000:0.000} s, first request {firstRequest.Min() / 1000:0.000}-{firstRequest.Max() / 1000:0.000} s, between {between.Min():0}-{between.Max():0} ms, memory {memory.Min():0}-{memory.Max():0} MB"));
    }
}

/// <summary>Samples the summed RSS of a process and all its descendants from /proc until it exits.</summary>
internal static class ProcessTreeMemory
{
    public static async Task<long> SamplePeakAsync(Process root)
    {
        long peak = 0;
        while (!root.HasExited)
        {
            peak = Math.Max(peak, TreeRssKb(root.Id));
            await Task.Delay(2);
        }

        return peak;
    }

    private static long TreeRssKb(int rootPid)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
        }

        var tree = new HashSet<int> { rootPid };
        bool grew;
        do
        {
            grew = false;
            foreach (var (pid, ppid) in parents)
            {
                if (tree.Contains(ppid) && tree.Add(pid))
                {
                    grew = true;
                }
            }
        }
        while (grew);

        long total = 0;
        foreach (var pid in tree)
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    {
                        total += long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                    }
                }
            }
            catch (IOException)
            {
            }
        }

        return total;
    }
}
