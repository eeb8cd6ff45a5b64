namespace Rein.Hosting.Sessions;

/// <summary>Starts a session.</summary>
/// <param name="Message">The first message.</param>
/// <param name="Workspace">The folder the session works in.</param>
public sealed record StartSessionRequest(string Message, string Workspace)
{
    /// <summary>Gets who starts it (budgets, memory, approvals); null for the host's own principal.</summary>
    public string? Principal { get; init; }

    /// <summary>Gets the agent profile; null for the host's default.</summary>
    public string? Agent { get; init; }

    /// <summary>Gets the model specification (e.g. <c>openai:gpt-5.5</c>); null for the host's default.</summary>
    public string? Model { get; init; }

    /// <summary>Gets the permission mode; null for the host's default.</summary>
    public string? Mode { get; init; }

    /// <summary>Gets where the session came from (e.g. <c>http</c>, <c>slack:T1/C1/1700000000.0001</c>), journaled.</summary>
    public string? Origin { get; init; }
}

/// <summary>Continues a session with a message.</summary>
/// <param name="Message">The message.</param>
public sealed record SendMessageRequest(string Message)
{
    /// <summary>Gets who sends it; null for the host's own principal.</summary>
    public string? Principal { get; init; }
}

/// <summary>Answers a tool call waiting for approval.</summary>
/// <param name="Reference">The call: <c>SESSION:CALL_ID</c> (any unique prefix of the session id) or a call id.</param>
/// <param name="Decision">One of <see cref="Journal.ApprovalDecisions"/>' approve-once, approve-for-session or deny.</param>
/// <param name="By">The principal answering; the session's approvers decide whether they may.</param>
public sealed record AnswerApprovalRequest(string Reference, string Decision, string By)
{
    /// <summary>Gets the session the call waits in, when <see cref="Reference"/> is a bare call id.</summary>
    public string? SessionId { get; init; }

    /// <summary>Gets why (sent to the model on a denial).</summary>
    public string? Reason { get; init; }

    /// <summary>Gets whether <see cref="By"/> is an owner, who may answer any session's requests (a server's owner role).</summary>
    public bool ByOwner { get; init; }
}

/// <summary>Rewinds a session's workspace (as <c>rein rewind</c>).</summary>
/// <param name="ToStep">Go back to just before this step's first change; null for before the session's first change.</param>
public sealed record RewindRequest(int? ToStep = null);

/// <summary>A session's id and status (<see cref="Journal.SessionStatus"/>).</summary>
/// <param name="Id">The session id.</param>
/// <param name="Status">Its status.</param>
public sealed record SessionTicket(string Id, string Status);

/// <summary>An answered approval.</summary>
/// <param name="SessionId">The session the call waited in.</param>
/// <param name="CallId">The call.</param>
/// <param name="Decision">The decision as journaled (a late answer to an expired request is a timeout).</param>
/// <param name="By">Who answered.</param>
/// <param name="Resumed">Whether the session was resumed by this answer.</param>
public sealed record ApprovalOutcome(string SessionId, string CallId, string Decision, string By, bool Resumed);

/// <summary>What a rewind did.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="ToStep">The step it went back to; null for before the session's first change.</param>
/// <param name="RestoredFiles">How many workspace files were restored.</param>
public sealed record RewindOutcome(string SessionId, int? ToStep, int RestoredFiles);

/// <summary>The session already has an active run.</summary>
/// <param name="sessionId">The session.</param>
public sealed class SessionBusyException(string sessionId)
    : InvalidOperationException($"Session {sessionId} is running; wait for it to stop or cancel it first.")
{
    /// <summary>Gets the session.</summary>
    public string SessionId { get; } = sessionId;
}

/// <summary>A workspace resolves (after <c>..</c> and links) outside every folder sessions may run in.</summary>
/// <param name="workspace">The workspace as given.</param>
/// <param name="roots">The allowed roots.</param>
public sealed class WorkspaceOutsideRootsException(string workspace, IReadOnlyList<string> roots)
    : UnauthorizedAccessException($"The workspace {workspace} is outside the folders sessions may run in: {string.Join(", ", roots)}.")
{
    /// <summary>Gets the allowed roots.</summary>
    public IReadOnlyList<string> Roots { get; } = roots;
}
