namespace Rein.Journal;

/// <summary>Stable snake_case session statuses, derived from the last status-changing event.</summary>
public static class SessionStatus
{
    /// <summary>The agent is working (a live writer holds the session).</summary>
    public const string Running = "running";

    /// <summary>
    /// The journal says running but no live process holds the session's writer lease: it crashed or was
    /// killed mid-run. Reported by stores in listings (never journaled); resume it to continue.
    /// </summary>
    public const string Interrupted = "interrupted";

    /// <summary>The session was paused (e.g. Ctrl-C) and can be resumed.</summary>
    public const string Suspended = "suspended";

    /// <summary>A tool call waits for a person's approval (<c>rein approvals list</c>); the session resumes once answered.</summary>
    public const string AwaitingApproval = "awaiting_approval";

    /// <summary>The agent finished its task; the session can take another message.</summary>
    public const string Completed = "completed";

    /// <summary>The agent stopped without finishing (step limit, model error, exhausted script).</summary>
    public const string Stopped = "stopped";

    /// <summary>Gets the status after an event, given the status before it.</summary>
    /// <param name="current">The status before the event.</param>
    /// <param name="sessionEvent">The event.</param>
    /// <returns>The status after the event.</returns>
    public static string After(string current, SessionEvent sessionEvent) => sessionEvent switch
    {
        SessionStarted or UserMessage or SessionResumed => Running,
        SessionSuspended { Reason: StopReason.AwaitingApproval } => AwaitingApproval,
        SessionSuspended => Suspended,
        SessionEnded { Reason: StopReason.Completed or StopReason.UserExit } => Completed,
        SessionEnded => Stopped,
        _ => current,
    };
}
