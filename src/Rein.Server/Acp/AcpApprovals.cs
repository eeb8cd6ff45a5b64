using System.Text.Json;
using Rein.Engine;
using Rein.Journal;

namespace Rein.Server.Acp;

/// <summary>
/// Asks the editor's user about a tool call with <c>session/request_permission</c> (allow once, allow for the session, reject,
/// reject always) and journals the answer as theirs. A cancelled request (the turn was cancelled) is a denial.
/// </summary>
internal sealed class AcpApprovals(AcpAgent agent, AcpSession session, string principal) : IApprovalChannel
{
    public async ValueTask<ApprovalAnswer?> AskAsync(ApprovalRequested request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (session.Updates is { } updates)
        {
            await updates.FlushAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var toolCall = AcpUpdates.ForTurn(session.Cwd, null).ToolCall(request.CallId, request.Tool, request.Arguments, "pending");
        var result = await agent.RequestPermissionAsync(session, toolCall, cancellationToken).ConfigureAwait(false);
        var outcome = result.ValueKind == JsonValueKind.Object && result.TryGetProperty("outcome", out var o) && o.ValueKind == JsonValueKind.Object ? o : default;
        var kind = outcome.ValueKind == JsonValueKind.Object && outcome.TryGetProperty("outcome", out var k) ? k.GetString() : null;
        var option = outcome.ValueKind == JsonValueKind.Object && outcome.TryGetProperty("optionId", out var id) ? id.GetString() : null;
        var decision = (kind, option) switch
        {
            ("selected", "allow_once") => ApprovalDecisions.ApproveOnce,
            ("selected", "allow_always") => ApprovalDecisions.ApproveSession,
            _ => ApprovalDecisions.Deny,
        };
        var reason = (kind, option) switch
        {
            ("cancelled", _) => "The prompt turn was cancelled in the editor.",
            ("selected", "reject_always") => "Rejected in the editor (always).",
            ("selected", "reject_once") => "Rejected in the editor.",
            ("selected", "allow_once" or "allow_always") => null,
            _ => $"The editor answered with an unknown choice '{option ?? kind}'; taken as a rejection.",
        };
        return new ApprovalAnswer(decision, principal, reason) { ByOwner = true };
    }
}
