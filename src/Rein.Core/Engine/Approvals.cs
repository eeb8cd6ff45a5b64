using Rein.Journal;

namespace Rein.Engine;

/// <summary>
/// Asks a person to approve a tool call: a terminal prompt, a chat message, a web page. The request is
/// already journaled when the channel is asked, so an unanswered request survives the process.
/// </summary>
public interface IApprovalChannel
{
    /// <summary>Asks for a decision.</summary>
    /// <param name="request">The journaled request.</param>
    /// <param name="cancellationToken">Cancelled when the run is cancelled or the request expires.</param>
    /// <returns>
    /// The answer, or <see langword="null"/> when nobody can answer now (e.g. no terminal): the session then
    /// suspends with <see cref="StopReason.AwaitingApproval"/> and is answered later (<c>rein approvals</c>).
    /// </returns>
    ValueTask<ApprovalAnswer?> AskAsync(ApprovalRequested request, CancellationToken cancellationToken = default);
}

/// <summary>A person's answer to an approval request.</summary>
/// <param name="Decision">One of <see cref="ApprovalDecisions"/>.</param>
/// <param name="By">The principal who answered.</param>
/// <param name="Reason">Why; for a denial it is sent to the model.</param>
public sealed record ApprovalAnswer(string Decision, string By, string? Reason = null)
{
    /// <summary>Gets whether <see cref="By"/> is an owner of the store, who may answer any session's requests, not only as one of its approvers.</summary>
    public bool ByOwner { get; init; }
}

/// <summary>
/// Thrown by a tool-call stage when a call must wait for an approval nobody can give now. The loop leaves
/// the call pending (no result is journaled), finishes the step's other calls and suspends the session.
/// </summary>
/// <param name="callId">The waiting call.</param>
public sealed class ApprovalPendingException(string callId)
    : Exception($"Tool call {callId} is waiting for approval.")
{
    /// <summary>Gets the waiting call.</summary>
    public string CallId { get; } = callId;
}
