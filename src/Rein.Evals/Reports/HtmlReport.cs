using System.Globalization;
using System.Net;
using System.Text;
using Rein.Evals.Running;

namespace Rein.Evals.Reports;

/// <summary>
/// The <c>report.html</c> of a run: one self-contained page (inline CSS and SVG, no scripts, nothing loaded from the
/// network) with the totals, bar charts of pass rate, tokens and cost per task, and a table of trials.
/// </summary>
public static class HtmlReport
{
    private const int LabelWidth = 240;
    private const int BarWidth = 420;
    private const int RowHeight = 22;

    /// <summary>Renders a run as an HTML page.</summary>
    /// <param name="run">The run.</param>
    /// <returns>The page.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="run"/> is null.</exception>
    public static string Render(EvalRunResult run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var s = run.Summary;
        var ran = run.Tasks.Where(t => t.SkipReason is null).ToList();
        var html = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        html.Append(inv, $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Eval run {E(run.RunId)}</title>
            <style>
            body{"{"}font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222{"}"}
            table{"{"}border-collapse:collapse;margin:1em 0{"}"} td,th{"{"}border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top{"}"}
            .pass{"{"}color:#1a7f37{"}"} .fail{"{"}color:#cf222e{"}"} .skip{"{"}color:#777{"}"} pre{"{"}margin:0;white-space:pre-wrap;max-width:60em{"}"}
            figure{"{"}margin:1.5em 0{"}"} figcaption{"{"}font-weight:600;margin-bottom:.4em{"}"}
            </style></head><body>
            <h1>Eval run {E(run.RunId)}</h1>
            <p>Suite <code>{E(run.Suite)}</code> · model <code>{E(run.Model)}</code> · {run.Trials} trial(s) per task · started {run.StartedAt:u} · {run.DurationSeconds:0.#} s</p>
            <table id="summary"><tr><th>tasks</th><th>passed</th><th>failed</th><th>skipped</th><th>malformed</th><th>pass@1</th><th>pass@{s.K}</th><th>tokens</th><th>cost</th></tr>
            <tr><td>{s.Total}</td><td class="pass">{s.Passed}</td><td class="fail">{s.Failed}</td><td class="skip">{s.Skipped}</td><td class="fail">{s.Malformed}</td><td>{EvalJson.Percent(s.PassAt1)}</td><td>{EvalJson.Percent(s.PassAtK)}</td><td>{EvalJson.Count(s.InputTokens + s.OutputTokens)}</td><td>{EvalJson.Usd(s.CostUsd)}</td></tr></table>

            """);
        html.Append(Chart("chart-pass-rate", "Pass rate per task", [.. ran.Select(t => (t.Name, t.PassAt1, EvalJson.Percent(t.PassAt1)))], 1.0, "#1a7f37"));
        html.Append(Chart("chart-tokens", "Tokens per task (mean per trial)", [.. ran.Select(t => (t.Name, t.MeanTokens, EvalJson.Count(t.MeanTokens)))], null, "#0969da"));
        html.Append(Chart("chart-cost", "Cost per task (mean per trial, USD)", [.. ran.Select(t => (t.Name, (double)t.MeanCostUsd, EvalJson.Usd(t.MeanCostUsd)))], null, "#8250df"));
        html.Append("<h2>Trials</h2>\n<table id=\"trials\"><tr><th>task</th><th>trial</th><th>result</th><th>steps</th><th>tokens</th><th>cost</th><th>time</th><th>stop</th><th>session</th><th>failure</th><th>tests</th></tr>\n");
        foreach (var task in run.Tasks)
        {
            if (task.SkipReason is { } skip)
            {
                html.Append(inv, $"<tr><td>{E(task.Name)}</td><td></td><td class=\"skip\">skipped</td><td colspan=\"8\">{E(skip)}</td></tr>\n");
                continue;
            }

            foreach (var r in task.Trials)
            {
                html.Append(inv, $"<tr><td>{E(task.Name)}</td><td>{r.Trial}</td><td class=\"{(r.Passed ? "pass\">pass" : "fail\">fail")}</td><td>{r.Steps}</td><td>{EvalJson.Count(r.Tokens)}</td><td>{EvalJson.Usd(r.CostUsd)}</td><td>{r.DurationSeconds:0.#} s</td><td>{E(r.StopReason)}</td><td><code>{E(r.SessionId ?? "")}</code></td><td><pre>{E(r.FailureReason ?? "")}</pre></td><td><pre>{E(string.Join('\n', r.Tests.Select(t => $"{t.Outcome} {t.Name}")))}</pre></td></tr>\n");
            }
        }

        html.Append("</table>\n");
        if (run.Malformed.Count > 0)
        {
            html.Append("<h2>Malformed tasks (not run)</h2>\n<table id=\"malformed\"><tr><th>task</th><th>problem</th></tr>\n");
            foreach (var task in run.Malformed)
            {
                foreach (var problem in task.Problems)
                {
                    html.Append(inv, $"<tr><td>{E(task.Name)}</td><td><code>{E(problem.ToString())}</code></td></tr>\n");
                }
            }

            html.Append("</table>\n");
        }

        html.Append("</body></html>\n");
        return html.ToString();
    }

    /// <summary>A horizontal bar chart as inline SVG; <paramref name="max"/> null scales to the largest value.</summary>
    private static string Chart(string id, string title, IReadOnlyList<(string Label, double Value, string Text)> rows, double? max, string colour)
    {
        var inv = CultureInfo.InvariantCulture;
        var top = max ?? (rows.Count == 0 ? 0 : rows.Max(r => r.Value));
        var height = Math.Max(1, rows.Count) * RowHeight + 8;
        var svg = new StringBuilder();
        svg.Append(inv, $"<figure id=\"{id}\"><figcaption>{E(title)}</figcaption>\n<svg role=\"img\" aria-label=\"{E(title)}\" width=\"{LabelWidth + BarWidth + 120}\" height=\"{height}\" viewBox=\"0 0 {LabelWidth + BarWidth + 120} {height}\">\n");
        for (var i = 0; i < rows.Count; i++)
        {
            var (label, value, text) = rows[i];
            var y = 4 + (i * RowHeight);
            var width = top > 0 ? Math.Max(value > 0 ? 1 : 0, value / top * BarWidth) : 0;
            svg.Append(inv, $"<text x=\"{LabelWidth - 6}\" y=\"{y + 15}\" text-anchor=\"end\" font-size=\"12\">{E(label)}</text>");
            svg.Append(inv, $"<rect x=\"{LabelWidth}\" y=\"{y + 3}\" width=\"{width:0.#}\" height=\"{RowHeight - 6}\" fill=\"{colour}\"><title>{E(label)}: {E(text)}</title></rect>");
            svg.Append(inv, $"<text x=\"{LabelWidth + width + 6:0.#}\" y=\"{y + 15}\" font-size=\"12\">{E(text)}</text>\n");
        }

        if (rows.Count == 0)
        {
            svg.Append(inv, $"<text x=\"{LabelWidth}\" y=\"16\" font-size=\"12\">no tasks ran</text>\n");
        }

        svg.Append("</svg></figure>\n");
        return svg.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
