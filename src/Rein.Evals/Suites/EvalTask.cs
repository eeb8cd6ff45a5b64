namespace Rein.Evals.Suites;

/// <summary>How a task folder is laid out.</summary>
public enum EvalTaskLayout
{
    /// <summary>Rein's layout: <c>task.yaml</c> with <c>instruction</c> and <c>grader</c>, the starting workspace in <c>workspace/</c>.</summary>
    Rein,

    /// <summary>The Terminal-Bench layout: <c>task.yaml</c> with <c>instruction</c>, <c>tests/</c> and <c>run-tests.sh</c>; the task folder is the workspace.</summary>
    TerminalBench,
}

/// <summary>The limits of one trial of a task (<c>limits</c> in <c>task.yaml</c>); a null value leaves the run's default.</summary>
/// <param name="MaxSteps">Most model calls (<c>max_steps</c>).</param>
/// <param name="MaxTokens">Most input + output tokens (<c>max_tokens</c>).</param>
/// <param name="MaxCostUsd">Most US dollars (<c>max_cost</c> or <c>max_cost_usd</c>).</param>
/// <param name="Timeout">Longest time the agent may work (<c>timeout</c>: seconds or a duration such as <c>90s</c>, <c>5m</c>).</param>
/// <param name="GraderTimeout">Longest time each grader command may run (<c>grader_timeout</c>).</param>
public sealed record EvalLimits(int? MaxSteps = null, long? MaxTokens = null, decimal? MaxCostUsd = null, TimeSpan? Timeout = null, TimeSpan? GraderTimeout = null)
{
    /// <summary>Gets limits that leave every default.</summary>
    public static EvalLimits None { get; } = new();
}

/// <summary>One task of a suite, as loaded from its folder.</summary>
/// <param name="Name">The task's name: its folder's path relative to the suite, with <c>/</c> separators.</param>
/// <param name="Directory">The task folder (absolute).</param>
/// <param name="Layout">How the folder is laid out.</param>
/// <param name="Instruction">What the agent is asked to do.</param>
/// <param name="Grader">The shell commands run in the finished workspace; all must exit 0 for the trial to pass.</param>
/// <param name="Limits">The trial limits.</param>
/// <param name="Tags">The task's tags.</param>
public sealed record EvalTask(string Name, string Directory, EvalTaskLayout Layout, string Instruction, IReadOnlyList<string> Grader, EvalLimits Limits, IReadOnlyList<string> Tags)
{
    /// <summary>Gets why the task cannot run here (for example it needs Docker), or null when it can.</summary>
    public string? SkipReason { get; init; }

    /// <summary>Gets the scripted turns used with <c>--model scripted</c> (<c>solution.json</c>), or null when the task has none.</summary>
    public string? SolutionFile => File.Exists(Path.Combine(Directory, "solution.json")) ? Path.Combine(Directory, "solution.json") : null;

    /// <summary>Gets the Terminal-Bench shell solution (<c>solution.sh</c>), run as one shell call with <c>--model scripted</c>, or null.</summary>
    public string? SolutionScript => Layout == EvalTaskLayout.TerminalBench && File.Exists(Path.Combine(Directory, "solution.sh")) ? Path.Combine(Directory, "solution.sh") : null;
}
