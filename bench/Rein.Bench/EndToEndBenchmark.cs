using System.Diagnostics;
using System.Globalization;
using Rein.Testing.FakeProviders;

namespace Rein.Bench;

/// <summary>
/// <c>rein run</c> end to end against a local OpenAI-compatible server whose model makes one shell call
/// (<c>echo hello &gt; out.txt</c>) and then answers. Measures wall-clock, time to the first model request, time between
/// the two requests, and peak RSS of the whole process tree. With <c>--codex PATH</c> the same task runs through Codex CLI
/// against the same server (Responses API, its <c>exec_command</c> tool), alternating with rein run by run, and the
/// ratios rein/Codex are printed.
/// </summary>
internal static class EndToEndBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var runs = int.Parse(Stats.Option(args, "--runs", "10"), CultureInfo.InvariantCulture);
        var mode = Stats.Option(args, "--mode", "full-auto");

        // Without --sandbox rein uses its default (bubblewrap), as installed; --sandbox none compares with older rows.
        var sandbox = Stats.Option(args, "--sandbox", "");
        var codex = Stats.Option(args, "--codex", "");
        var targets = new List<Target> { ReinTarget(Stats.Option(args, "--rein", "rein"), mode, sandbox) };
        var codexHome = "";
        if (codex.Length > 0)
        {
            if (File.Exists(codex))
            {
                // Codex refuses to put its sandbox helpers under a temporary folder, so its home goes elsewhere.
                codexHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "rein-bench-codex-" + Guid.NewGuid().ToString("N")[..8]);
                Directory.CreateDirectory(codexHome);
                targets.Add(CodexTarget(codex, codexHome));
            }
            else
            {
                Console.WriteLine($"e2e: Codex CLI not found at {codex}; measuring rein only");
            }
        }

        await using var server = await FakeOpenAIServer.StartAsync();
        if (codexHome.Length > 0)
        {
            await File.WriteAllTextAsync(Path.Combine(codexHome, "config.toml"), $$"""
                model = "bench"
                model_provider = "bench"

                [model_providers.bench]
                name = "bench"
                base_url = "{{server.BaseUrl}}"
                wire_api = "responses"
                env_key = "BENCH_API_KEY"
                request_max_retries = 0
                stream_max_retries = 0
                """);
        }

        var requestTimes = new List<long>();
        Target? current = null;
        server.OnRequest = request =>
        {
            lock (requestTimes)
            {
                requestTimes.Add(Stopwatch.GetTimestamp());
                return requestTimes.Count == 1
                    ? FakeReply.ToolCall(current!.ShellTool, current.ShellArguments)
                    : FakeReply.Text("Done: out.txt contains hello.");
            }
        };

        try
        {
            for (var run = 0; run <= runs; run++)
            {
                foreach (var target in targets)
                {
                    lock (requestTimes)
                    {
                        requestTimes.Clear();
                        current = target;
                    }

                    var measured = await MeasureAsync(target, server.BaseUrl, requestTimes);
                    if (run > 0)
                    {
                        // Run 0 is a warm-up for each program: disk cache, first-time set-up in its home.
                        target.Runs.Add(measured);
                    }
                }
            }
        }
        finally
        {
            if (codexHome.Length > 0)
            {
                Directory.Delete(codexHome, recursive: true);
            }
        }

        foreach (var target in targets)
        {
            var r = target.Runs;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"e2e {target.Name} ({runs} runs, median): wall-clock {Median(r, m => m.WallMs) / 1000:0.000} s, first model request {Median(r, m => m.FirstRequestMs) / 1000:0.000} s, between requests {Median(r, m => m.BetweenMs):0} ms, peak tree RSS {Median(r, m => m.PeakMb):0} MB"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  ranges: wall {r.Min(m => m.WallMs) / 1000:0.000}-{r.Max(m => m.WallMs) / 1000:0.000} s, first request {r.Min(m => m.FirstRequestMs) / 1000:0.000}-{r.Max(m => m.FirstRequestMs) / 1000:0.000} s, between {r.Min(m => m.BetweenMs):0}-{r.Max(m => m.BetweenMs):0} ms, memory {r.Min(m => m.PeakMb):0}-{r.Max(m => m.PeakMb):0} MB"));
        }

        if (targets.Count == 2)
        {
            var (rein, other) = (targets[0].Runs, targets[1].Runs);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"e2e rein / Codex CLI (medians): wall-clock {Median(rein, m => m.WallMs) / Median(other, m => m.WallMs):0.00}x, peak tree RSS {Median(rein, m => m.PeakMb) / Median(other, m => m.PeakMb):0.00}x"));
        }
    }

    private static Target ReinTarget(string rein, string mode, string sandbox)
    {
        var arguments = new List<string> { "run", "--model", "openai-compatible:bench", "--base-url", "{base}", "--store", "{workspace}/.bench.db", "--mode", mode };
        if (sandbox.Length > 0)
        {
            arguments.AddRange(["--sandbox", sandbox]);
        }

        arguments.Add("write hello to out.txt");
        return new Target($"rein run ({rein}, --mode {mode}, sandbox {(sandbox.Length > 0 ? sandbox : "default")})", rein, arguments, [], "shell", """{"command":"echo hello > out.txt"}""");
    }

    private static Target CodexTarget(string codex, string codexHome) =>
        new(
            $"Codex CLI ({codex}, exec -s workspace-write)",
            codex,
            ["exec", "-s", "workspace-write", "--skip-git-repo-check", "--ephemeral", "write hello to out.txt"],
            [("CODEX_HOME", codexHome), ("BENCH_API_KEY", "bench")],
            "exec_command",
            """{"cmd":"echo hello > out.txt"}""");

    private static async Task<Measurement> MeasureAsync(Target target, string baseUrl, List<long> requestTimes)
    {
        var workspace = Directory.CreateTempSubdirectory("rein-bench-e2e-").FullName;
        try
        {
            var info = new ProcessStartInfo(target.Executable)
            {
                WorkingDirectory = workspace,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            foreach (var a in target.Arguments)
            {
                info.ArgumentList.Add(a.Replace("{base}", baseUrl, StringComparison.Ordinal).Replace("{workspace}", workspace, StringComparison.Ordinal));
            }

            foreach (var (name, value) in target.Environment)
            {
                info.Environment[name] = value;
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
            long[] times;
            lock (requestTimes)
            {
                times = [.. requestTimes];
            }

            if (process.ExitCode != 0 || !File.Exists(Path.Combine(workspace, "out.txt")) || times.Length < 2)
            {
                throw new InvalidOperationException($"{target.Name} failed (exit {process.ExitCode}, {times.Length} model requests): {await stderr}");
            }

            return new Measurement(
                Stopwatch.GetElapsedTime(started, ended).TotalMilliseconds,
                Stopwatch.GetElapsedTime(started, times[0]).TotalMilliseconds,
                Stopwatch.GetElapsedTime(times[0], times[1]).TotalMilliseconds,
                peakKb / 1024.0);
        }
        finally
        {
            Directory.Delete(workspace, recursive: true);
        }
    }

    private static double Median(List<Measurement> runs, Func<Measurement, double> value) => Stats.Percentile([.. runs.Select(value)], 50);

    private sealed record Target(string Name, string Executable, IReadOnlyList<string> Arguments, IReadOnlyList<(string Name, string Value)> Environment, string ShellTool, string ShellArguments)
    {
        public List<Measurement> Runs { get; } = [];
    }

    private sealed record Measurement(double WallMs, double FirstRequestMs, double BetweenMs, double PeakMb);
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
