using Rein.Evals.Suites;
using Rein.Evals.Scoring;

namespace Rein.Evals.Running;

/// <summary>The outcome of one trial.</summary>
/// <param name="Trial">The 1-based trial number.</param>
/// <param name="Passed">Whether the agent completed and every grader command exited 0.</param>
/// <param name="SessionId">The agent's session in the store (for <c>rein trace</c>), if one was started.</param>
/// <param name="Steps">Model calls made.</param>
/// <param name="InputTokens">Input tokens used.</param>
/// <param name="OutputTokens">Output tokens used.</param>
/// <param name="CostUsd">US dollars spent.</param>
/// <param name="DurationSeconds">Wall-clock seconds, agent and graders.</param>
/// <param name="StopReason">Why the agent stopped: a <c>Rein.Journal.StopReason</c>, <c>timeout</c>, <c>no_solution</c> or <c>error</c>.</param>
/// <param name="FailureReason">Why the trial failed, or null when it passed.</param>
public sealed record EvalTrialResult(int Trial, bool Passed, string? SessionId, int Steps, long InputTokens, long OutputTokens, decimal CostUsd, double DurationSeconds, string StopReason, string? FailureReason)
{
    /// <summary>Gets the graders' per-test results, read from pytest's <c>-rA</c> summary lines; empty when the graders printed none.</summary>
    public IReadOnlyList<EvalTestResult> Tests { get; init; } = [];

    /// <summary>Gets input plus output tokens.</summary>
    public long Tokens => InputTokens + OutputTokens;
}

/// <summary>One test a grader ran, from a pytest <c>-rA</c> summary line such as <c>PASSED tests/test_outputs.py::test_x</c>.</summary>
/// <param name="Name">The test, e.g. <c>tests/test_outputs.py::test_x</c>.</param>
/// <param name="Outcome">The outcome in lower case: <c>passed</c>, <c>failed</c>, <c>error</c>, <c>skipped</c>, <c>xfail</c> or <c>xpass</c>.</param>
public sealed record EvalTestResult(string Name, string Outcome);

/// <summary>The outcome of one task over all its trials.</summary>
/// <param name="Name">The task's name.</param>
/// <param name="Tags">The task's tags.</param>
/// <param name="SkipReason">Why the task was not run, or null.</param>
/// <param name="Trials">The trials, in trial order (empty when skipped).</param>
public sealed record EvalTaskResult(string Name, IReadOnlyList<string> Tags, string? SkipReason, IReadOnlyList<EvalTrialResult> Trials)
{
    /// <summary>Gets how many trials passed.</summary>
    public int Passes => Trials.Count(t => t.Passed);

    /// <summary>Gets whether the task ran and every trial passed.</summary>
    public bool Passed => SkipReason is null && Trials.Count > 0 && Passes == Trials.Count;

    /// <summary>Gets the share of trials that passed (the unbiased pass@1), 0 when skipped.</summary>
    public double PassAt1 => PassAtK.Estimate(Trials.Count, Passes, 1);

    /// <summary>Gets pass@k for k = the number of trials, 0 when skipped (no trial ran).</summary>
    public double PassAtTrials => Trials.Count == 0 ? 0 : PassAtK.Estimate(Trials.Count, Passes, Trials.Count);

    /// <summary>Gets the mean tokens per trial.</summary>
    public double MeanTokens => Trials.Count == 0 ? 0 : Trials.Average(t => (double)t.Tokens);

    /// <summary>Gets the mean cost per trial in US dollars.</summary>
    public decimal MeanCostUsd => Trials.Count == 0 ? 0 : Trials.Sum(t => t.CostUsd) / Trials.Count;

    /// <summary>Gets the mean steps per trial.</summary>
    public double MeanSteps => Trials.Count == 0 ? 0 : Trials.Average(t => t.Steps);

    /// <summary>Gets the mean seconds per trial.</summary>
    public double MeanDurationSeconds => Trials.Count == 0 ? 0 : Trials.Average(t => t.DurationSeconds);
}

/// <summary>The outcome of an eval run.</summary>
/// <param name="RunId">The run's id.</param>
/// <param name="Suite">The suite folder.</param>
/// <param name="Model">The model specification (<c>scripted</c> for each task's solution).</param>
/// <param name="Trials">Trials per task (the k of pass@k).</param>
/// <param name="StartedAt">When the run started.</param>
/// <param name="DurationSeconds">Wall-clock seconds of the whole run.</param>
/// <param name="Tasks">The tasks' outcomes, ordered by name.</param>
public sealed record EvalRunResult(string RunId, string Suite, string Model, int Trials, DateTimeOffset StartedAt, double DurationSeconds, IReadOnlyList<EvalTaskResult> Tasks)
{
    /// <summary>Gets the task folders whose <c>task.yaml</c> could not be loaded: reported, not run.</summary>
    public IReadOnlyList<EvalMalformedTask> Malformed { get; init; } = [];

    /// <summary>Gets the totals.</summary>
    public EvalSummary Summary => EvalSummary.Of(this);
}

/// <summary>The totals of a run. Skipped tasks count in <see cref="Skipped"/> only, malformed ones in <see cref="Malformed"/> only.</summary>
/// <param name="Total">Tasks run (passed + failed).</param>
/// <param name="Passed">Tasks whose every trial passed.</param>
/// <param name="Failed">Tasks with at least one failed trial.</param>
/// <param name="Skipped">Tasks not run (e.g. they need Docker).</param>
/// <param name="TrialsRun">Trials run.</param>
/// <param name="TrialsPassed">Trials passed.</param>
/// <param name="PassAt1">pass@1 averaged over the tasks run.</param>
/// <param name="PassAtK">pass@k for k = <paramref name="K"/>, averaged over the tasks run.</param>
/// <param name="K">The k of <paramref name="PassAtK"/>: the trials per task.</param>
/// <param name="InputTokens">Input tokens of all trials.</param>
/// <param name="OutputTokens">Output tokens of all trials.</param>
/// <param name="CostUsd">US dollars of all trials.</param>
public sealed record EvalSummary(int Total, int Passed, int Failed, int Skipped, int TrialsRun, int TrialsPassed, double PassAt1, double PassAtK, int K, long InputTokens, long OutputTokens, decimal CostUsd)
{
    /// <summary>Gets how many task folders could not be loaded (their <c>task.yaml</c> is invalid).</summary>
    public int Malformed { get; init; }

    /// <summary>Computes the totals of a run.</summary>
    /// <param name="run">The run.</param>
    /// <returns>The totals.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="run"/> is null.</exception>
    public static EvalSummary Of(EvalRunResult run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var ran = run.Tasks.Where(t => t.SkipReason is null).ToList();
        var trials = ran.SelectMany(t => t.Trials).ToList();
        return new EvalSummary(
            ran.Count,
            ran.Count(t => t.Passed),
            ran.Count(t => !t.Passed),
            run.Tasks.Count - ran.Count,
            trials.Count,
            trials.Count(t => t.Passed),
            Scoring.PassAtK.Average(ran.Select(t => (t.Trials.Count, t.Passes)), 1),
            Scoring.PassAtK.Average(ran.Select(t => (t.Trials.Count, t.Passes)), run.Trials),
            run.Trials,
            trials.Sum(t => t.InputTokens),
            trials.Sum(t => t.OutputTokens),
            trials.Sum(t => t.CostUsd))
        {
            Malformed = run.Malformed.Count,
        };
    }
}
