using Rein.Engine;
using Rein.Journal;

namespace Rein.Guard.Approvals;

/// <summary>An approval request waiting for an answer, with its session.</summary>
/// <param name="SessionId">The session that waits.</param>
/// <param name="Workspace">The session's workspace.</param>
/// <param name="Request">The request.</param>
/// <param name="RequestedAt">When it was journaled.</param>
/// <param name="Expired">Whether it has passed its expiry (answering it counts as a timeout).</param>
/// <param name="Approvers">Who may answer it, as journaled at the session's start; <see langword="null"/> for sessions journaled before that was recorded.</param>
public sealed record PendingApproval(string SessionId, string Workspace, ApprovalRequested Request, DateTimeOffset RequestedAt, bool Expired, IReadOnlyList<string>? Approvers = null);

/// <summary>Thrown when an approval cannot be answered: not found, ambiguous, expired, or the principal may not approve.</summary>
/// <param name="message">What went wrong and what to do.</param>
public sealed class ApprovalException(string message) : InvalidOperationException(message);

/// <summary>Lists and answers approval requests of sessions waiting in the background (<c>rein approvals</c>).</summary>
/// <param name="store">The session store.</param>
/// <param name="timeProvider">The clock; <see langword="null"/> for the system clock.</param>
public sealed class ApprovalInbox(ISessionStore store, TimeProvider? timeProvider = null)
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>Lists unanswered requests of sessions that wait for approval, oldest first.</summary>
    /// <param name="cancellationToken">A token to cancel the listing.</param>
    /// <returns>The requests.</returns>
    public async ValueTask<IReadOnlyList<PendingApproval>> ListAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<PendingApproval>();
        foreach (var summary in await store.ListAsync(10_000, cancellationToken).ConfigureAwait(false))
        {
            if (summary.Status != SessionStatus.AwaitingApproval)
            {
                continue;
            }

            var events = await store.ReadAsync(summary.Id, 0, cancellationToken).ConfigureAwait(false);
            var state = SessionState.Fold(events);
            var times = events.Where(e => e.Event is ApprovalRequested).ToDictionary(e => ((ApprovalRequested)e.Event).CallId, e => e.Timestamp, StringComparer.Ordinal);
            var now = _time.GetUtcNow();
            result.AddRange(state.OpenApprovals.Select(r => new PendingApproval(
                summary.Id, summary.Workspace, r, times.GetValueOrDefault(r.CallId), r.ExpiresAt is { } at && now >= at, state.Approvals?.Approvers)));
        }

        return [.. result.OrderBy(p => p.RequestedAt)];
    }

    /// <summary>Answers one request: journals <see cref="ApprovalDecided"/> in its session (taking the session's writer lease).</summary>
    /// <param name="callId">The request's call identifier, or a unique prefix of it.</param>
    /// <param name="answer">The answer.</param>
    /// <param name="options">
    /// Who may approve a session that did not journal its approvers at start (older journals); a session that did is judged by
    /// its own (<see cref="ApprovalOptions.For"/>).
    /// </param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>The request answered and the decision journaled (a timeout when it had expired).</returns>
    /// <exception cref="ApprovalException">No such request, more than one match, or the principal may not approve.</exception>
    /// <exception cref="SessionBusyException">The session is being run by another process.</exception>
    public async ValueTask<(PendingApproval Request, ApprovalDecided Decided)> AnswerAsync(
        string callId, ApprovalAnswer answer, ApprovalOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(callId);
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(options);
        var pending = await ListAsync(cancellationToken).ConfigureAwait(false);
        var matches = pending.Where(p => p.Request.CallId.StartsWith(callId, StringComparison.Ordinal)).ToList();
        var exact = matches.Where(p => p.Request.CallId == callId).ToList();
        matches = exact.Count > 0 ? exact : matches;
        if (matches.Count == 0)
        {
            throw new ApprovalException($"No approval request '{callId}' is waiting. See the waiting ones with: rein approvals list");
        }

        if (matches.Count > 1)
        {
            throw new ApprovalException($"'{callId}' matches several waiting requests ({string.Join(", ", matches.Select(m => $"{m.Request.CallId} in {m.SessionId}"))}); give the whole call id.");
        }

        var target = matches[0];
        var lease = await store.AcquireWriterAsync(target.SessionId, cancellationToken).ConfigureAwait(false);
        await using (lease.ConfigureAwait(false))
        {
            return await AnswerAsync(target, answer, options, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<(PendingApproval Request, ApprovalDecided Decided)> AnswerAsync(
        PendingApproval target, ApprovalAnswer answer, ApprovalOptions options, CancellationToken cancellationToken)
    {
        using var session = await SessionWriter.OpenAsync(store, target.SessionId, cancellationToken).ConfigureAwait(false);
        // The approvers the session was started with decide, not the settings of the folder the answer comes from.
        var approvers = options.For(session.State);
        if (!approvers.MayApprove(answer.By))
        {
            throw new ApprovalException(
                $"{answer.By} may not answer approval requests of session {target.SessionId} (its approvers: {approvers.DescribeApprovers()}). " +
                $"To answer as one of them, add --as NAME and give that principal's token in REIN_TOKEN or on standard input.");
        }

        if (session.State.ApprovalAnswers.ContainsKey(target.Request.CallId) || !session.State.ApprovalRequests.ContainsKey(target.Request.CallId))
        {
            throw new ApprovalException($"Approval request '{target.Request.CallId}' was answered meanwhile.");
        }

        var expiresAt = target.Request.ExpiresAt;
        var decided = expiresAt is { } at && _time.GetUtcNow() >= at
            ? new ApprovalDecided(target.Request.CallId, ApprovalDecisions.Timeout, "timeout", $"nobody answered before {at:u}")
            : new ApprovalDecided(
                target.Request.CallId,
                answer.Decision,
                answer.By,
                answer.Reason,
                answer.Decision == ApprovalDecisions.ApproveSession ? target.Request.SuggestedRule ?? target.Request.Tool : null);
        await session.AppendAsync(decided, AppendDurability.Flushed, cancellationToken).ConfigureAwait(false);
        return (target, decided);
    }
}
