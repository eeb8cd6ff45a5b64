using System.Text.Json;
using Rein.Context.CodeMemory;
using Rein.Context.Compaction;
using Rein.Context.Masking;
using Rein.Context.Shaping;
using Rein.Engine;

namespace Rein.Context.Benchmark;

/// <summary>
/// Replays recorded trajectories through Rein's context layer — the same actions and observations, each
/// step's context built the way Rein builds it — and compares it with plain append-only history.
/// </summary>
public static class TokenBenchmark
{
    /// <summary>Anthropic-style cache prices relative to fresh input: write 1.25, read 0.1.</summary>
    public static CachePrices Anthropic { get; } = new(1.25, 0.1);

    /// <summary>OpenAI-style cache prices relative to fresh input: no write premium, read 0.1.</summary>
    public static CachePrices OpenAI { get; } = new(1.0, 0.1);

    /// <summary>Runs every trajectory.</summary>
    public static BenchmarkReport Run(IReadOnlyList<Trajectory> trajectories, ITokenCounter counter, ContextOptions options)
    {
        ArgumentNullException.ThrowIfNull(trajectories);
        var results = trajectories.Select(t => Run(t, counter, options)).ToList();
        return new BenchmarkReport(results, counter.Encoding);
    }

    /// <summary>Runs one trajectory.</summary>
    public static TrajectoryResult Run(Trajectory trajectory, ITokenCounter counter, ContextOptions options)
    {
        ArgumentNullException.ThrowIfNull(trajectory);
        ArgumentNullException.ThrowIfNull(counter);
        ArgumentNullException.ThrowIfNull(options);
        var naive = new Replay(Anthropic, OpenAI);
        var rein = new Replay(Anthropic, OpenAI);
        var plain = new ContextLedger(new ContextOptions { CodeMemory = false, Masking = false, MaxObservationChars = 10_000_000, MinRepeatedOutputChars = 1_000_000, ContextWindow = 100_000_000 }, counter, trajectory.System);
        var ledger = new ContextLedger(options, counter, trajectory.System);
        foreach (var demo in trajectory.Demonstrations)
        {
            plain.AddUser(demo);
            ledger.AddUser(demo);
        }

        plain.AddUser(trajectory.Task);
        ledger.AddUser(trajectory.Task);
        var violations = new List<string>();
        var savings = new Dictionary<ContextSaving, long>();
        for (var i = 0; i < trajectory.Steps.Count; i++)
        {
            var stepNumber = i + 1;
            var step = trajectory.Steps[i];

            // Before the model call of this step: Rein may mask or compact, then the context is sent.
            if (ledger.PlanMasking(stepNumber) is { } plan)
            {
                ledger.Mask(plan.ThroughStep);
            }

            if (ledger.NeedsCompaction && ledger.CompactionCut() is { } cut)
            {
                ledger.Compact(ExtractiveSummary.For(ledger, trajectory.Task, cut.ReplacedMessages), cut.ReplacedMessages);
            }

            naive.Send(plain);
            rein.Send(ledger);
            foreach (var (saving, tokens) in ledger.Savings())
            {
                savings[saving] = savings.GetValueOrDefault(saving) + tokens;
            }

            var assistant = step.CallText.Length == 0 ? step.Assistant : step.Assistant + "\n" + step.CallText;
            plain.AddAssistant(stepNumber, assistant);
            ledger.AddAssistant(stepNumber, assistant, elidedText: ElidedCall(step));
            var callId = "call_" + stepNumber;
            var summary = step.Tool + " `" + step.ArgumentSummary + "`";
            plain.AddObservation(stepNumber, callId, step.Tool, summary, step.Observation, false, step.View);
            var item = ledger.AddObservation(stepNumber, callId, step.Tool, summary, step.Observation, false, step.View);
            if (step.View is { } view && !ContextReader.Conveys(ledger.Items, view) && item.Saving != ContextSaving.Truncation)
            {
                violations.Add($"{trajectory.Id} step {stepNumber}: the context does not convey {view.Path} lines {view.StartLine}-{view.EndLine} as read");
            }

            if (item.Saving != ContextSaving.None && !Retrievable(ledger, stepNumber, callId, step.Observation))
            {
                violations.Add($"{trajectory.Id} step {stepNumber}: the elided output cannot be read back byte for byte");
            }
        }

        // Masked observations must still be retrievable at the end.
        for (var i = 0; i < trajectory.Steps.Count; i++)
        {
            var item = ledger.FindObservation(i + 1);
            if (item is { Masked: true } && !Retrievable(ledger, i + 1, "call_" + (i + 1), trajectory.Steps[i].Observation))
            {
                violations.Add($"{trajectory.Id} step {i + 1}: the masked output cannot be read back byte for byte");
            }
        }

        return new TrajectoryResult(trajectory.Id, trajectory.Steps.Count, naive.Totals(), rein.Totals(), savings, violations);
    }

    /// <summary>The assistant turn with the file content of a large write or edit elided, as masking shows it.</summary>
    private static string? ElidedCall(TrajectoryStep step)
    {
        if (step.Tool is not ("write_file" or "edit_file") || step.CallText.Length < PayloadElision.MinChars)
        {
            return null;
        }

        return step.Assistant + "\n" + PayloadElision.Note(step.Tool, step.View?.Path ?? step.ArgumentSummary, step.CallText);
    }

    /// <summary>Whether paging through an observation with <c>read_output</c> gives back exactly the original.</summary>
    private static bool Retrievable(ContextLedger ledger, int step, string callId, string original)
    {
        var item = ledger.FindObservation(step, callId);
        if (item is null)
        {
            return false;
        }

        var text = new System.Text.StringBuilder();
        int? next = 1;
        while (next is { } line)
        {
            text.Append(OutputPager.Page(item.Original, line, OutputPager.DefaultPageLines, out next));
        }

        return text.ToString().Equals(original, StringComparison.Ordinal);
    }

    /// <summary>Accumulates what a sequence of requests costs.</summary>
    private sealed class Replay(CachePrices anthropic, CachePrices openAI)
    {
        private List<(ContextItem Item, string Rendered)> _previous = [];
        private long _cumulative;
        private long _last;
        private double _anthropic;
        private double _openAI;

        public void Send(ContextLedger ledger)
        {
            var current = ledger.Items.Select(i => (Item: i, i.Rendered)).ToList();

            // The provider caches the previous request; the longest common prefix of items is read from cache.
            long cached = _previous.Count == 0 ? 0 : ledger.SystemTokens;
            for (var k = 0; k < Math.Min(current.Count, _previous.Count); k++)
            {
                if (!ReferenceEquals(current[k].Item, _previous[k].Item) || !current[k].Rendered.Equals(_previous[k].Rendered, StringComparison.Ordinal))
                {
                    break;
                }

                cached += current[k].Item.RenderedTokens;
            }

            var total = ledger.Tokens;
            _cumulative += total;
            _last = total;
            _anthropic += anthropic.Cost(total, cached);
            _openAI += openAI.Cost(total, cached);
            _previous = current;
        }

        public RunTotals Totals() => new(_cumulative, _last, _anthropic, _openAI);
    }
}

/// <summary>Cache prices relative to fresh input.</summary>
/// <param name="Write">Writing input to the cache.</param>
/// <param name="Read">Reading cached input.</param>
public sealed record CachePrices(double Write, double Read)
{
    /// <summary>The input cost of a request of <paramref name="total"/> tokens of which <paramref name="cached"/> are read from cache.</summary>
    public double Cost(long total, long cached) => cached * Read + (total - cached) * Write;
}

/// <summary>Totals of a replay.</summary>
/// <param name="CumulativeTokens">Input tokens summed over every step.</param>
/// <param name="LastContextTokens">The context's size at the last step.</param>
/// <param name="AnthropicCost">Input cost with Anthropic-style caching, in units of one fresh input token.</param>
/// <param name="OpenAICost">Input cost with OpenAI-style caching, in units of one fresh input token.</param>
public sealed record RunTotals(long CumulativeTokens, long LastContextTokens, double AnthropicCost, double OpenAICost);

/// <summary>One trajectory's result.</summary>
/// <param name="Id">The trajectory.</param>
/// <param name="Steps">Its steps.</param>
/// <param name="Naive">Append-only history.</param>
/// <param name="Rein">Rein's context.</param>
/// <param name="Savings">Tokens saved per mechanism, summed over steps.</param>
/// <param name="Violations">Invariant violations.</param>
public sealed record TrajectoryResult(string Id, int Steps, RunTotals Naive, RunTotals Rein, IReadOnlyDictionary<ContextSaving, long> Savings, IReadOnlyList<string> Violations);

/// <summary>The benchmark's results.</summary>
/// <param name="Trajectories">Per trajectory.</param>
/// <param name="Encoding">The tokenizer counted with.</param>
public sealed record BenchmarkReport(IReadOnlyList<TrajectoryResult> Trajectories, string Encoding)
{
    /// <summary>Gets input tokens over all steps of all trajectories, append-only.</summary>
    public long TokensNaive => Trajectories.Sum(t => t.Naive.CumulativeTokens);

    /// <summary>Gets input tokens over all steps of all trajectories, Rein.</summary>
    public long TokensRein => Trajectories.Sum(t => t.Rein.CumulativeTokens);

    /// <summary>Gets the reduction of cumulative input tokens, in percent.</summary>
    public double ReductionPercent => TokensNaive == 0 ? 0 : 100.0 * (TokensNaive - TokensRein) / TokensNaive;

    /// <summary>Gets Rein's cost over append-only's, both with Anthropic-style caching.</summary>
    public double CostRatioAnthropic => Ratio(t => t.Rein.AnthropicCost, t => t.Naive.AnthropicCost);

    /// <summary>Gets Rein's cost over append-only's, both with OpenAI-style caching.</summary>
    public double CostRatioOpenAI => Ratio(t => t.Rein.OpenAICost, t => t.Naive.OpenAICost);

    /// <summary>Gets the number of invariant violations.</summary>
    public int Violations => Trajectories.Sum(t => t.Violations.Count);

    /// <summary>Gets each mechanism's share of the tokens saved, in percent.</summary>
    public IReadOnlyDictionary<ContextSaving, double> SavingShares
    {
        get
        {
            var totals = new Dictionary<ContextSaving, long>();
            foreach (var (saving, tokens) in Trajectories.SelectMany(t => t.Savings))
            {
                totals[saving] = totals.GetValueOrDefault(saving) + tokens;
            }

            var sum = totals.Values.Sum();
            return Enum.GetValues<ContextSaving>().Where(s => s != ContextSaving.None)
                .ToDictionary(s => s, s => sum == 0 ? 0 : 100.0 * totals.GetValueOrDefault(s) / sum);
        }
    }

    private double Ratio(Func<TrajectoryResult, double> rein, Func<TrajectoryResult, double> naive)
    {
        var denominator = Trajectories.Sum(naive);
        return denominator == 0 ? 1 : Trajectories.Sum(rein) / denominator;
    }

    /// <summary>Writes the report as one JSON object.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("encoding", Encoding);
        writer.WriteNumber("trajectories", Trajectories.Count);
        writer.WriteNumber("steps", Trajectories.Sum(t => t.Steps));
        writer.WriteNumber("tokens_naive", TokensNaive);
        writer.WriteNumber("tokens_rein", TokensRein);
        writer.WriteNumber("reduction_percent", Math.Round(ReductionPercent, 2));
        writer.WriteNumber("last_context_tokens_naive", Trajectories.Sum(t => t.Naive.LastContextTokens));
        writer.WriteNumber("last_context_tokens_rein", Trajectories.Sum(t => t.Rein.LastContextTokens));
        writer.WriteNumber("cost_naive_anthropic", Math.Round(Trajectories.Sum(t => t.Naive.AnthropicCost)));
        writer.WriteNumber("cost_rein_anthropic", Math.Round(Trajectories.Sum(t => t.Rein.AnthropicCost)));
        writer.WriteNumber("cost_ratio_anthropic", Math.Round(CostRatioAnthropic, 4));
        writer.WriteNumber("cost_naive_openai", Math.Round(Trajectories.Sum(t => t.Naive.OpenAICost)));
        writer.WriteNumber("cost_rein_openai", Math.Round(Trajectories.Sum(t => t.Rein.OpenAICost)));
        writer.WriteNumber("cost_ratio_openai", Math.Round(CostRatioOpenAI, 4));
        writer.WriteStartObject("saved_share_percent");
        foreach (var (saving, share) in SavingShares.OrderBy(p => p.Key))
        {
            writer.WriteNumber(SavingName(saving), Math.Round(share, 2));
        }

        writer.WriteEndObject();
        writer.WriteNumber("violations", Violations);
        writer.WriteStartArray("violation_details");
        foreach (var violation in Trajectories.SelectMany(t => t.Violations).Take(50))
        {
            writer.WriteStringValue(violation);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("per_trajectory");
        foreach (var t in Trajectories)
        {
            writer.WriteStartObject();
            writer.WriteString("id", t.Id);
            writer.WriteNumber("steps", t.Steps);
            writer.WriteNumber("tokens_naive", t.Naive.CumulativeTokens);
            writer.WriteNumber("tokens_rein", t.Rein.CumulativeTokens);
            writer.WriteNumber("cost_ratio_anthropic", Math.Round(t.Naive.AnthropicCost == 0 ? 1 : t.Rein.AnthropicCost / t.Naive.AnthropicCost, 4));
            writer.WriteNumber("cost_ratio_openai", Math.Round(t.Naive.OpenAICost == 0 ? 1 : t.Rein.OpenAICost / t.Naive.OpenAICost, 4));
            writer.WriteNumber("violations", t.Violations.Count);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The JSON name of a mechanism.</summary>
    public static string SavingName(ContextSaving saving) => saving switch
    {
        ContextSaving.CodeMemory => "code_memory",
        ContextSaving.Truncation => "truncation",
        ContextSaving.Masking => "masking",
        ContextSaving.Compaction => "compaction",
        _ => "none",
    };
}
