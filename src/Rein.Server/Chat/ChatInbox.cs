using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rein.Chat;
using Rein.Guard.Approvals;
using Rein.Hosting.Sessions;
using Rein.Identity;
using Rein.Journal;
using Rein.Server.Http;
using SessionBusyException = Rein.Hosting.Sessions.SessionBusyException;

namespace Rein.Server.Chat;

/// <summary>A message that arrived on a chat surface from a person.</summary>
/// <param name="Surface">The surface (<c>slack</c>, <c>telegram</c>).</param>
/// <param name="Account">The sender's account on it (a Slack user id, a Telegram user id).</param>
/// <param name="Conversation">The conversation's address on the surface (a Slack thread, a Telegram chat): one conversation is one session.</param>
/// <param name="Text">What they wrote.</param>
/// <param name="Workspace">Where a new session runs; null for the server's first workspace root.</param>
/// <param name="Agent">The agent profile of a new session; null for the server's default.</param>
internal sealed record ChatMessage(string Surface, string Account, string Conversation, string Text, string? Workspace, string? Agent);

/// <summary>What became of a press of an approval button; <see cref="Reply"/> is what to show the person who pressed.</summary>
/// <param name="Answered">Whether the call was answered by this press.</param>
/// <param name="Reply">A line for the person.</param>
internal sealed record ChatPress(bool Answered, string Reply);

/// <summary>
/// What every chat surface does with what people send: finds the principal linked to the sender's account, then starts or
/// continues the conversation's session as that principal, or answers an approval the principal may answer. Accounts that
/// are not linked, and principals who may not, change nothing.
/// </summary>
internal sealed partial class ChatInbox(
    ISessionHost host, ISessionStore store, IChatStore chats, PrincipalDirectory principals, ChatRelay relay, IOptions<ReinOptions> rein,
    ILogger<ChatInbox> logger, TimeProvider? timeProvider = null)
{
    /// <summary>Starts or continues the conversation's session with the message.</summary>
    /// <returns>A line to send back at once, or null when the session's answer will say everything.</returns>
    public async Task<string?> ReceiveAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var account = $"{message.Surface}:{message.Account}";
        if (await principals.FindByIdentityAsync(account, cancellationToken).ConfigureAwait(false) is not { } principal)
        {
            Log.Unlinked(logger, account);
            return $"This {Title(message.Surface)} account is not linked to anyone Rein knows, so it cannot start work. An owner of the Rein server can link it with: rein principals link NAME {account}";
        }

        if (principal.Role == PrincipalRole.Viewer)
        {
            return $"{principal.Name} is a viewer: viewers may read sessions but not start or continue them.";
        }

        if (message.Text.Trim().Length == 0)
        {
            return "Send the task as text.";
        }

        var origin = $"{message.Surface}:{message.Conversation}";
        if (await chats.GetConversationAsync(origin, cancellationToken).ConfigureAwait(false) is { } sessionId
            && await store.GetAsync(sessionId, cancellationToken).ConfigureAwait(false) is not null)
        {
            return await ContinueAsync(sessionId, principal, message.Text, cancellationToken).ConfigureAwait(false);
        }

        var workspace = message.Workspace ?? rein.Value.WorkspaceRoots.FirstOrDefault()
            ?? throw new InvalidOperationException("The server has no workspace root for sessions started from chats.");
        SessionTicket ticket;
        try
        {
            ticket = await host.StartAsync(
                new StartSessionRequest(message.Text, workspace) { Principal = principal.Name, Agent = message.Agent, Origin = origin }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WorkspaceOutsideRootsException or DirectoryNotFoundException or Hosting.Configuration.SettingsException)
        {
            Log.StartFailed(logger, ex, origin);
            return $"The session could not start: {ex.Message}";
        }

        await chats.SetConversationAsync(origin, ticket.Id, CancellationToken.None).ConfigureAwait(false);
        await relay.FollowAsync(ticket.Id, origin, CancellationToken.None).ConfigureAwait(false);
        Log.Started(logger, ticket.Id, origin, principal.Name);
        return null;
    }

    /// <summary>Forgets the conversation's session: its next message starts a new one.</summary>
    public async Task<bool> ForgetAsync(string surface, string conversation, CancellationToken cancellationToken) =>
        await chats.ForgetConversationAsync($"{surface}:{conversation}", cancellationToken).ConfigureAwait(false);

    /// <summary>Answers the approval behind a button's token, if the account's principal may.</summary>
    /// <param name="surface">The surface pressed on.</param>
    /// <param name="account">The account that pressed.</param>
    /// <param name="token">The token the button carries.</param>
    /// <param name="approve">Approve (true) or deny.</param>
    /// <param name="cancellationToken">Cancels the answer.</param>
    public async Task<ChatPress> PressAsync(string surface, string account, string token, bool approve, CancellationToken cancellationToken)
    {
        var who = $"{surface}:{account}";
        if (await principals.FindByIdentityAsync(who, cancellationToken).ConfigureAwait(false) is not { } principal)
        {
            Log.Unlinked(logger, who);
            return new ChatPress(false, $"This account is not linked to anyone Rein knows, so its answer does not count. An owner can link it with: rein principals link NAME {who}");
        }

        if (await chats.FindApprovalMessageAsync(token, cancellationToken).ConfigureAwait(false) is not { } message)
        {
            return new ChatPress(false, "Rein does not know this approval request.");
        }

        var pending = (await new ApprovalInbox(store, timeProvider).ListAsync(cancellationToken).ConfigureAwait(false))
            .FirstOrDefault(p => p.SessionId == message.SessionId && p.Request.CallId == message.CallId);
        if (pending is null)
        {
            return new ChatPress(false, "This request is no longer waiting: it was answered, or it expired.");
        }

        var events = await store.ReadAsync(message.SessionId, 0, cancellationToken).ConfigureAwait(false);
        var owner = events.Count > 0 && events[0].Event is SessionStarted started ? started.Principal : null;
        var caller = new Caller(principal.Name, principal.Role);
        if (!caller.MayAnswer(pending, owner))
        {
            Log.Refused(logger, principal.Name, message.SessionId, message.CallId);
            return new ChatPress(false, $"{principal.Name} may not answer this request; its approvers are {string.Join(", ", pending.Approvers ?? (owner is null ? [] : [owner]))}.");
        }

        try
        {
            var outcome = await host.AnswerApprovalAsync(
                new AnswerApprovalRequest($"{message.SessionId}:{message.CallId}", approve ? ApprovalDecisions.ApproveOnce : ApprovalDecisions.Deny, principal.Name)
                {
                    SessionId = message.SessionId,
                    ByOwner = caller.IsOwner,
                },
                cancellationToken).ConfigureAwait(false);
            relay.Nudge();
            return new ChatPress(true, outcome.Decision == ApprovalDecisions.Deny ? "Denied." : outcome.Decision == ApprovalDecisions.ApproveOnce ? "Approved." : $"Answered: {outcome.Decision}.");
        }
        catch (ApprovalException ex)
        {
            return new ChatPress(false, ex.Message);
        }
        catch (Exception ex) when (ex is SessionBusyException or Journal.SessionBusyException)
        {
            return new ChatPress(false, "The session is busy; press again in a moment.");
        }
    }

    private async Task<string?> ContinueAsync(string sessionId, PrincipalRecord principal, string text, CancellationToken cancellationToken)
    {
        var state = SessionState.Fold(await store.ReadAsync(sessionId, 0, cancellationToken).ConfigureAwait(false));
        if (!new Caller(principal.Name, principal.Role).MaySee(state))
        {
            return $"This conversation's session belongs to {state.Principal}; start a conversation of your own.";
        }

        try
        {
            await host.SendAsync(sessionId, new SendMessageRequest(text) { Principal = principal.Name }, cancellationToken).ConfigureAwait(false);
            relay.Nudge();
            return null;
        }
        catch (SessionBusyException)
        {
            return "Still working on the last message here; send this again once it has answered.";
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            Log.ContinueFailed(logger, ex, sessionId);
            return $"The session could not go on: {ex.Message}";
        }
    }

    private static string Title(string surface) => surface.Length == 0 ? surface : char.ToUpperInvariant(surface[0]) + surface[1..];

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Information, "A message from {Account}, which is linked to no principal, was turned away")]
        public static partial void Unlinked(ILogger logger, string account);

        [LoggerMessage(LogLevel.Information, "Session {SessionId} started from {Origin} for {Principal}")]
        public static partial void Started(ILogger logger, string sessionId, string origin, string principal);

        [LoggerMessage(LogLevel.Warning, "A session from {Origin} could not start")]
        public static partial void StartFailed(ILogger logger, Exception exception, string origin);

        [LoggerMessage(LogLevel.Warning, "Session {SessionId} could not go on")]
        public static partial void ContinueFailed(ILogger logger, Exception exception, string sessionId);

        [LoggerMessage(LogLevel.Information, "{Principal} may not answer call {CallId} of session {SessionId}; the press changed nothing")]
        public static partial void Refused(ILogger logger, string principal, string sessionId, string callId);
    }
}
