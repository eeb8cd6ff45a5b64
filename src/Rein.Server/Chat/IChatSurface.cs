using Rein.Server.Views;

namespace Rein.Server.Chat;

/// <summary>
/// A chat service Rein answers on (Slack, Telegram): how a session's answer, its approval requests and their outcomes are
/// posted to the conversation that started it. Addresses are the surface's own (what follows <c>slack:</c> or
/// <c>telegram:</c> in a session's origin).
/// </summary>
internal interface IChatSurface
{
    /// <summary>Gets the surface's name, the first part of the origins and linked accounts it owns (<c>slack</c>, <c>telegram</c>).</summary>
    string Name { get; }

    /// <summary>Posts a session's answer (Markdown as the model wrote it), split into as many messages as the service needs.</summary>
    Task SendAnswerAsync(string address, string text, CancellationToken cancellationToken);

    /// <summary>Posts a short line from Rein itself (not the model's), shown as it is.</summary>
    Task SendNoticeAsync(string address, string text, CancellationToken cancellationToken);

    /// <summary>Posts an approval request with Approve and Deny buttons that carry <paramref name="token"/>.</summary>
    /// <returns>Where the message is, for <see cref="MarkApprovalAsync"/>.</returns>
    Task<string> SendApprovalAsync(string address, ChatApproval approval, string token, CancellationToken cancellationToken);

    /// <summary>Replaces an approval request's buttons with its outcome (e.g. "Approved by alice").</summary>
    Task MarkApprovalAsync(string messageRef, ChatApproval approval, string outcome, CancellationToken cancellationToken);

    /// <summary>Shows how a run is going: in one message, posted the first time (<paramref name="progressRef"/> null) and edited after.</summary>
    /// <returns>Where the message is, for the next call; null when the surface shows progress another way (a typing indicator).</returns>
    Task<string?> ShowProgressAsync(string address, string? progressRef, string text, CancellationToken cancellationToken);
}

/// <summary>A tool call waiting for approval, as a chat message shows it.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="CallId">The call.</param>
/// <param name="Tool">The tool's name.</param>
/// <param name="Reason">Why it needs approval (the policy's reason).</param>
/// <param name="Preview">What it will do: the command, the diff or the URL (<see cref="ApprovalPreview"/>).</param>
internal sealed record ChatApproval(string SessionId, string CallId, string Tool, string Reason, IReadOnlyList<PreviewLine> Preview)
{
    /// <summary>The preview as plain text, one line each.</summary>
    public string PreviewText => string.Join('\n', Preview.Select(l => l.Text));
}

/// <summary>The chat service refused a call for good (a bad channel, a revoked token): retrying the same call would fail again.</summary>
/// <param name="message">What the service said.</param>
internal sealed class ChatDeliveryException(string message) : Exception(message);
