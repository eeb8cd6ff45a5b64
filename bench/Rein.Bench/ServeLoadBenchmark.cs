using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rein.Bench;

/// <summary>
/// <c>serve-load</c>: N concurrent sessions through <c>rein serve</c>'s HTTP API against a fake OpenAI-compatible model
/// in a separate process (this program's <c>fake-model</c> command) that takes <c>--latency-ms</c> (default 1,000) to
/// answer. Each session makes 3 model calls and 2 tool calls (<c>read_file</c>, <c>list_files</c>). Reports the share
/// of sessions that completed, Rein's added latency per step (from the model's reply to the session's next request,
/// as the model server sees it: p50/p99), the server's peak and final RSS, and the memory of idle sessions waiting
/// for approval (<c>--idle M</c> sessions whose first call is a shell command that asks).
/// </summary>
internal static class ServeLoadBenchmark
{
    private const string Token = "bench-key";

    public static async Task RunAsync(string[] args)
    {
        var rein = Stats.Option(args, "--rein", "rein");
        var counts = Stats.Option(args, "--sessions", "100,1000").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
        var idle = int.Parse(Stats.Option(args, "--idle", "1000"), CultureInfo.InvariantCulture);
        var latencyMs = int.Parse(Stats.Option(args, "--latency-ms", "1000"), CultureInfo.InvariantCulture);
        var timeout = TimeSpan.FromSeconds(int.Parse(Stats.Option(args, "--timeout-s", "600"), CultureInfo.InvariantCulture));
        var steady = Stats.Option(args, "--steady", "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
        var steadySeconds = double.Parse(Stats.Option(args, "--steady-s", "15"), CultureInfo.InvariantCulture);

        var root = Directory.CreateTempSubdirectory("rein-load-").FullName;
        ServerProcess? server = null;
        HttpClient? http = null;
        try
        {
            var workspace = Path.Combine(root, "ws");
            Directory.CreateDirectory(workspace);
            await File.WriteAllTextAsync(Path.Combine(workspace, "README.md"), "# load\nA small file the sessions read.\n");
            var store = Path.Combine(root, "rein.db");

            using var model = FakeModelProcess.Start(latencyMs);
            var baseUrl = await model.BaseUrlAsync();
            var token = await CreateOwnerTokenAsync(rein, store, root);
            server = ServerProcess.Start(rein, root, store, workspace, baseUrl);
            http = await ConnectAsync(server, token);
            Console.WriteLine($"serve-load: rein serve at {http.BaseAddress}, model at {baseUrl} ({latencyMs} ms per call), rein {rein}");

            Console.WriteLine("| sessions | completed | wall (s) | added latency per step p50 / p99 (ms) | steps measured | server CPU per session (ms) | model CPU per session (ms) | server RSS peak (MB) |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var n in counts)
            {
                var run = $"r{n}-{Guid.NewGuid():N}"[..12];
                var started = Stopwatch.GetTimestamp();
                var cpuBefore = server.CpuSeconds();
                var modelCpuBefore = model.CpuSeconds();
                var ids = await StartAllAsync(http, n, i => $"[load:{run}-{i}] Read README.md, list the files, then say done.", workspace, mode: null);
                var statuses = await WaitForAsync(http, ids, s => s is "completed" or "stopped" or "interrupted" or "suspended" or "awaiting_approval", timeout);
                var wall = Stopwatch.GetElapsedTime(started).TotalSeconds;
                var completed = statuses.Count(s => s.Value == "completed");
                var added = model.AddedLatencies($"load:{run}-");
                // Includes the bench's status polls, which the server answers too.
                var cpuPerSession = (server.CpuSeconds() - cpuBefore) * 1000 / n;
                var modelCpuPerSession = (model.CpuSeconds() - modelCpuBefore) * 1000 / n;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {n:N0} | {completed:N0} ({100.0 * completed / n:0.#} %) | {wall:0.0} | {Percentile(added, 50):0.0} / {Percentile(added, 99):0.0} | {added.Count:N0} | {cpuPerSession:0.0} | {modelCpuPerSession:0.0} | {server.PeakRssMb():0} |"));
                if (completed < n)
                {
                    Console.WriteLine("  not completed: " + string.Join(", ", statuses.Values.Where(s => s != "completed").GroupBy(s => s).Select(g => $"{g.Key} × {g.Count()}")));
                }
            }

            if (steady.Length > 0)
            {
                Console.WriteLine();
                Console.WriteLine("Steady arrivals: sessions start at a constant rate so that N are in flight at once (N / the model time of a session, 3 calls).");
                Console.WriteLine("| N in flight (target) | sessions | completed | arrivals per s | in flight while measured (mean / min) | measured for (s) | added latency per step p50 / p99 (ms) | steps measured | server CPU per session (ms) | model CPU per session (ms) | server RSS peak (MB) |");
                Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            }

            foreach (var n in steady)
            {
                var run = $"s{n}-{Guid.NewGuid():N}"[..12];
                var rate = n / (3 * latencyMs / 1000.0);
                var total = (int)Math.Ceiling(rate * steadySeconds);
                var cpuBefore = server.CpuSeconds();
                var modelCpuBefore = model.CpuSeconds();
                var (ids, achievedRate) = await StartAtRateAsync(http, total, rate, i => $"[load:{run}-{i}] Read README.md, list the files, then say done.", workspace);
                var statuses = await WaitForAsync(http, ids, s => s is "completed" or "stopped" or "interrupted" or "suspended" or "awaiting_approval", timeout, pollMs: 2000);
                var completed = statuses.Count(s => s.Value == "completed");
                var window = model.SteadyWindow($"load:{run}-", n, steps: 3);
                var cpuPerSession = (server.CpuSeconds() - cpuBefore) * 1000 / total;
                var modelCpuPerSession = (model.CpuSeconds() - modelCpuBefore) * 1000 / total;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {n:N0} | {total:N0} | {completed:N0} ({100.0 * completed / total:0.#} %) | {achievedRate:0.0} | {window.MeanInFlight:0} / {window.MinInFlight:0} | {window.Seconds:0.0} | {Percentile(window.Added, 50):0.0} / {Percentile(window.Added, 99):0.0} | {window.Added.Count:N0} | {cpuPerSession:0.0} | {modelCpuPerSession:0.0} | {server.PeakRssMb():0} |"));
                if (completed < total)
                {
                    Console.WriteLine("  not completed: " + string.Join(", ", statuses.Values.Where(s => s != "completed").GroupBy(s => s).Select(g => $"{g.Key} × {g.Count()}")));
                }
            }

            if (idle > 0)
            {
                // A fresh server, so the heap the load runs left behind (and its later collection) does not blur the growth;
                // a few sessions first, so what every server loads once (model client, tools, JIT) is in the baseline.
                http.Dispose();
                server.Dispose();
                server = ServerProcess.Start(rein, root, store, workspace, baseUrl);
                http = await ConnectAsync(server, token);
                var warm = $"w-{Guid.NewGuid():N}"[..10];
                await WaitForAsync(http, await StartAllAsync(http, 20, i => $"[idle:{warm}-{i}] Run echo waiting.", workspace, mode: "ask"), s => s is "awaiting_approval" or "completed" or "stopped" or "interrupted", timeout);
                await Task.Delay(TimeSpan.FromSeconds(5));
                var before = server.RssMb();
                var run = $"i-{Guid.NewGuid():N}"[..10];
                var ids = await StartAllAsync(http, idle, i => $"[idle:{run}-{i}] Run echo waiting.", workspace, mode: "ask");
                var statuses = await WaitForAsync(http, ids, s => s is "awaiting_approval" or "completed" or "stopped" or "interrupted", timeout);
                var waiting = statuses.Count(s => s.Value == "awaiting_approval");

                // Let the runners finish unwinding before reading the resident set.
                await Task.Delay(TimeSpan.FromSeconds(5));
                var after = server.RssMb();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"idle: {waiting:N0} of {idle:N0} sessions waiting for approval; server RSS {before:0} MB → {after:0} MB: {(after - before) * 1024 / Math.Max(1, waiting):0.0} KB per waiting session"));
            }
        }
        finally
        {
            http?.Dispose();
            server?.Dispose();
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>The fake model: serves until standard input closes; prints its base URL, then one line per request and reply.</summary>
    public static async Task RunFakeModelAsync(string[] args)
    {
        var latency = TimeSpan.FromMilliseconds(int.Parse(Stats.Option(args, "--latency-ms", "1000"), CultureInfo.InvariantCulture));
        var output = new BlockingCollection<string>();
        await using var server = await LoadModelServer.StartAsync(
            latency,
            (marker, step, at) => output.Add($"A {marker} {step} {at}"),
            (marker, step, at) => output.Add($"R {marker} {step} {at}"));

        var writer = Task.Run(() =>
        {
            var stdout = Console.Out;
            stdout.WriteLine($"BASE {server.BaseUrl}");
            stdout.Flush();
            foreach (var line in output.GetConsumingEnumerable())
            {
                stdout.WriteLine(line);
                if (output.Count == 0)
                {
                    stdout.Flush();
                }
            }

            stdout.Flush();
        });
        await Console.In.ReadToEndAsync();
        output.CompleteAdding();
        await writer;
    }

    private static async Task<string> CreateOwnerTokenAsync(string rein, string store, string root)
    {
        var info = new ProcessStartInfo(rein) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (var a in new[] { "principals", "add", "bench", "--role", "owner", "--json", "--store", store })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"rein principals add failed ({process.ExitCode}): {stderr}");
        }

        return JsonNode.Parse(stdout)!["token"]!.GetValue<string>();
    }

    private static async Task<HttpClient> ConnectAsync(ServerProcess server, string token)
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri(await server.AddressAsync()),
            Timeout = TimeSpan.FromMinutes(5),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static async Task<List<string>> StartAllAsync(HttpClient http, int n, Func<int, string> message, string workspace, string? mode)
    {
        var ids = new string[n];
        var failures = 0;
        await Parallel.ForAsync(0, n, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
        {
            var body = new JsonObject { ["message"] = message(i), ["workspace"] = workspace };
            if (mode is not null)
            {
                body["mode"] = mode;
            }

            using var response = await http.PostAsync("/v1/sessions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), ct);
            if (!response.IsSuccessStatusCode)
            {
                if (Interlocked.Increment(ref failures) <= 3)
                {
                    Console.WriteLine($"  start failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
                }

                return;
            }

            ids[i] = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!["id"]!.GetValue<string>();
        });
        return [.. ids.Where(id => id is not null)];
    }

    // Starts sessions on a fixed schedule (open loop): session i is sent at i / rate seconds, whether or not earlier starts have
    // been answered, with at most 256 starts outstanding. Returns the ids and the rate the starts were really sent at.
    private static async Task<(List<string> Ids, double Rate)> StartAtRateAsync(HttpClient http, int n, double rate, Func<int, string> message, string workspace)
    {
        var ids = new string?[n];
        var failures = 0;
        using var outstanding = new SemaphoreSlim(256);
        var sends = new List<Task>(n);
        var begun = Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++)
        {
            var due = TimeSpan.FromSeconds(i / rate) - Stopwatch.GetElapsedTime(begun);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }

            await outstanding.WaitAsync();
            var index = i;
            sends.Add(Task.Run(async () =>
            {
                try
                {
                    var body = new JsonObject { ["message"] = message(index), ["workspace"] = workspace };
                    using var response = await http.PostAsync("/v1/sessions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
                    if (!response.IsSuccessStatusCode)
                    {
                        if (Interlocked.Increment(ref failures) <= 3)
                        {
                            Console.WriteLine($"  start failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                        }

                        return;
                    }

                    ids[index] = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
                }
                finally
                {
                    outstanding.Release();
                }
            }));
        }

        var sent = Stopwatch.GetElapsedTime(begun).TotalSeconds;
        await Task.WhenAll(sends);
        return ([.. ids.Where(id => id is not null).Select(id => id!)], n / Math.Max(sent, 1e-3) );
    }

    private static async Task<Dictionary<string, string>> WaitForAsync(HttpClient http, List<string> ids, Func<string, bool> done, TimeSpan timeout, int pollMs = 500)
    {
        var wanted = ids.ToHashSet(StringComparer.Ordinal);
        var statuses = new Dictionary<string, string>(StringComparer.Ordinal);
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            using var listed = JsonDocument.Parse(await http.GetStringAsync($"/v1/sessions?limit={Math.Max(ids.Count * 2, 1000)}"));
            foreach (var s in listed.RootElement.EnumerateArray())
            {
                var id = s.GetProperty("id").GetString()!;
                if (wanted.Contains(id))
                {
                    statuses[id] = s.GetProperty("status").GetString()!;
                }
            }

            if ((statuses.Count == wanted.Count && statuses.Values.All(done)) || Stopwatch.GetTimestamp() > deadline)
            {
                return statuses;
            }

            await Task.Delay(pollMs);
        }
    }

    private static double Percentile(List<double> values, double p) => values.Count == 0 ? double.NaN : Stats.Percentile(values, p);

    /// <summary>A process's CPU time so far, user and system (fields 14 and 15 of /proc/PID/stat, in clock ticks of 1/100 s).</summary>
    private static double ProcessCpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name in parentheses may hold spaces: count fields after its closing parenthesis.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>The fake model in a child process, so its work does not share the server's process.</summary>
    private sealed class FakeModelProcess : IDisposable
    {
        private readonly Process _process;
        private readonly TaskCompletionSource<string> _baseUrl = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentDictionary<(string Marker, int Step), long> _arrivals = new();
        private readonly ConcurrentDictionary<(string Marker, int Step), long> _replies = new();

        private FakeModelProcess(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) => Read(e.Data);
            process.BeginOutputReadLine();
        }

        public static FakeModelProcess Start(int latencyMs)
        {
            var self = Environment.GetCommandLineArgs()[0];
            var info = self.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? new ProcessStartInfo("dotnet") { ArgumentList = { self } } : new ProcessStartInfo(self);
            info.ArgumentList.Add("fake-model");
            info.ArgumentList.Add("--latency-ms");
            info.ArgumentList.Add(latencyMs.ToString(CultureInfo.InvariantCulture));
            info.RedirectStandardInput = true;
            info.RedirectStandardOutput = true;
            return new FakeModelProcess(Process.Start(info)!);
        }

        public double CpuSeconds() => ProcessCpuSeconds(_process.Id);

        public Task<string> BaseUrlAsync() => _baseUrl.Task.WaitAsync(TimeSpan.FromSeconds(30));

        /// <summary>For every session with this marker prefix: each step's time from the model's reply to the next request.</summary>
        public List<double> AddedLatencies(string prefix)
        {
            var added = new List<double>();
            foreach (var ((marker, step), replied) in _replies)
            {
                if (marker.StartsWith(prefix, StringComparison.Ordinal) && _arrivals.TryGetValue((marker, step + 1), out var next))
                {
                    added.Add(Stopwatch.GetElapsedTime(replied, next).TotalMilliseconds);
                }
            }

            return added;
        }

        /// <summary>
        /// The stretch of time in which at least 95 % of <paramref name="target"/> sessions with this marker prefix were in flight
        /// (from a session's first request to its last reply, as the model saw them), the mean and least number in flight then,
        /// and the added latency of every step the model answered in it.
        /// </summary>
        public (double Seconds, double MeanInFlight, int MinInFlight, List<double> Added) SteadyWindow(string prefix, int target, int steps)
        {
            var changes = new List<(long At, int Delta)>();
            foreach (var ((marker, step), arrived) in _arrivals)
            {
                if (step == 0 && marker.StartsWith(prefix, StringComparison.Ordinal) && _replies.TryGetValue((marker, steps - 1), out var ended))
                {
                    changes.Add((arrived, +1));
                    changes.Add((ended, -1));
                }
            }

            changes.Sort((a, b) => a.At != b.At ? a.At.CompareTo(b.At) : a.Delta.CompareTo(b.Delta));
            var threshold = (int)Math.Ceiling(target * 0.95);
            long from = 0, to = 0;
            var inFlight = 0;
            foreach (var (at, delta) in changes)
            {
                inFlight += delta;
                if (inFlight >= threshold && from == 0)
                {
                    from = at;
                }

                if (from != 0 && inFlight >= threshold)
                {
                    to = at;
                }
            }

            if (from == 0 || to <= from)
            {
                return (0, 0, 0, []);
            }

            // Time-weighted mean and the least count inside [from, to].
            double weighted = 0;
            var least = int.MaxValue;
            inFlight = 0;
            var previous = from;
            foreach (var (at, delta) in changes)
            {
                if (at > from && at <= to)
                {
                    weighted += inFlight * (double)(at - previous);
                    least = Math.Min(least, inFlight);
                    previous = at;
                }

                inFlight += delta;
            }

            var added = new List<double>();
            var dump = Environment.GetEnvironmentVariable("REIN_BENCH_DUMP");
            using var dumpWriter = dump is null ? null : new StreamWriter(dump);
            foreach (var ((marker, step), replied) in _replies)
            {
                if (replied >= from && replied <= to && marker.StartsWith(prefix, StringComparison.Ordinal) && _arrivals.TryGetValue((marker, step + 1), out var next))
                {
                    added.Add(Stopwatch.GetElapsedTime(replied, next).TotalMilliseconds);
                    dumpWriter?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Stopwatch.GetElapsedTime(from, replied).TotalSeconds:0.000} {added[^1]:0.0} {marker} {step}"));
                }
            }

            return (Stopwatch.GetElapsedTime(from, to).TotalSeconds, weighted / (to - from), least, added);
        }

        public void Dispose()
        {
            try
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(10_000))
                {
                    _process.Kill();
                }
            }
            finally
            {
                _process.Dispose();
            }
        }

        private void Read(string? line)
        {
            if (line is null)
            {
                return;
            }

            var parts = line.Split(' ');
            if (parts is ["BASE", var url])
            {
                _baseUrl.TrySetResult(url);
            }
            else if (parts is [var kind, var marker, var step, var at])
            {
                var key = (marker, int.Parse(step, CultureInfo.InvariantCulture));
                (kind == "A" ? _arrivals : _replies)[key] = long.Parse(at, CultureInfo.InvariantCulture);
            }
        }
    }

    /// <summary><c>rein serve</c> as a child process, with its resident set read from /proc.</summary>
    private sealed class ServerProcess : IDisposable
    {
        private readonly Process _process;
        private readonly TaskCompletionSource<string> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly StringBuilder _stderr = new();

        private ServerProcess(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line && line.StartsWith("Listening on ", StringComparison.Ordinal))
                {
                    _address.TrySetResult(line["Listening on ".Length..].Trim());
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                lock (_stderr)
                {
                    if (_stderr.Length < 20_000)
                    {
                        _stderr.AppendLine(e.Data);
                    }
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public static ServerProcess Start(string rein, string root, string store, string workspace, string baseUrl)
        {
            var info = new ProcessStartInfo(rein) { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
            // The default rate limit (600 requests a minute per principal) would refuse the bench's own starts and polls.
            foreach (var a in new[] { "serve", "--listen", "127.0.0.1:0", "--store", store, "--workspace-root", workspace, "--model", "openai-compatible:bench", "--base-url", baseUrl, "--mode", "full-auto", "--rate-limit", "1000000" })
            {
                info.ArgumentList.Add(a);
            }

            info.Environment["OPENAI_API_KEY"] = Token;
            return new ServerProcess(Process.Start(info)!);
        }

        public async Task<string> AddressAsync()
        {
            try
            {
                return await _address.Task.WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException)
            {
                lock (_stderr)
                {
                    throw new InvalidOperationException($"rein serve did not start: {_stderr}");
                }
            }
        }

        public double PeakRssMb() => StatusKb("VmHWM:") / 1024.0;

        public double CpuSeconds() => ProcessCpuSeconds(_process.Id);

        public double RssMb() => StatusKb("VmRSS:") / 1024.0;

        public void Dispose()
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
            finally
            {
                _process.Dispose();
            }
        }

        private long StatusKb(string field)
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }

            return 0;
        }
    }
}
