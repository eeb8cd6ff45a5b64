using System.Text.Json;

namespace Rein.Cli.Tests;

[Trait("Category", "e2e")]
public sealed class EvalCommandTests : IDisposable
{
    private readonly ReinProcess _rein = new();

    public void Dispose() => _rein.Dispose();

    /// <summary>The fixture suite in the source tree: two tasks that pass (one Terminal-Bench), one whose grader fails, one stopped by max_steps.</summary>
    private static string Suite => SourceTree.Combine("tests", "Rein.Cli.Tests", "EvalFixtures", "tiny-suite");

    [Fact]
    public async Task Eval_ScriptedSuiteTwoTrialsInParallel_WritesReportsAndSummarizes()
    {
        var output = Path.Combine(_rein.Home, "run");

        var result = await _rein.RunAsync("eval", Suite, "--model", "scripted", "--trials", "2", "--parallel", "2", "--out", output, "--json");

        Assert.True(result.ExitCode == 7, result.ToString());
        var summary = Assert.Single(result.JsonLines());
        Assert.Equal((4, 2, 2), (summary.GetProperty("total").GetInt32(), summary.GetProperty("passed").GetInt32(), summary.GetProperty("failed").GetInt32()));
        Assert.Equal(2, summary.GetProperty("k").GetInt32());
        Assert.Equal(0.5, summary.GetProperty("pass_at_1").GetDouble());
        var tasks = summary.GetProperty("tasks").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
        var graderFailure = tasks["grader-fails"].GetProperty("results")[0];
        Assert.Contains("grader command 2", graderFailure.GetProperty("failure_reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("holds 41, expected 42", graderFailure.GetProperty("failure_reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("max_steps", tasks["step-limit"].GetProperty("results")[1].GetProperty("stop_reason").GetString());
        Assert.True(tasks["tb-greeting"].GetProperty("passed").GetBoolean(), tasks["tb-greeting"].ToString());
        Assert.Equal(2, tasks["write-hello"].GetProperty("passes").GetInt32());
        Assert.Equal(318, tasks["write-hello"].GetProperty("results")[0].GetProperty("tokens").GetInt64());

        var reports = summary.GetProperty("reports");
        Assert.Equal(Path.Combine(output, "results.json"), reports.GetProperty("json").GetString());
        Assert.True(File.Exists(reports.GetProperty("markdown").GetString()));
        var html = await File.ReadAllTextAsync(reports.GetProperty("html").GetString()!, TestContext.Current.CancellationToken);
        Assert.Contains("chart-pass-rate", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http", html, StringComparison.OrdinalIgnoreCase);
        using var saved = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "results.json"), TestContext.Current.CancellationToken));
        Assert.Equal(summary.GetProperty("run_id").GetString(), saved.RootElement.GetProperty("run_id").GetString());

        // The trials are ordinary sessions in the store, tagged with the run.
        var session = tasks["write-hello"].GetProperty("results")[0].GetProperty("session_id").GetString()!;
        var trace = await _rein.RunAsync("trace", session, "--json");
        Assert.True(trace.ExitCode == 0, trace.ToString());
        Assert.Contains($"eval:{summary.GetProperty("run_id").GetString()}/write-hello#1", Assert.Single(trace.JsonLines()).GetProperty("detail").GetString(), StringComparison.Ordinal);

        // The trial is tagged by its origin but spends as the person running the eval (their daily budgets apply).
        var show = await _rein.RunAsync("sessions", "show", session, "--json");
        var started = show.JsonLines()[0];
        Assert.Equal($"eval:{summary.GetProperty("run_id").GetString()}/write-hello#1", started.GetProperty("origin").GetString());
        Assert.DoesNotContain("eval:", started.GetProperty("principal").GetString() ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_OnlyPassingTasks_ExitsZeroAndWritesUnderDotRein()
    {
        var result = await _rein.RunAsync("eval", Suite, "--model", "scripted", "--task", "write-hello", "--tag", "smoke");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("1 tasks: 1 passed, 0 failed", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("[1/1] pass  write-hello #1", result.Stderr, StringComparison.Ordinal);
        var run = Assert.Single(Directory.GetDirectories(Path.Combine(_rein.Workspace, ".rein", "evals")));
        Assert.True(File.Exists(Path.Combine(run, "report.html")));
    }

    [Fact]
    public async Task EvalCompare_PassingThenFailingRun_ShowsTheRegression()
    {
        var broken = _rein.WriteFile("lazy.json", """{"turns":[{"text":"nothing to do"}]}""");
        var a = Path.Combine(_rein.Home, "a");
        var b = Path.Combine(_rein.Home, "b");
        Assert.Equal(0, (await _rein.RunAsync("eval", Suite, "--model", "scripted", "--task", "write-hello", "--out", a)).ExitCode);
        Assert.Equal(7, (await _rein.RunAsync("eval", Suite, "--model", $"scripted:{broken}", "--task", "write-hello", "--out", b)).ExitCode);

        var json = await _rein.RunAsync("eval", "compare", a, Path.Combine(b, "results.json"), "--json");
        var text = await _rein.RunAsync("eval", "compare", a, b);

        Assert.True(json.ExitCode == 0, json.ToString());
        var comparison = Assert.Single(json.JsonLines());
        Assert.Equal("write-hello", Assert.Single(comparison.GetProperty("regressed").EnumerateArray()).GetString());
        Assert.Equal("regressed", comparison.GetProperty("tasks")[0].GetProperty("change").GetString());
        Assert.Contains("regressed (pass → fail): write-hello", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_InvalidTaskFile_IsAUsageErrorNamingFileAndField()
    {
        var task = _rein.WriteFile("bad-suite/t1/task.yaml", "instruction: x\ngrader: ls\nlimits:\n  max_steps: many\n");

        var result = await _rein.RunAsync("eval", Path.GetDirectoryName(Path.GetDirectoryName(task))!, "--model", "scripted");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{task}:4: field 'limits.max_steps'", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_SuiteMixingGoodSkippedMalformedAndRefusedTasks_RunsTheOthersAndReportsEach()
    {
        var suite = SourceTree.Combine("tests", "Rein.Cli.Tests", "EvalFixtures", "mixed-suite");
        var output = Path.Combine(_rein.Home, "mixed");

        var result = await _rein.RunAsync("eval", suite, "--model", "scripted", "--trials", "2", "--out", output, "--json");

        // A refused solution fails its trials and a malformed task is not clean: exit 7, with every file written.
        Assert.True(result.ExitCode == 7, result.ToString());
        using var saved = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "results.json"), TestContext.Current.CancellationToken));
        var root = saved.RootElement;
        Assert.Equal((2, 1, 1, 1, 1), (root.GetProperty("total").GetInt32(), root.GetProperty("passed").GetInt32(), root.GetProperty("failed").GetInt32(), root.GetProperty("skipped").GetInt32(), root.GetProperty("malformed").GetInt32()));
        var tasks = root.GetProperty("tasks").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
        Assert.True(tasks["good"].GetProperty("passed").GetBoolean(), tasks["good"].ToString());
        Assert.StartsWith("needs Docker: the instruction (task.yaml line 2) uses the container path /app", tasks["needs-container"].GetProperty("skipped").GetString(), StringComparison.Ordinal);
        var refused = tasks["refused-solution"].GetProperty("results")[0];
        Assert.Equal("solution_refused", refused.GetProperty("stop_reason").GetString());
        Assert.StartsWith("solution.sh was refused by the policy", refused.GetProperty("failure_reason").GetString(), StringComparison.Ordinal);
        var problem = Assert.Single(Assert.Single(root.GetProperty("malformed_tasks").EnumerateArray()).GetProperty("problems").EnumerateArray());
        Assert.Equal((Path.Combine(suite, "malformed", "task.yaml"), 5, "limits.max_steps"), (problem.GetProperty("file").GetString(), problem.GetProperty("line").GetInt32(), problem.GetProperty("field").GetString()));
        Assert.Contains($"malformed  {Path.Combine(suite, "malformed", "task.yaml")}:5: field 'limits.max_steps'", result.Stderr, StringComparison.Ordinal);

        var markdown = await File.ReadAllTextAsync(Path.Combine(output, "report.md"), TestContext.Current.CancellationToken);
        Assert.Contains("skipped: needs Docker: the instruction", markdown, StringComparison.Ordinal);
        Assert.Contains("solution.sh was refused by the policy", markdown, StringComparison.Ordinal);
        Assert.Contains("malformed/task.yaml:5: field 'limits.max_steps'", markdown, StringComparison.Ordinal);
        Assert.Contains("malformed/task.yaml:5: field &#39;limits.max_steps&#39;", await File.ReadAllTextAsync(Path.Combine(output, "report.html"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_UnknownTaskName_IsAUsageError()
    {
        var result = await _rein.RunAsync("eval", Suite, "--model", "scripted", "--task", "nope");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("No task named nope", result.Stderr, StringComparison.Ordinal);
    }
}
