namespace Rein.Chat;

/// <summary>What the chat surfaces (Slack, Telegram) remember between requests and across restarts of the server.</summary>
/// <remarks>Implementations must be safe for concurrent use.</remarks>
public interface IChatStore
{
    /// <summary>
    /// Records an inbound delivery key, so a surface's retry of the same event is handled once.
    /// Keys older than one day are forgotten (pruned now and then, e.g. on every 100th call or when recording).
    /// </summary>
    /// <param name="key">The delivery key, e.g. <c>slack:event:Ev123</c> or <c>telegram:update:42</c>.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns><see langword="true"/> the first time the key is seen; <see langword="false"/> for a repeat.</returns>
    /// <exception cref="ArgumentException"><paramref name="key"/> is <see langword="null"/> or empty.</exception>
    ValueTask<bool> TryRecordDeliveryAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Gets the session a conversation continues.</summary>
    /// <param name="address">The conversation, e.g. <c>slack:T1/C1/1700000000.000100</c> or <c>telegram:12345</c>.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The session id, or <see langword="null"/> when the conversation has none.</returns>
    /// <exception cref="ArgumentException"><paramref name="address"/> is <see langword="null"/> or empty.</exception>
    ValueTask<string?> GetConversationAsync(string address, CancellationToken cancellationToken = default);

    /// <summary>Points a conversation at a session, replacing the session it pointed at.</summary>
    /// <param name="address">The conversation.</param>
    /// <param name="sessionId">The session it continues.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when the conversation is stored.</returns>
    /// <exception cref="ArgumentException"><paramref name="address"/> or <paramref name="sessionId"/> is <see langword="null"/> or empty.</exception>
    ValueTask SetConversationAsync(string address, string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Forgets a conversation's session, so its next message starts a new one.</summary>
    /// <param name="address">The conversation.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>Whether the conversation had a session.</returns>
    /// <exception cref="ArgumentException"><paramref name="address"/> is <see langword="null"/> or empty.</exception>
    ValueTask<bool> ForgetConversationAsync(string address, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts relaying a session's updates to the conversation it came from, from after <paramref name="relayedThrough"/>.
    /// A session already followed keeps its row unchanged.
    /// </summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="origin">The conversation, e.g. <c>slack:T1/C1/1700000000.000100</c>.</param>
    /// <param name="relayedThrough">The sequence of the last event already relayed (or not worth relaying).</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when the session is followed.</returns>
    /// <exception cref="ArgumentException"><paramref name="sessionId"/> or <paramref name="origin"/> is <see langword="null"/> or empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="relayedThrough"/> is negative.</exception>
    ValueTask FollowAsync(string sessionId, string origin, long relayedThrough, CancellationToken cancellationToken = default);

    /// <summary>Lists every followed session, by session id.</summary>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The followed sessions.</returns>
    ValueTask<IReadOnlyList<ChatFollow>> ListFollowedAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Records that a followed session's events up to <paramref name="relayedThrough"/> were relayed.
    /// Never moves backwards: a lower value, or a session not followed, changes nothing.
    /// </summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="relayedThrough">The sequence of the last event relayed.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when the progress is stored.</returns>
    /// <exception cref="ArgumentException"><paramref name="sessionId"/> is <see langword="null"/> or empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="relayedThrough"/> is negative.</exception>
    ValueTask AdvanceAsync(string sessionId, long relayedThrough, CancellationToken cancellationToken = default);

    /// <summary>
    /// Saves an approval message posted to a surface, replacing the one with the same <see cref="ChatApprovalMessage.Token"/>.
    /// A session's call has one message: a newer save for the same <see cref="ChatApprovalMessage.SessionId"/> and
    /// <see cref="ChatApprovalMessage.CallId"/> replaces the older one.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when the message is stored.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    ValueTask SaveApprovalMessageAsync(ChatApprovalMessage message, CancellationToken cancellationToken = default);

    /// <summary>Finds the approval message whose buttons carry a token.</summary>
    /// <param name="token">The token (exact).</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The message, or <see langword="null"/> when no message has that token.</returns>
    /// <exception cref="ArgumentException"><paramref name="token"/> is <see langword="null"/> or empty.</exception>
    ValueTask<ChatApprovalMessage?> FindApprovalMessageAsync(string token, CancellationToken cancellationToken = default);

    /// <summary>Finds the approval message of a session's call.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="callId">The tool call awaiting approval.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The message, or <see langword="null"/> when the call has none.</returns>
    /// <exception cref="ArgumentException"><paramref name="sessionId"/> or <paramref name="callId"/> is <see langword="null"/> or empty.</exception>
    ValueTask<ChatApprovalMessage?> FindApprovalMessageAsync(string sessionId, string callId, CancellationToken cancellationToken = default);
}

/// <summary>A session whose updates go back to the conversation that started it.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Origin">The conversation its updates go to, e.g. <c>slack:T1/C1/1700000000.000100</c>.</param>
/// <param name="RelayedThrough">The sequence of the last event relayed; updates resume after it.</param>
public sealed record ChatFollow(string SessionId, string Origin, long RelayedThrough);

/// <summary>An approval request posted to a surface: the token its buttons carry, the call, and where the message is.</summary>
/// <param name="Token">The token the message's buttons carry (unique).</param>
/// <param name="SessionId">The session awaiting approval.</param>
/// <param name="CallId">The tool call awaiting approval.</param>
/// <param name="Origin">The conversation the message was posted to, e.g. <c>slack:T1/C1/1700000000.000100</c>.</param>
/// <param name="MessageRef">The surface's own id of the message, e.g. Slack <c>C1/1700000000.000200</c> or Telegram <c>12345/678</c>.</param>
public sealed record ChatApprovalMessage(string Token, string SessionId, string CallId, string Origin, string MessageRef);
