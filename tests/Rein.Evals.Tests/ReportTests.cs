using System.Text.RegularExpressions;
using Rein.Evals.Compare;
using Rein.Evals.Reports;
using Rein.Evals.Running;
using Rein.Testing;

namespace Rein.Evals.Tests;

public sealed partial class ReportTests : IDisposable
{
    private readonly TempDirectory _dir = new("rein-evals");

    public void Dispose() => _dir.Dispose();

    internal static EvalRunResult Run(string id, params (string Name, bool[] Passes, long Tokens, decimal Cost)[] tasks) => new(
        id, "/suite", "openai:gpt-test", tasks.Length == 0 ? 1 : tasks[0].Passes.Length, new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero), 12.5,
        [.. tasks.Select(t => new EvalTaskResult(t.Name, ["tag"], null, [.. t.Passes.Select((p, i) => new EvalTrialResult(
            i + 1, p, "sess" + i, 3, t.Tokens - 10, 10, t.Cost, 1.5, p ? "completed" : "max_steps", p ? null : "stopped: max_steps <b>"))]))]);

    [Fact]
    public void Html_IsSelfContainedWithTheThreeCharts()
    {
        var run = Run("r1", ("alpha", [true, false], 1000, 0.02m), ("beta <x>", [true, true], 3000, 0.05m));

        var html = HtmlReport.Render(run);

        Assert.DoesNotMatch(ExternalReference(), html);
        Assert.DoesNotContain("http:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https:", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("id=\"chart-pass-rate\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"chart-tokens\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"chart-cost\"", html, StringComparison.Ordinal);
        Assert.Equal(6, Regex.Count(html, "<rect "));
        Assert.Contains("beta &lt;x&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", html, StringComparison.Ordinal);
        Assert.Contains(">50%<", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_HasTotalsTasksAndFailures()
    {
        var md = MarkdownReport.Render(Run("r1", ("alpha", [true, false], 1000, 0.02m)));

        Assert.Contains("| 1 | 0 | 1 | 0 | 0 | 50% | 100% (k=2) |", md, StringComparison.Ordinal);
        Assert.Contains("| alpha | FAIL | 1/2 | 50% |", md, StringComparison.Ordinal);
        Assert.Contains("**alpha** trial 2 (max_steps, session `sess1`)", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_WrittenAndLoaded_RoundTrips()
    {
        var run = Run("r1", ("alpha", [true, false], 1000, 0.02m), ("beta", [false, false], 10, 0m));

        var files = EvalReportFiles.Write(run, _dir.Combine("run"));
        var loaded = RunComparison.LoadRun(_dir.Combine("run"));

        Assert.True(File.Exists(files.Markdown) && File.Exists(files.Html));
        Assert.Equal(run.Summary, loaded.Summary);
        Assert.Equal(run.Tasks[0].Trials, loaded.Tasks[0].Trials);
        Assert.Equal((2, 0, 2), (run.Summary.Total, run.Summary.Passed, run.Summary.Failed));
    }

    [Fact]
    public void Reports_TestsAndMalformedTasks_AreWrittenShownAndLoadedBack()
    {
        var run = Run("r1", ("alpha", [false], 1000, 0.02m));
        run = run with
        {
            Tasks = [run.Tasks[0] with { Trials = [run.Tasks[0].Trials[0] with { Tests = [new("tests/test_outputs.py::test_a", "passed"), new("tests/test_outputs.py::test_b", "failed")] }] }],
            Malformed = [new("bad", "/suite/bad", [new("/suite/bad/task.yaml", 4, "limits.max_steps", "field 'limits.max_steps': must be a positive number.")])],
        };

        var files = EvalReportFiles.Write(run, _dir.Combine("run"));
        var loaded = RunComparison.LoadRun(_dir.Combine("run"));

        Assert.Equal(run.Tasks[0].Trials[0].Tests, loaded.Tasks[0].Trials[0].Tests);
        Assert.Equal(1, loaded.Summary.Malformed);
        Assert.Equal(run.Malformed[0].Problems, loaded.Malformed[0].Problems);
        var markdown = File.ReadAllText(files.Markdown);
        Assert.Contains("| alpha | 1 | `tests/test_outputs.py::test_b` | FAILED |", markdown, StringComparison.Ordinal);
        Assert.Contains("- **bad**: `/suite/bad/task.yaml:4: field 'limits.max_steps': must be a positive number.`", markdown, StringComparison.Ordinal);
        var html = File.ReadAllText(files.Html);
        Assert.Contains("failed tests/test_outputs.py::test_b", html, StringComparison.Ordinal);
        Assert.Contains("id=\"malformed\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NotAResultFile_IsAFormatError()
    {
        var file = _dir.Write("x.json", "{\"a\":1}");

        Assert.Throws<FormatException>(() => RunComparison.LoadRun(file));
    }

    [Fact]
    public void Compare_TwoRuns_FindsRegressedFixedAndDeltas()
    {
        var a = Run("a", ("stays", [true], 100, 0.01m), ("breaks", [true], 100, 0.01m), ("heals", [false], 100, 0.01m), ("gone", [true], 1, 0m));
        var b = Run("b", ("stays", [true], 150, 0.03m), ("breaks", [false], 100, 0.01m), ("heals", [true], 80, 0.01m), ("new", [true], 1, 0m));

        var comparison = RunComparison.Of(a, b);

        Assert.Equal(["breaks"], comparison.Regressed.Select(t => t.Name));
        Assert.Equal(["heals"], comparison.Fixed.Select(t => t.Name));
        var byName = comparison.Tasks.ToDictionary(t => t.Name);
        Assert.Equal("added", byName["new"].Change);
        Assert.Equal("removed", byName["gone"].Change);
        Assert.Equal(50, byName["stays"].TokensDelta);
        Assert.Equal(0.02m, byName["stays"].CostDelta);
        var json = comparison.ToJson();
        Assert.Equal("breaks", json["regressed"]![0]!.GetValue<string>());
    }

    [GeneratedRegex("""(src|href)\s*=\s*["']?\s*(https?:)?//""", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalReference();
}
