using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Rein.Server.Http;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the HTTP API of <c>rein serve</c> (see docs/http-api.md).</summary>
public static class ReinEndpointRouteBuilderExtensions
{
    /// <summary>Adds the middleware the API needs, in order: authentication, the per-principal rate limit, authorization.</summary>
    /// <param name="app">The application.</param>
    /// <returns><paramref name="app"/>.</returns>
    public static IApplicationBuilder UseReinServer(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // A principal's requests count against its own limit, so authentication comes first; refusals by role come after.
        return app.UseAuthentication().UseRateLimiter().UseAuthorization();
    }

    /// <summary>Maps <c>/healthz</c>, <c>/openapi/v1.json</c> and the <c>/v1</c> routes.</summary>
    /// <param name="endpoints">The route builder.</param>
    /// <returns><paramref name="endpoints"/>.</returns>
    public static IEndpointRouteBuilder MapRein(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/healthz", () => Results.Text("""{"status":"ok"}""", "application/json")).AllowAnonymous()
            .Produces<HealthBody>().WithSummary("Whether the server is up (needs no token).");
        endpoints.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();

        // Every /v1 route needs a token (401) and counts against its principal's rate limit (429).
        var v1 = endpoints.MapGroup("/v1").RequireAuthorization().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status429TooManyRequests);
        v1.MapGet("/me", (HttpContext context) =>
        {
            var caller = Caller.From(context.User);
            return SessionRoutes.Json(StatusCodes.Status200OK, new System.Text.Json.Nodes.JsonObject
            {
                ["name"] = caller.Name,
                ["role"] = caller.Role.ToString().ToLowerInvariant(),
            });
        }).Produces<MeBody>().WithSummary("The principal the token belongs to.");
        v1.MapGet("/sessions", (HttpContext context, int? limit) => SessionRoutes.ListAsync(context, limit))
            .Produces<IReadOnlyList<SessionBody>>().ProducesProblem(StatusCodes.Status400BadRequest).WithSummary("Sessions, newest first.");
        v1.MapPost("/sessions", (Func<HttpContext, Task<IResult>>)SessionRoutes.StartAsync)
            .RequireAuthorization(ReinServerServiceCollectionExtensions.OperatePolicy).Accepts<StartSessionBody>("application/json")
            .Produces<SessionTicketBody>(StatusCodes.Status201Created).ProducesBodyProblems().ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable).WithSummary("Starts a session.");
        v1.MapGet("/sessions/{id}", (HttpContext context, string id) => SessionRoutes.ShowAsync(context, id))
            .Produces<SessionDetailBody>().ProducesProblem(StatusCodes.Status404NotFound).WithSummary("A session with its pending approvals.");
        v1.MapGet("/sessions/{id}/events", (HttpContext context, string id, string? after) => EventRoutes.GetAsync(context, id, after))
            .Produces(StatusCodes.Status200OK, contentType: "application/x-ndjson", additionalContentTypes: ["text/event-stream"])
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("The session's journal as JSON lines, or live as Server-Sent Events (Accept: text/event-stream).");
        v1.MapPost("/sessions/{id}/messages", (HttpContext context, string id) => SessionRoutes.SendAsync(context, id))
            .RequireAuthorization(ReinServerServiceCollectionExtensions.OperatePolicy).Accepts<SendMessageBody>("application/json")
            .Produces<SessionTicketBody>(StatusCodes.Status202Accepted).ProducesBodyProblems().ProducesSessionWriteProblems().WithSummary("Continues a session.");
        v1.MapPost("/sessions/{id}/cancel", (HttpContext context, string id) => SessionRoutes.CancelAsync(context, id))
            .RequireAuthorization(ReinServerServiceCollectionExtensions.OperatePolicy)
            .Produces<SessionTicketBody>(StatusCodes.Status202Accepted).ProducesSessionWriteProblems().WithSummary("Cancels a session's run.");
        v1.MapPost("/sessions/{id}/rewind", (HttpContext context, string id) => SessionRoutes.RewindAsync(context, id))
            .RequireAuthorization(ReinServerServiceCollectionExtensions.OperatePolicy).Accepts<RewindBody>(isOptional: true, "application/json")
            .Produces<RewindOutcomeBody>().ProducesBodyProblems().ProducesSessionWriteProblems().WithSummary("Rewinds a session's workspace.");
        v1.MapGet("/sessions/{id}/trace", (HttpContext context, string id) => ReportRoutes.TraceAsync(context, id))
            .Produces<TraceNodeBody>().ProducesProblem(StatusCodes.Status404NotFound).WithSummary("The session as a trace tree.");
        v1.MapGet("/approvals", (Func<HttpContext, Task<IResult>>)ApprovalRoutes.ListAsync)
            .Produces<IReadOnlyList<PendingApprovalBody>>().WithSummary("Tool calls waiting for an approval the caller may give.");
        v1.MapPost("/approvals/{callId}", (HttpContext context, string callId) => ApprovalRoutes.AnswerAsync(context, callId))
            .RequireAuthorization(ReinServerServiceCollectionExtensions.OperatePolicy).Accepts<AnswerApprovalBody>("application/json")
            .Produces<ApprovalAnswerBody>().ProducesBodyProblems().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Approves or denies a waiting tool call.");
        v1.MapGet("/cost", (HttpContext context, string? by, string? since) => ReportRoutes.CostAsync(context, by, since))
            .Produces<CostBody>().ProducesProblem(StatusCodes.Status400BadRequest).WithSummary("Model spend, grouped.");
        return endpoints;
    }

    /// <summary>The refusals of a route that reads a JSON body: 400 malformed, 413 over the limit.</summary>
    private static RouteHandlerBuilder ProducesBodyProblems(this RouteHandlerBuilder route) =>
        route.ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge);

    /// <summary>The refusals of a route that changes a session: a role (403), a session the caller may not see (404), one running (409), no host (503).</summary>
    private static RouteHandlerBuilder ProducesSessionWriteProblems(this RouteHandlerBuilder route) =>
        route.ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
}
