using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Rein.Context;
using Rein.Context.Benchmark;
using Rein.Context.Tokens;
using Rein.Engine;
using Spectre.Console;

namespace Rein.Cli.Commands;

/// <summary><c>rein bench tokens --trajectories DIR</c>: replays recorded trajectories through Rein's context layer.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Measure Rein offline on recorded data.");
        bench.Subcommands.Add(CreateTokens());
        return bench;
    }

    private static Command CreateTokens()
    {
        var folder = new Option<DirectoryInfo>("--trajectories")
        {
            Description = "A folder of rein-trajectory/1 JSON files (see its README).",
            Required = true,
        };
        var window = new Option<int?>("--window") { Description = "The context window in tokens for compaction. Default: 128000." };
        var margin = new Option<double?>("--mask-margin") { Description = "How much the expected cache saving must exceed the cost of rewriting the cache before masking. Default: 1.5." };
        var keep = new Option<int?>("--keep-recent") { Description = "How many of the latest observations stay whole. Default: 10." };
        var noMasking = new Option<bool>("--no-masking") { Description = "Measure without masking (code memory and truncation only)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (tokens_naive, tokens_rein, reduction_percent, cost_ratio_anthropic, cost_ratio_openai, violations, ...)." };
        var command = new Command("tokens", """
            Replay recorded agent trajectories (the same actions and observations) through Rein's context layer
            and compare with plain append-only history: cumulative input tokens over all steps, the context size
            at the last step, and input cost with prompt caching under Anthropic-style (cache write 1.25x, read 0.1x)
            and OpenAI-style (cached 0.1x, no write premium) prices; the share each mechanism saved (code memory,
            truncation, masking, compaction) and invariant violations (a file view differing from the file, an
            elided output that cannot be read back byte for byte). Exit code 1 when there are violations.
            """)
        {
            folder, window, margin, keep, noMasking, json,
        };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(() =>
        {
            var directory = parse.GetValue(folder)!;
            if (!directory.Exists)
            {
                Console.Error.WriteLine($"error: no such folder: {directory.FullName}");
                return Task.FromResult(ExitCodes.Usage);
            }

            IReadOnlyList<Trajectory> trajectories;
            try
            {
                trajectories = Trajectory.LoadFolder(directory.FullName);
            }
            catch (Exception ex) when (ex is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                Console.Error.WriteLine($"error: {Engine.ErrorText.Of(ex)}");
                return Task.FromResult(ExitCodes.Usage);
            }

            var options = new ContextOptions();
            if (parse.GetValue(window) is { } w)
            {
                options.ContextWindow = w;
            }

            options.MaskMargin = parse.GetValue(margin) ?? options.MaskMargin;
            options.KeepRecentObservations = parse.GetValue(keep) ?? options.KeepRecentObservations;
            options.Masking = !parse.GetValue(noMasking);
            var report = TokenBenchmark.Run(trajectories, BenchCounter(), options);
            if (parse.GetValue(json))
            {
                using var stream = Console.OpenStandardOutput();
                using (var writer = new Utf8JsonWriter(stream))
                {
                    report.WriteJson(writer);
                }

                stream.WriteByte((byte)'\n');
            }
            else
            {
                Render(report);
            }

            return Task.FromResult(report.Violations == 0 ? ExitCodes.Success : ExitCodes.Error);
        }));
        return command;
    }

    /// <summary>Tokens are counted with o200k (OpenAI's current tokenizer), the same encoding the prefix target is stated in.</summary>
    private static ITokenCounter BenchCounter() => TokenCounters.ForModel("openai:gpt-5");

    private static void Render(BenchmarkReport report)
    {
        var table = new Table().AddColumns("", "append-only", "Rein");
        static string N(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
        table.AddRow("input tokens, all steps", N(report.TokensNaive), N(report.TokensRein));
        table.AddRow("context at last step", N(report.Trajectories.Sum(t => t.Naive.LastContextTokens)), N(report.Trajectories.Sum(t => t.Rein.LastContextTokens)));
        table.AddRow("cost, Anthropic-style cache", N(report.Trajectories.Sum(t => t.Naive.AnthropicCost)), N(report.Trajectories.Sum(t => t.Rein.AnthropicCost)));
        table.AddRow("cost, OpenAI-style cache", N(report.Trajectories.Sum(t => t.Naive.OpenAICost)), N(report.Trajectories.Sum(t => t.Rein.OpenAICost)));
        AnsiConsole.Write(table);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{report.Trajectories.Count} trajectories, {report.Trajectories.Sum(t => t.Steps)} steps, tokens counted with {report.Encoding}."));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"reduction {report.ReductionPercent:0.0}% · cost ratio Anthropic {report.CostRatioAnthropic:0.000} · OpenAI {report.CostRatioOpenAI:0.000} · violations {report.Violations}"));
        Console.WriteLine("saved by: " + string.Join(", ", report.SavingShares.OrderByDescending(p => p.Value)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{BenchmarkReport.SavingName(p.Key)} {p.Value:0.0}%"))));
        foreach (var violation in report.Trajectories.SelectMany(t => t.Violations).Take(20))
        {
            Console.WriteLine("violation: " + violation);
        }
    }
}
