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
public sealed record PendingApproval(string SessionId, string Workspace, ApprovalRequested Request, DateTimeOffset RequestedAt, bool Expired, IReadOnlyList<string>? Approvers = null)
{
    /// <summary>
    /// Gets how a person names the request: <c>SESSION:CALL_ID</c>. Call ids come from the model provider and repeat across
    /// sessions (<c>call_2_1</c>), so the session is part of the name; <see cref="ApprovalInbox.ListAsync"/> shortens it to a
    /// prefix (see <see cref="ApprovalInbox.ShortSessionLength"/>). Default: the whole session id.
    /// </summary>
    public string Reference { get; init; } = $"{SessionId}:{Request.CallId}";
}

/// <summary>Thrown when an approval cannot be answered: not found, expired, or the principal may not approve.</summary>
/// <param name="message">What went wrong and what to do.</param>
public sealed class ApprovalException(string message) : InvalidOperationException(message);

/// <summary>Thrown when what a person typed names more than one waiting request (the same call id in several sessions).</summary>
/// <param name="message">What matched and how to name one.</param>
/// <param name="references">The <see cref="PendingApproval.Reference"/> of every match.</param>
public sealed class AmbiguousApprovalException(string message, IReadOnlyList<string> references) : ArgumentException(message)
{
    /// <summary>Gets the <see cref="PendingApproval.Reference"/> of every match.</summary>
    public IReadOnlyList<string> References { get; } = references;
}

/// <summary>Lists and answers approval requests of sessions waiting in the background (<c>rein approvals</c>).</summary>
/// <param name="store">The session store.</param>
/// <param name="timeProvider">The clock; <see langword="null"/> for the system clock.</param>
public sealed class ApprovalInbox(ISessionStore store, TimeProvider? timeProvider = null)
{
    /// <summary>The fewest session id characters a <see cref="PendingApproval.Reference"/> shows, as <c>rein sessions list</c> does.</summary>
    public const int ShortSessionLength = 16;

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>Lists unanswered requests of sessions that wait for approval, oldest first.</summary>
    /// <param name="cancellationToken">A token to cancel the listing.</param>
    /// <returns>
    /// The requests, each with a <see cref="PendingApproval.Reference"/> whose session part is <see cref="ShortSessionLength"/>
    /// characters, or longer where two waiting sessions share that prefix.
    /// </returns>
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
            var times = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
            foreach (var e in events)
            {
                if (e.Event is ApprovalRequested requested)
                {
                    // A provider may reuse a call id within one session; the open request is the latest.
                    times[requested.CallId] = e.Timestamp;
                }
            }

            var now = _time.GetUtcNow();
            result.AddRange(state.OpenApprovals.Select(r => new PendingApproval(
                summary.Id, summary.Workspace, r, times.GetValueOrDefault(r.CallId), r.ExpiresAt is { } at && now >= at, state.Approvals?.Approvers)));
        }

        var sessions = result.Select(p => p.SessionId).Distinct(StringComparer.Ordinal).ToList();
        return [.. result.OrderBy(p => p.RequestedAt).Select(p => p with { Reference = $"{Shorten(p.SessionId, sessions)}:{p.Request.CallId}" })];
    }

    /// <summary>Finds the one waiting request a person named.</summary>
    /// <param name="pending">The waiting requests (<see cref="ListAsync"/>).</param>
    /// <param name="reference">
    /// <c>SESSION:CALL_ID</c>, where SESSION is a session id or a prefix of it; or a bare call id. A call id may also be a
    /// prefix; an exact call id wins over longer ones it begins.
    /// </param>
    /// <param name="session">Only requests of sessions whose id starts with this (<c>--session</c>); <see langword="null"/> for all.</param>
    /// <returns>The request.</returns>
    /// <exception cref="ApprovalException">Nothing waiting matches.</exception>
    /// <exception cref="AmbiguousApprovalException">Several waiting requests match, e.g. a call id waiting in several sessions.</exception>
    public static PendingApproval Find(IReadOnlyList<PendingApproval> pending, string reference, string? session = null)
    {
        ArgumentNullException.ThrowIfNull(pending);
        ArgumentException.ThrowIfNullOrEmpty(reference);
        var candidates = session is null ? pending : [.. pending.Where(p => p.SessionId.StartsWith(session, StringComparison.Ordinal))];
        if (session is not null && candidates.Count == 0)
        {
            throw new ApprovalException($"No session starting with '{session}' is waiting for approval. See the waiting calls with: rein approvals list");
        }

        // Call ids may contain ':' themselves (some providers write "functions.shell:0"), so the whole text is also tried as one.
        var colon = reference.IndexOf(':', StringComparison.Ordinal);
        var sessionPart = colon > 0 ? reference[..colon] : null;
        var callPart = colon > 0 ? reference[(colon + 1)..] : null;
        var matches = new List<(PendingApproval Pending, bool Exact)>();
        foreach (var p in candidates)
        {
            var callId = p.Request.CallId;
            if (callId.StartsWith(reference, StringComparison.Ordinal))
            {
                matches.Add((p, callId.Length == reference.Length));
            }
            else if (sessionPart is not null && callPart!.Length > 0 && p.SessionId.StartsWith(sessionPart, StringComparison.Ordinal)
                && callId.StartsWith(callPart, StringComparison.Ordinal))
            {
                matches.Add((p, callId.Length == callPart.Length));
            }
        }

        var chosen = matches.Any(m => m.Exact) ? [.. matches.Where(m => m.Exact).Select(m => m.Pending)] : matches.Select(m => m.Pending).ToList();
        switch (chosen.Count)
        {
            case 0:
                var where = session is null ? "" : $" in a session starting with '{session}'";
                throw new ApprovalException($"No approval request '{reference}' is waiting{where}. See the waiting ones with: rein approvals list");
            case 1:
                return chosen[0];
            default:
                var references = chosen.Select(m => m.Reference).ToList();
                throw new AmbiguousApprovalException(
                    $"'{reference}' matches {references.Count} waiting requests: {string.Join(", ", references)}. Name one as SESSION:CALL_ID, e.g. rein approvals approve {references[0]}",
                    references);
        }
    }

    private static string Shorten(string sessionId, List<string> sessions)
    {
        var length = Math.Min(ShortSessionLength, sessionId.Length);
        while (length < sessionId.Length && sessions.Any(s => s != sessionId && s.StartsWith(sessionId[..length], StringComparison.Ordinal)))
        {
            length++;
        }

        return sessionId[..length];
    }

    /// <summary>Answers one request: journals <see cref="ApprovalDecided"/> in its session (taking the session's writer lease).</summary>
    /// <param name="reference">The request as <see cref="Find"/> reads it: <c>SESSION:CALL_ID</c> or a call id, either may be a prefix.</param>
    /// <param name="answer">The answer.</param>
    /// <param name="options">
    /// Who may approve a session that did not journal its approvers at start (older journals); a session that did is judged by
    /// its own (<see cref="ApprovalOptions.For"/>).
    /// </param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>The request answered and the decision journaled (a timeout when it had expired).</returns>
    /// <exception cref="ApprovalException">No such request, or the principal may not approve.</exception>
    /// <exception cref="AmbiguousApprovalException">More than one request matches.</exception>
    /// <exception cref="SessionBusyException">The session is being run by another process.</exception>
    public async ValueTask<(PendingApproval Request, ApprovalDecided Decided)> AnswerAsync(
        string reference, ApprovalAnswer answer, ApprovalOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        var target = Find(await ListAsync(cancellationToken).ConfigureAwait(false), reference);
        return await AnswerAsync(target, answer, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Answers a request found with <see cref="Find"/>: journals <see cref="ApprovalDecided"/> in its session (taking the session's writer lease).</summary>
    /// <param name="target">The request.</param>
    /// <param name="answer">The answer.</param>
    /// <param name="options">Who may approve a session that did not journal its approvers at start (see the other overload).</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>The request answered and the decision journaled (a timeout when it had expired).</returns>
    /// <exception cref="ApprovalException">The principal may not approve, or the request was answered meanwhile.</exception>
    /// <exception cref="SessionBusyException">The session is being run by another process.</exception>
    public async ValueTask<(PendingApproval Request, ApprovalDecided Decided)> AnswerAsync(
        PendingApproval target, ApprovalAnswer answer, ApprovalOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(options);
        var lease = await store.AcquireWriterAsync(target.SessionId, cancellationToken).ConfigureAwait(false);
        await using (lease.ConfigureAwait(false))
        {
            return await AnswerLockedAsync(target, answer, options, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<(PendingApproval Request, ApprovalDecided Decided)> AnswerLockedAsync(
        PendingApproval target, ApprovalAnswer answer, ApprovalOptions options, CancellationToken cancellationToken)
    {
        using var session = await SessionWriter.OpenAsync(store, target.SessionId, cancellationToken).ConfigureAwait(false);
        // The approvers the session was started with decide, not the settings of the folder the answer comes from.
        var approvers = options.For(session.State);
        if (!answer.ByOwner && !approvers.MayApprove(answer.By))
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
