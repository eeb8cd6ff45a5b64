using Rein.Evals.Suites;

namespace Rein.Evals.Running;

/// <summary>Runs the agent on one trial of a task, in-process, until it stops.</summary>
/// <remarks>Implementations must be safe to call concurrently: trials run in parallel.</remarks>
public interface IEvalAgent
{
    /// <summary>Runs the agent in the trial's workspace until it finishes or a limit stops it.</summary>
    /// <param name="request">What to run, where, with which model and limits.</param>
    /// <param name="cancellationToken">Cancelled when the trial's time is up or the run is interrupted.</param>
    /// <returns>How the session went. A stop for a limit or a model failure is a result, not an exception.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task<EvalAgentResult> RunAsync(EvalAgentRequest request, CancellationToken cancellationToken = default);
}

/// <summary>One trial for the agent to run.</summary>
/// <param name="RunId">The eval run (recorded with the session so it can be found in the store).</param>
/// <param name="Task">The task.</param>
/// <param name="Trial">The 1-based trial number.</param>
/// <param name="Workspace">The trial's fresh workspace (absolute).</param>
/// <param name="Model">The model specification for this trial (with <c>--model scripted</c>, <c>scripted:</c> and the task's solution file).</param>
/// <param name="Limits">The task's limits; null values leave the run's defaults.</param>
public sealed record EvalAgentRequest(string RunId, EvalTask Task, int Trial, string Workspace, string Model, EvalLimits Limits)
{
    /// <summary>
    /// Gets the longest a <c>shell</c> call may run, or null for the tool's own limits. Set for a scripted
    /// <c>solution.sh</c>, which gets its task's agent timeout even when that is longer than the tool's maximum.
    /// </summary>
    public TimeSpan? ShellTimeout { get; init; }
}

/// <summary>How the agent's session for one trial went.</summary>
/// <param name="SessionId">The journaled session, or null when none was started.</param>
/// <param name="Steps">Model calls made.</param>
/// <param name="InputTokens">Input tokens used.</param>
/// <param name="OutputTokens">Output tokens used.</param>
/// <param name="CostUsd">US dollars spent, by the price table.</param>
/// <param name="StopReason">Why the session stopped (see <c>Rein.Journal.StopReason</c>); <c>completed</c> when the agent finished.</param>
/// <param name="Detail">More about the stop, if any.</param>
public sealed record EvalAgentResult(string? SessionId, int Steps, long InputTokens, long OutputTokens, decimal CostUsd, string StopReason, string? Detail = null)
{
    /// <summary>Gets how each tool call of the session ended, in order; empty when unknown.</summary>
    public IReadOnlyList<EvalToolCall> ToolCalls { get; init; } = [];
}

/// <summary>How one tool call of a trial ended.</summary>
/// <param name="Name">The tool, e.g. <c>shell</c>.</param>
/// <param name="Status">One of <see cref="Completed"/>, <see cref="Refused"/>, <see cref="TimedOut"/>, <see cref="Killed"/> or <see cref="Failed"/>.</param>
/// <param name="Detail">Why, for anything but <see cref="Completed"/> (e.g. the policy's reason), or null.</param>
public sealed record EvalToolCall(string Name, string Status, string? Detail = null)
{
    /// <summary>The call ran to its end (a command's non-zero exit code included).</summary>
    public const string Completed = "completed";

    /// <summary>The policy refused the call; it did not run.</summary>
    public const string Refused = "refused";

    /// <summary>The call ran past its timeout and was killed.</summary>
    public const string TimedOut = "timed_out";

    /// <summary>The call was killed by a signal or interrupted.</summary>
    public const string Killed = "killed";

    /// <summary>The call failed otherwise (e.g. a command that could not start).</summary>
    public const string Failed = "failed";
}
