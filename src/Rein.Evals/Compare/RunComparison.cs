using System.Text.Json.Nodes;
using Rein.Evals.Reports;
using Rein.Evals.Running;

namespace Rein.Evals.Compare;

/// <summary>How one task changed between two runs.</summary>
/// <param name="Name">The task's name.</param>
/// <param name="Change">
/// <c>regressed</c> (passed in A, failed in B), <c>fixed</c> (failed in A, passed in B), <c>unchanged</c>,
/// <c>added</c> (only in B), <c>removed</c> (only in A) or <c>skipped</c> (skipped in either run).
/// </param>
/// <param name="A">The task in run A, or null.</param>
/// <param name="B">The task in run B, or null.</param>
public sealed record TaskChange(string Name, string Change, EvalTaskResult? A, EvalTaskResult? B)
{
    /// <summary>Gets the change in mean tokens per trial (B − A), or null when the task is missing from a run.</summary>
    public double? TokensDelta => A is null || B is null ? null : B.MeanTokens - A.MeanTokens;

    /// <summary>Gets the change in mean cost per trial (B − A), or null when the task is missing from a run.</summary>
    public decimal? CostDelta => A is null || B is null ? null : B.MeanCostUsd - A.MeanCostUsd;
}

/// <summary>Two runs side by side: which tasks went from pass to fail and back, and how tokens and cost moved.</summary>
/// <param name="A">The earlier (baseline) run.</param>
/// <param name="B">The later run.</param>
/// <param name="Tasks">Every task of either run, by name.</param>
public sealed record RunComparison(EvalRunResult A, EvalRunResult B, IReadOnlyList<TaskChange> Tasks)
{
    /// <summary>Gets the tasks that passed in A and failed in B.</summary>
    public IEnumerable<TaskChange> Regressed => Tasks.Where(t => t.Change == "regressed");

    /// <summary>Gets the tasks that failed in A and passed in B.</summary>
    public IEnumerable<TaskChange> Fixed => Tasks.Where(t => t.Change == "fixed");

    /// <summary>Compares two runs.</summary>
    /// <param name="a">The baseline run.</param>
    /// <param name="b">The later run.</param>
    /// <returns>The comparison.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static RunComparison Of(EvalRunResult a, EvalRunResult b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var before = a.Tasks.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var after = b.Tasks.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var names = before.Keys.Union(after.Keys).Order(StringComparer.Ordinal);
        return new RunComparison(a, b, [.. names.Select(name =>
        {
            var x = before.GetValueOrDefault(name);
            var y = after.GetValueOrDefault(name);
            var change = (x, y) switch
            {
                (null, _) => "added",
                (_, null) => "removed",
                _ when x.SkipReason is not null || y.SkipReason is not null => "skipped",
                _ when x.Passed && !y.Passed => "regressed",
                _ when !x.Passed && y.Passed => "fixed",
                _ => "unchanged",
            };
            return new TaskChange(name, change, x, y);
        })]);
    }

    /// <summary>Loads a run from its folder or its <c>results.json</c>.</summary>
    /// <param name="path">A run folder (holding <c>results.json</c>) or the file itself.</param>
    /// <returns>The run.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="FileNotFoundException">There is no such run.</exception>
    /// <exception cref="FormatException">The file is not a Rein eval result.</exception>
    public static EvalRunResult LoadRun(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var file = Directory.Exists(path) ? Path.Combine(path, "results.json") : path;
        return File.Exists(file) ? EvalJson.Load(file) : throw new FileNotFoundException($"No eval run at '{path}' (a run folder with results.json, or the file).", file);
    }

    /// <summary>Builds the JSON object of the comparison (<c>rein eval compare --json</c>).</summary>
    /// <returns>The object.</returns>
    public JsonObject ToJson()
    {
        static JsonObject Side(EvalRunResult run)
        {
            var s = run.Summary;
            return new JsonObject
            {
                ["run_id"] = run.RunId,
                ["model"] = run.Model,
                ["total"] = s.Total,
                ["passed"] = s.Passed,
                ["failed"] = s.Failed,
                ["pass_at_1"] = Math.Round(s.PassAt1, 4),
                ["pass_at_k"] = Math.Round(s.PassAtK, 4),
                ["tokens"] = s.InputTokens + s.OutputTokens,
                ["cost_usd"] = s.CostUsd,
            };
        }

        return new JsonObject
        {
            ["a"] = Side(A),
            ["b"] = Side(B),
            ["regressed"] = new JsonArray([.. Regressed.Select(t => (JsonNode)JsonValue.Create(t.Name))]),
            ["fixed"] = new JsonArray([.. Fixed.Select(t => (JsonNode)JsonValue.Create(t.Name))]),
            ["tasks"] = new JsonArray([.. Tasks.Select(t => (JsonNode)new JsonObject
            {
                ["name"] = t.Name,
                ["change"] = t.Change,
                ["a_passed"] = t.A?.Passed,
                ["b_passed"] = t.B?.Passed,
                ["a_pass_at_1"] = t.A is null ? null : Math.Round(t.A.PassAt1, 4),
                ["b_pass_at_1"] = t.B is null ? null : Math.Round(t.B.PassAt1, 4),
                ["a_tokens"] = t.A is null ? null : Math.Round(t.A.MeanTokens, 1),
                ["b_tokens"] = t.B is null ? null : Math.Round(t.B.MeanTokens, 1),
                ["tokens_delta"] = t.TokensDelta is { } dt ? Math.Round(dt, 1) : null,
                ["a_cost_usd"] = t.A?.MeanCostUsd,
                ["b_cost_usd"] = t.B?.MeanCostUsd,
                ["cost_delta_usd"] = t.CostDelta,
            })]),
        };
    }
}
