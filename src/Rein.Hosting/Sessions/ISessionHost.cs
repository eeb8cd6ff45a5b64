using Rein.Engine;

namespace Rein.Hosting.Sessions;

/// <summary>
/// Runs sessions for every surface: starts them, sends messages, cancels, answers approvals, rewinds, and streams a
/// session's events. At most one runner is active per session; runs go on in the background after a call returns.
/// </summary>
/// <remarks>Implementations are thread-safe. The journal is the only state that matters: a session started by one host
/// (or by another process on the same store) can be continued, answered and watched by another.</remarks>
public interface ISessionHost
{
    /// <summary>Starts a session and runs its first message in the background.</summary>
    /// <param name="request">What to run, where and as whom.</param>
    /// <param name="cancellationToken">Cancels starting it (not the run).</param>
    /// <returns>The new session's id and status.</returns>
    /// <exception cref="WorkspaceOutsideRootsException">The workspace is outside every allowed root.</exception>
    ValueTask<SessionTicket> StartAsync(StartSessionRequest request, CancellationToken cancellationToken = default);

    /// <summary>Sends a message to a session that is not running; it runs in the background.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="request">The message and who sends it.</param>
    /// <param name="cancellationToken">Cancels sending it (not the run).</param>
    /// <returns>The session's id and status.</returns>
    /// <exception cref="Journal.SessionNotFoundException">No such session.</exception>
    /// <exception cref="SessionBusyException">The session is running.</exception>
    ValueTask<SessionTicket> SendAsync(string sessionId, SendMessageRequest request, CancellationToken cancellationToken = default);

    /// <summary>Cancels the session's active run, if any; the run journals its stop.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Whether a run was active here and was told to stop.</returns>
    /// <exception cref="Journal.SessionNotFoundException">No such session.</exception>
    ValueTask<bool> CancelAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Answers a tool call waiting for approval; a session that waits for nothing else then resumes in the background.</summary>
    /// <param name="request">The call and the answer.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The decision as journaled.</returns>
    ValueTask<ApprovalOutcome> AnswerApprovalAsync(AnswerApprovalRequest request, CancellationToken cancellationToken = default);

    /// <summary>Rewinds a session that is not running: its workspace and conversation go back to before a step.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="request">Where to go back to.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>What was rewound.</returns>
    /// <exception cref="SessionBusyException">The session is running.</exception>
    ValueTask<RewindOutcome> RewindAsync(string sessionId, RewindRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams a session: its stored events after <paramref name="afterSequence"/> as <see cref="EventAppended"/>, then live
    /// ones as they are journaled (by this host or any other writer of the store), each once and in sequence order, with
    /// <see cref="TextDelta"/> and <see cref="ToolProgress"/> from a run this host is doing. Ends when cancelled.
    /// </summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="afterSequence">The last sequence number the caller has; 0 for all.</param>
    /// <param name="cancellationToken">Ends the stream.</param>
    /// <returns>The session's updates.</returns>
    /// <exception cref="Journal.SessionNotFoundException">No such session.</exception>
    IAsyncEnumerable<AgentUpdate> WatchAsync(string sessionId, long afterSequence = 0, CancellationToken cancellationToken = default);

    /// <summary>Waits until this host has no active run for the session.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The session's id and status once it stopped.</returns>
    ValueTask<SessionTicket> WaitAsync(string sessionId, CancellationToken cancellationToken = default);
}
