using Microsoft.Extensions.AI;

namespace Rein.Engine;

/// <summary>
/// Checks each step before the model is called, e.g. budgets: a guard may stop the run before anything
/// expensive happens. Guards journal their own facts (warnings, the reason for a stop) through the session.
/// </summary>
/// <remarks>Guards run in the order added, one step at a time; the first that stops the run wins.</remarks>
public interface IStepGuard
{
    /// <summary>Decides whether the next model call may be made.</summary>
    /// <param name="context">The session, the step and the messages about to be sent.</param>
    /// <param name="cancellationToken">A token to cancel the check.</param>
    /// <returns><see cref="StepVerdict.Continue"/>, or a stop with a stable reason.</returns>
    ValueTask<StepVerdict> BeforeModelCallAsync(StepGuardContext context, CancellationToken cancellationToken = default);
}

/// <summary>What a <see cref="IStepGuard"/> sees before a model call.</summary>
/// <param name="Session">The session's writer (its <see cref="SessionWriter.State"/> has the totals so far).</param>
/// <param name="Step">The step about to run (1-based, over the whole session).</param>
/// <param name="StepsThisRun">The steps this run has made before this one.</param>
/// <param name="RunStartedAt">When this run started, as a <see cref="TimeProvider"/> timestamp.</param>
/// <param name="Messages">The messages about to be sent.</param>
/// <param name="Tools">The tools declared to the model.</param>
/// <param name="ModelId">The model identifier, when configured.</param>
/// <param name="MaxOutputTokens">The output-token cap of the call, when configured.</param>
public sealed record StepGuardContext(
    SessionWriter Session,
    int Step,
    int StepsThisRun,
    long RunStartedAt,
    IReadOnlyList<ChatMessage> Messages,
    IReadOnlyList<AITool> Tools,
    string? ModelId,
    int? MaxOutputTokens);

/// <summary>A guard's verdict: continue, or stop the run.</summary>
/// <param name="StopReason">The stable snake_case stop reason, or <see langword="null"/> to continue.</param>
/// <param name="Detail">Why, for the user.</param>
public sealed record StepVerdict(string? StopReason, string? Detail = null)
{
    /// <summary>Gets the verdict that lets the step run.</summary>
    public static StepVerdict Continue { get; } = new(StopReason: null, Detail: null);

    /// <summary>Gets whether the run must stop.</summary>
    public bool Stops => StopReason is not null;

    /// <summary>Creates a verdict that stops the run.</summary>
    /// <param name="reason">The stable snake_case stop reason, e.g. <c>budget_exceeded</c>.</param>
    /// <param name="detail">Why, for the user.</param>
    /// <returns>The verdict.</returns>
    public static StepVerdict Stop(string reason, string detail) => new(reason, detail);
}
