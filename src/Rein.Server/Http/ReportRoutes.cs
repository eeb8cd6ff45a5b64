using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Rein.Journal;
using Rein.Reports;
using Rein.Server.Views;

namespace Rein.Server.Http;

/// <summary>The trace of a session and the cost report, as <c>rein trace --json</c> and <c>rein cost --json</c> print them.</summary>
internal static class ReportRoutes
{
    public static async Task<IResult> TraceAsync(HttpContext context, string id) =>
        await SessionRoutes.FindAsync(context, id) is { } found
            ? SessionRoutes.Json(StatusCodes.Status200OK, JsonViews.Trace(SessionTrace.Build(found.Events)))
            : Problems.NotFound(id);

    public static async Task<IResult> CostAsync(HttpContext context, string? by, string? since)
    {
        by ??= "day";
        if (!CostReport.Groupings.Contains(by))
        {
            return Problems.Result(StatusCodes.Status400BadRequest, $"by must be one of {string.Join(", ", CostReport.Groupings)}, not '{by}'.");
        }

        DateTimeOffset? from = null;
        if (since is { Length: > 0 })
        {
            if (!CostPeriod.TryParseSince(since, context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System, out var parsed))
            {
                return Problems.Result(StatusCodes.Status400BadRequest, $"since '{since}' is neither a date (2026-11-01) nor a duration (7d, 24h, 90m).");
            }

            from = parsed;
        }

        var caller = Caller.From(context.User);
        var store = context.RequestServices.GetRequiredService<ISessionStore>();
        var journals = new List<IReadOnlyList<RecordedEvent>>();
        foreach (var session in await store.ListAsync(int.MaxValue, context.RequestAborted))
        {
            var events = await store.ReadAsync(session.Id, 0, context.RequestAborted);
            if (caller.MaySee(SessionState.Fold(events)))
            {
                journals.Add(events);
            }
        }

        var rows = CostReport.Build(journals, by, from);
        var sessions = rows.Count == 0 ? 0 : journals.Count(j => j.Any(e => e.Event is ModelCalled && (from is null || e.Timestamp >= from)));
        return SessionRoutes.Json(StatusCodes.Status200OK, JsonViews.Cost(by, from, rows, CostReport.Total(rows, sessions)));
    }
}
