using Rein.Guard.Sandbox;
using Rein.Tools;

namespace Rein.Evals.Running;

/// <summary>How an eval run goes: model, trials, parallelism, timeouts and where graders run.</summary>
/// <remarks>Not thread-safe while being changed; read once when the run starts.</remarks>
public sealed class EvalRunOptions
{
    /// <summary>The model specification meaning "each task's own solution file".</summary>
    public const string ScriptedSolutions = "scripted";

    /// <summary>Gets or sets the model specification: <see cref="ScriptedSolutions"/>, or any spec used as-is for every task. Required.</summary>
    public string Model { get; set; } = "";

    /// <summary>Gets or sets the run id, recorded with every session. Defaults to a new time-ordered id.</summary>
    public string RunId { get; set; } = "";

    /// <summary>Gets or sets the trials per task (the k of pass@k). Defaults to 1.</summary>
    public int Trials { get; set; } = 1;

    /// <summary>Gets or sets how many trials run at once. Defaults to 1.</summary>
    public int Parallel { get; set; } = 1;

    /// <summary>Gets or sets how long the agent may work on a trial when its task sets no <c>timeout</c>. Defaults to 30 minutes.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Gets or sets how long past its timeout a trial's agent is cancelled (its time budget stops it at the next step first). Defaults to 10 seconds.</summary>
    public TimeSpan TimeoutGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how long each grader command may run when its task sets no <c>grader_timeout</c>. Defaults to 120 seconds.</summary>
    public TimeSpan DefaultGraderTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Gets or sets what runs grader commands in a trial's workspace (the argument). Defaults to a
    /// <see cref="BubblewrapCommandRunner"/> confined to that workspace.
    /// </summary>
    public Func<string, ICommandRunner> GraderRunner { get; set; } = workspace => new BubblewrapCommandRunner(workspace);

    /// <summary>Gets or sets a callback for each finished trial, called one at a time. Defaults to none.</summary>
    public Action<EvalTrialProgress>? Progress { get; set; }

    /// <summary>Gets or sets the clock. Defaults to <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}

/// <summary>A finished trial, for progress output.</summary>
/// <param name="Task">The task's name.</param>
/// <param name="Result">The trial's outcome.</param>
/// <param name="Completed">Trials finished so far, this one included.</param>
/// <param name="Total">Trials in the run.</param>
public sealed record EvalTrialProgress(string Task, EvalTrialResult Result, int Completed, int Total);
