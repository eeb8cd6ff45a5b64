using Rein.Evals.Running;

namespace Rein.Evals.Reports;

/// <summary>The report files of a run, written to its folder.</summary>
/// <param name="Json">The path of <c>results.json</c>.</param>
/// <param name="Markdown">The path of <c>report.md</c>.</param>
/// <param name="Html">The path of <c>report.html</c>.</param>
public sealed record EvalReportFiles(string Json, string Markdown, string Html)
{
    /// <summary>Writes <c>results.json</c>, <c>report.md</c> and <c>report.html</c> into a folder, creating it.</summary>
    /// <param name="run">The run.</param>
    /// <param name="folder">The run's folder.</param>
    /// <returns>The files written.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="IOException">A file cannot be written.</exception>
    public static EvalReportFiles Write(EvalRunResult run, string folder)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(folder);
        Directory.CreateDirectory(folder);
        var files = new EvalReportFiles(Path.Combine(folder, "results.json"), Path.Combine(folder, "report.md"), Path.Combine(folder, "report.html"));
        File.WriteAllText(files.Json, EvalJson.Write(EvalJson.ToJson(run)) + "\n");
        File.WriteAllText(files.Markdown, MarkdownReport.Render(run));
        File.WriteAllText(files.Html, HtmlReport.Render(run));
        return files;
    }
}
