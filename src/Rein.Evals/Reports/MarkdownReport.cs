using System.Globalization;
using System.Text;
using Rein.Evals.Running;

namespace Rein.Evals.Reports;

/// <summary>The <c>report.md</c> of a run: totals, a row per task, why each failed trial failed, the tests the graders ran, and the malformed tasks.</summary>
public static class MarkdownReport
{
    /// <summary>Renders a run as Markdown.</summary>
    /// <param name="run">The run.</param>
    /// <returns>The Markdown text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="run"/> is null.</exception>
    public static string Render(EvalRunResult run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var s = run.Summary;
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.Append(inv, $"# Eval run {run.RunId}\n\n");
        md.Append(inv, $"- Suite: `{run.Suite}`\n- Model: `{run.Model}`\n- Trials per task: {run.Trials}\n- Started: {run.StartedAt:u} ({run.DurationSeconds:0.#} s)\n\n");
        md.Append("| tasks | passed | failed | skipped | malformed | pass@1 | pass@k | tokens | cost |\n|---|---|---|---|---|---|---|---|---|\n");
        md.Append(inv, $"| {s.Total} | {s.Passed} | {s.Failed} | {s.Skipped} | {s.Malformed} | {EvalJson.Percent(s.PassAt1)} | {EvalJson.Percent(s.PassAtK)} (k={s.K}) | {EvalJson.Count(s.InputTokens + s.OutputTokens)} | {EvalJson.Usd(s.CostUsd)} |\n\n");
        md.Append("## Tasks\n\n| task | result | passes | pass@1 | steps | tokens | cost | time |\n|---|---|---|---|---|---|---|---|\n");
        foreach (var task in run.Tasks)
        {
            if (task.SkipReason is { } skip)
            {
                md.Append(inv, $"| {Cell(task.Name)} | skipped: {Cell(skip)} | | | | | | |\n");
                continue;
            }

            md.Append(inv, $"| {Cell(task.Name)} | {(task.Passed ? "pass" : "FAIL")} | {task.Passes}/{task.Trials.Count} | {EvalJson.Percent(task.PassAt1)} | {task.MeanSteps:0.#} | {EvalJson.Count(task.MeanTokens)} | {EvalJson.Usd(task.MeanCostUsd)} | {task.MeanDurationSeconds:0.#} s |\n");
        }

        var failures = run.Tasks.SelectMany(t => t.Trials.Where(r => !r.Passed).Select(r => (t.Name, r))).ToList();
        if (failures.Count > 0)
        {
            md.Append("\n## Failures\n\n");
            foreach (var (name, trial) in failures)
            {
                md.Append(inv, $"- **{name}** trial {trial.Trial} ({trial.StopReason}{(trial.SessionId is { } id ? $", session `{id}`" : "")}):\n\n");
                md.Append("  ```\n");
                foreach (var line in (trial.FailureReason ?? "").ReplaceLineEndings("\n").Split('\n'))
                {
                    md.Append("  ").Append(line.Replace("```", "'''", StringComparison.Ordinal)).Append('\n');
                }

                md.Append("  ```\n");
            }
        }

        var tested = run.Tasks.SelectMany(t => t.Trials.Where(r => r.Tests.Count > 0).Select(r => (t.Name, r))).ToList();
        if (tested.Count > 0)
        {
            md.Append("\n## Tests\n\n| task | trial | test | outcome |\n|---|---|---|---|\n");
            foreach (var (name, trial) in tested)
            {
                foreach (var test in trial.Tests)
                {
                    md.Append(inv, $"| {Cell(name)} | {trial.Trial} | `{Cell(test.Name)}` | {(test.Outcome is "passed" or "xfail" ? test.Outcome : test.Outcome.ToUpperInvariant())} |\n");
                }
            }
        }

        if (run.Malformed.Count > 0)
        {
            md.Append("\n## Malformed tasks (not run)\n\n");
            foreach (var task in run.Malformed)
            {
                foreach (var problem in task.Problems)
                {
                    md.Append(inv, $"- **{task.Name}**: `{problem.ToString().Replace("`", "'", StringComparison.Ordinal)}`\n");
                }
            }
        }

        return md.ToString();
    }

    private static string Cell(string text) => text.ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal);
}
