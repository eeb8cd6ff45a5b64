using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Rein.Engine;
using Rein.Journal;
using Rein.Models;
using Rein.Storage.Sqlite;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Bench;

/// <summary>
/// Harness overhead per step: a zero-latency scripted model that calls a no-op tool every step, with
/// the durable SQLite journal. Everything measured is Rein's own work: context, validation, journaling.
/// </summary>
internal static class StepOverheadBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var steps = int.Parse(Stats.Option(args, "--steps", "50"), CultureInfo.InvariantCulture);
        var sessions = int.Parse(Stats.Option(args, "--sessions", "20"), CultureInfo.InvariantCulture);
        var dir = Directory.CreateTempSubdirectory("rein-bench-steps-").FullName;
        try
        {
            using var sqlite = new SqliteSessionStore(Path.Combine(dir, "bench.db"));
            var cases = new (string, ISessionStore, bool)[]
            {
                ("durable SQLite journal, read-only no-op tool", sqlite, true),
                ("durable SQLite journal, mutating no-op tool", sqlite, false),
                ("in-memory journal, read-only no-op tool", new InMemorySessionStore(), true),
            };
            foreach (var (name, store, readOnly) in cases)
            {
                await MeasureAsync(store, 200, dir, readOnly); // warm-up: JIT, SQLite, schema
                var perStep = new List<double>();
                for (var i = 0; i < sessions; i++)
                {
                    perStep.AddRange(await MeasureAsync(store, steps, dir, readOnly));
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"step overhead ({name}, {sessions} sessions x {steps} steps, zero-latency model): median {Stats.Percentile(perStep, 50):0.000} ms, p90 {Stats.Percentile(perStep, 90):0.000} ms, p99 {Stats.Percentile(perStep, 99):0.000} ms"));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<List<double>> MeasureAsync(ISessionStore store, int steps, string workspace, bool readOnly)
    {
        var script = new StringBuilder("{\"turns\":[");
        for (var i = 0; i < steps; i++)
        {
            script.Append("{\"tool_calls\":[{\"name\":\"noop\",\"arguments\":{}}]},");
        }

        script.Append("{\"text\":\"done\"}]}");
        using var model = new ScriptedChatClient(ScriptedTurn.ParseScript(script.ToString()));
        var loop = new AgentLoop(model, new ToolSet([new NoopTool(readOnly)]), new AppendOnlyContextBuilder("bench"), new AgentLoopOptions { MaxSteps = steps + 10 });
        using var session = await SessionWriter.StartAsync(store, new SessionStarted(Guid.NewGuid().ToString("N"), workspace, "scripted:bench"));
        var perStep = new List<double>(steps);
        long last = 0;
        await foreach (var update in loop.RunAsync(session, "go"))
        {
            if (update is ModelCallStarted)
            {
                var now = Stopwatch.GetTimestamp();
                if (last != 0)
                {
                    perStep.Add(Stopwatch.GetElapsedTime(last, now).TotalMilliseconds);
                }

                last = now;
            }
        }

        return perStep;
    }

    private sealed class NoopTool(bool readOnly) : ITool
    {
        public ToolDefinition Definition { get; } = new("noop", "Does nothing.", JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement, ReadOnly: readOnly);

        public ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(ToolResult.Ok("ok"));
    }
}
