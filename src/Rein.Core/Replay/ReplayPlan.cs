using Rein.Engine;
using Rein.Journal;

namespace Rein.Replay;

/// <summary>
/// What a replay feeds the loop, read from a recorded journal: the model's answers, and the runs in order (each started
/// by a user message or a resume) with the approval answers given in between.
/// </summary>
/// <remarks>
/// An approval answered while the run waited (at a terminal) is answered the same way during the replay by
/// <see cref="RecordedApprovalChannel"/>; one answered later (<c>rein approvals</c>, while the session was suspended) is
/// journaled before the replay's next run, as it was then. Hooks at session start, prompt submission and stop are not
/// re-run; tool hooks are, as part of the tool pipeline.
/// </remarks>
public sealed class ReplayPlan
{
    private ReplayPlan(SessionStarted started, IReadOnlyList<ModelCalled> modelCalls, IReadOnlyList<ReplayRun> runs, IReadOnlyDictionary<string, ApprovalDecided> inlineApprovals, string? permissionMode, int subAgents, int compactions)
    {
        Started = started;
        ModelCalls = modelCalls;
        Runs = runs;
        InlineApprovals = inlineApprovals;
        PermissionMode = permissionMode;
        SubAgents = subAgents;
        Compactions = compactions;
    }

    /// <summary>Gets the recorded session's first event.</summary>
    public SessionStarted Started { get; }

    /// <summary>Gets the model's recorded answers, in order.</summary>
    public IReadOnlyList<ModelCalled> ModelCalls { get; }

    /// <summary>Gets the runs to drive, in order.</summary>
    public IReadOnlyList<ReplayRun> Runs { get; }

    /// <summary>Gets the approval answers given while a run waited, by call id.</summary>
    public IReadOnlyDictionary<string, ApprovalDecided> InlineApprovals { get; }

    /// <summary>Gets the permission mode of the first recorded policy decision, if any.</summary>
    public string? PermissionMode { get; }

    /// <summary>Gets how many sub-agents the session started (<c>task</c>); a replay cannot re-run them from this journal alone.</summary>
    public int SubAgents { get; }

    /// <summary>Gets how many times the session compacted its context (the summaries came from the model, outside the journal).</summary>
    public int Compactions { get; }

    /// <summary>Reads a plan from a recorded journal.</summary>
    /// <param name="events">The whole journal, in order.</param>
    /// <returns>The plan.</returns>
    /// <exception cref="ArgumentException">The journal does not start with <see cref="SessionStarted"/>.</exception>
    public static ReplayPlan From(IReadOnlyList<SessionEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0 || events[0] is not SessionStarted started)
        {
            throw new ArgumentException("A journal starts with SessionStarted.", nameof(events));
        }

        var runs = new List<ReplayRun>();
        var inline = new Dictionary<string, ApprovalDecided>(StringComparer.Ordinal);
        var between = new List<ApprovalDecided>();
        ReplayRun? current = null;
        var modelCalledInRun = false;
        string? mode = null;
        var subAgents = 0;
        var compactions = 0;
        foreach (var e in events)
        {
            switch (e)
            {
                case UserMessage message when current is not null && !modelCalledInRun && current.Message is null:
                    // A resume with a message journals SessionResumed first, then the message: one run.
                    current = current with { Message = message.Text };
                    runs[^1] = current;
                    break;
                case UserMessage message:
                    current = Start(message.Text);
                    break;
                case SessionResumed:
                    // Also after a crash, when the previous run never journaled its stop.
                    current = Start(null);
                    break;
                case SessionEnded or SessionSuspended:
                    current = null;
                    break;
                case ModelCalled:
                    modelCalledInRun = true;
                    break;
                case ApprovalDecided decided when current is not null:
                    inline[decided.CallId] = decided;
                    break;
                case ApprovalDecided decided:
                    between.Add(decided);
                    break;
                case PolicyDecided decided:
                    mode ??= decided.Mode;
                    break;
                case SubAgentStarted:
                    subAgents++;
                    break;
                case ContextCompacted:
                    compactions++;
                    break;
                default:
                    break;
            }
        }

        return new ReplayPlan(started, [.. events.OfType<ModelCalled>()], runs, inline, mode, subAgents, compactions);

        ReplayRun Start(string? message)
        {
            var run = new ReplayRun(message, [.. between]);
            between.Clear();
            runs.Add(run);
            modelCalledInRun = false;
            return run;
        }
    }
}

/// <summary>One run of a recorded session: what started it.</summary>
/// <param name="Message">The user message that started it, or <see langword="null"/> for a resume without one.</param>
/// <param name="ApprovalsBefore">Approval answers given while the session was suspended before this run, in order.</param>
public sealed record ReplayRun(string? Message, IReadOnlyList<ApprovalDecided> ApprovalsBefore);

/// <summary>Answers approval requests the way they were answered in a recorded session (by call id).</summary>
/// <param name="answers">The recorded answers given while a run waited (<see cref="ReplayPlan.InlineApprovals"/>).</param>
/// <remarks>A request without a recorded answer gets none: the replay suspends as the recording did.</remarks>
public sealed class RecordedApprovalChannel(IReadOnlyDictionary<string, ApprovalDecided> answers) : IApprovalChannel
{
    /// <inheritdoc />
    public ValueTask<ApprovalAnswer?> AskAsync(ApprovalRequested request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ValueTask.FromResult(answers.TryGetValue(request.CallId, out var decided)
            ? new ApprovalAnswer(decided.Decision, decided.By, decided.Reason)
            : null);
    }
}
