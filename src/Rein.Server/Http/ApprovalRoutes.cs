using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Rein.Guard.Approvals;
using Rein.Hosting.Sessions;
using SessionBusyException = Rein.Hosting.Sessions.SessionBusyException;
using Rein.Journal;
using Rein.Server.Views;

namespace Rein.Server.Http;

/// <summary>The approvals inbox: the calls the caller may answer, and answering one (through the session host, which resumes the session).</summary>
internal static class ApprovalRoutes
{
    public static async Task<IResult> ListAsync(HttpContext context)
    {
        var caller = Caller.From(context.User);
        var options = context.RequestServices.GetRequiredService<IOptions<ReinServerOptions>>().Value;
        var result = new JsonArray();
        foreach (var (pending, principal) in await PendingAsync(context))
        {
            if (caller.MayAnswer(pending, principal))
            {
                result.Add((JsonNode)JsonViews.Approval(pending, options.Redact));
            }
        }

        return SessionRoutes.Json(StatusCodes.Status200OK, result);
    }

    public static async Task<IResult> AnswerAsync(HttpContext context, string callId)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<ReinServerOptions>>().Value;
        var (document, problem) = await JsonBody.ReadAsync(context.Request, options.MaxRequestBodyBytes);
        if (document is null)
        {
            return problem!;
        }

        string decision;
        string? reason;
        string? sessionId;
        using (document)
        {
            var body = document.RootElement;
            if (!JsonBody.TryGetRequired(body, "decision", out var verb, out problem)
                || !JsonBody.TryGetString(body, "scope", out var scope, out problem)
                || !JsonBody.TryGetString(body, "reason", out reason, out problem)
                || !JsonBody.TryGetString(body, "session_id", out sessionId, out problem))
            {
                return problem!;
            }

            decision = (verb, scope ?? "once") switch
            {
                ("approve", "once") => ApprovalDecisions.ApproveOnce,
                ("approve", "session") => ApprovalDecisions.ApproveSession,
                ("deny", "once" or "session") => ApprovalDecisions.Deny,
                _ => "",
            };
            if (decision.Length == 0)
            {
                return Problems.Result(StatusCodes.Status400BadRequest, "\"decision\" must be \"approve\" or \"deny\", and \"scope\" \"once\" or \"session\".");
            }
        }

        var caller = Caller.From(context.User);
        var waiting = await PendingAsync(context);
        // What the caller may not see does not exist for it: a call in another principal's session is 404 unless it may answer it.
        var candidates = waiting.Where(w => caller.MayAnswer(w.Pending, w.Principal) || caller.IsOwner || w.Principal == caller.Name).ToList();
        PendingApproval target;
        try
        {
            target = ApprovalInbox.Find([.. candidates.Select(c => c.Pending)], callId, sessionId is { Length: > 0 } ? sessionId : null);
        }
        catch (AmbiguousApprovalException ex)
        {
            return Problems.Result(StatusCodes.Status400BadRequest,
                $"'{callId}' matches {ex.References.Count} waiting calls: {string.Join(", ", ex.References)}. Name one as SESSION:CALL_ID or give \"session_id\".");
        }
        catch (ApprovalException)
        {
            return Problems.Result(StatusCodes.Status404NotFound, $"No tool call '{callId}' is waiting for an approval you may see.");
        }

        var principal = candidates.First(c => ReferenceEquals(c.Pending, target)).Principal;
        if (!caller.MayAnswer(target, principal))
        {
            return Problems.Result(StatusCodes.Status403Forbidden,
                $"{caller.Name} may not answer approval requests of session {target.SessionId}; its approvers: {string.Join(", ", target.Approvers ?? (principal is null ? [] : [principal]))}.");
        }

        if (SessionRoutes.RequireHost(context) is not { } host)
        {
            return SessionRoutes.NoHost();
        }

        try
        {
            var outcome = await host.AnswerApprovalAsync(
                new AnswerApprovalRequest($"{target.SessionId}:{target.Request.CallId}", decision, caller.Name) { SessionId = target.SessionId, Reason = reason, ByOwner = caller.IsOwner },
                context.RequestAborted);
            return SessionRoutes.Json(StatusCodes.Status200OK,
                // The answer names the call as GET /v1/approvals and rein approvals approve --json do, so a client can match them.
                JsonViews.ApprovalAnswer(target.Reference, outcome.SessionId, outcome.CallId, outcome.Decision, outcome.By, null));
        }
        catch (ApprovalException ex)
        {
            return Problems.Result(StatusCodes.Status409Conflict, ex.Message);
        }
        catch (Exception ex) when (ex is SessionBusyException or Journal.SessionBusyException)
        {
            return Problems.Result(StatusCodes.Status409Conflict, $"Session {target.SessionId} is busy; try again in a moment.");
        }
    }

    private static async Task<List<(PendingApproval Pending, string? Principal)>> PendingAsync(HttpContext context)
    {
        var store = context.RequestServices.GetRequiredService<ISessionStore>();
        var inbox = new ApprovalInbox(store, context.RequestServices.GetService<TimeProvider>());
        var principals = new Dictionary<string, string?>(StringComparer.Ordinal);
        var result = new List<(PendingApproval, string?)>();
        foreach (var pending in await inbox.ListAsync(context.RequestAborted))
        {
            if (!principals.TryGetValue(pending.SessionId, out var principal))
            {
                var events = await store.ReadAsync(pending.SessionId, 0, context.RequestAborted);
                principal = events.Count > 0 && events[0].Event is SessionStarted started ? started.Principal : null;
                principals[pending.SessionId] = principal;
            }

            result.Add((pending, principal));
        }

        return result;
    }
}
