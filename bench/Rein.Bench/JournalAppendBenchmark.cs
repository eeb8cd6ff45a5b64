using System.Diagnostics;
using System.Globalization;
using Rein.Journal;
using Rein.Storage.Sqlite;

namespace Rein.Bench;

/// <summary>Journal append throughput of the SQLite store: durable single-event appends and batches.</summary>
internal static class JournalAppendBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var count = int.Parse(Stats.Option(args, "--events", "2000"), CultureInfo.InvariantCulture);
        var dir = Directory.CreateTempSubdirectory("rein-bench-journal-").FullName;
        try
        {
            using var store = new SqliteSessionStore(Path.Combine(dir, "bench.db"));
            await AppendAsync(store, 100, 1, AppendDurability.Flushed);
            foreach (var durability in new[] { AppendDurability.Flushed, AppendDurability.Written })
            {
                foreach (var batch in new[] { 1, 10 })
                {
                    var (elapsed, latencies) = await AppendAsync(store, count, batch, durability);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"journal append ({durability.ToString().ToLowerInvariant()}), batches of {batch}: {count / elapsed.TotalSeconds:0} events/s; per append median {Stats.Percentile(latencies, 50):0.000} ms, p99 {Stats.Percentile(latencies, 99):0.000} ms"));
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<(TimeSpan Elapsed, List<double> Latencies)> AppendAsync(SqliteSessionStore store, int count, int batch, AppendDurability durability)
    {
        var id = Guid.NewGuid().ToString("N");
        await store.AppendAsync(id, 0, [new SessionStarted(id, "/bench", "scripted:bench")]);
        var version = 1L;
        var latencies = new List<double>();
        var total = Stopwatch.StartNew();
        for (var i = 0; i < count; i += batch)
        {
            var events = Enumerable.Range(0, batch)
                .Select(j => (SessionEvent)new ToolCompleted($"c{i + j}", "shell", ToolOutcome.Success, "hello\n[exit code 0]", 3))
                .ToList();
            var started = Stopwatch.GetTimestamp();
            var recorded = await store.AppendAsync(id, version, events, durability);
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            version = recorded[^1].Sequence;
        }

        return (total.Elapsed, latencies);
    }
}
