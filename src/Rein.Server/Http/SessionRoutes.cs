using System.Buffers;
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

/// <summary>The routes of sessions: list, show, start, continue, cancel, rewind (reads from the store, writes through the session host).</summary>
internal static class SessionRoutes
{
    public static async Task<IResult> ListAsync(HttpContext context, int? limit)
    {
        if (limit is < 1)
        {
            return Problems.Result(StatusCodes.Status400BadRequest, "limit must be a positive whole number.");
        }

        var caller = Caller.From(context.User);
        var store = context.RequestServices.GetRequiredService<ISessionStore>();
        var ct = context.RequestAborted;
        var cache = context.RequestServices.GetRequiredService<SessionListCache>();
        var max = limit ?? 50;
        // Visibility is in the journal (its principal), so the newest sessions are read until enough are visible; an owner sees all.
        var scan = caller.IsOwner ? max : int.MaxValue;
        var summaries = await store.ListAsync(scan, ct);
        // Fewer than asked for is the whole store: the views of sessions deleted from it go.
        cache.Retain(summaries, complete: summaries.Count < scan);
        var views = new List<byte[]>(Math.Min(max, summaries.Count));
        foreach (var summary in summaries)
        {
            var (view, principal) = await cache.GetAsync(store, summary, ct);
            if (caller.IsOwner || string.Equals(principal, caller.Name, StringComparison.Ordinal))
            {
                views.Add(view);
                if (views.Count >= max)
                {
                    break;
                }
            }
        }

        return new JsonArrayResult(views);
    }

    public static async Task<IResult> ShowAsync(HttpContext context, string id)
    {
        if (await FindAsync(context, id) is not { } found)
        {
            return Problems.NotFound(id);
        }

        var options = context.RequestServices.GetRequiredService<IOptions<ReinServerOptions>>().Value;
        var inbox = new ApprovalInbox(context.RequestServices.GetRequiredService<ISessionStore>(), context.RequestServices.GetService<TimeProvider>());
        var pending = (await inbox.ListAsync(context.RequestAborted)).Where(p => p.SessionId == found.Summary.Id);
        var session = JsonViews.Session(found.Summary, found.State);
        session["pending_approvals"] = new JsonArray([.. pending.Select(p => (JsonNode)JsonViews.Approval(p, options.Redact))]);
        return Json(StatusCodes.Status200OK, session);
    }

    public static async Task<IResult> StartAsync(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<ReinServerOptions>>().Value;
        var (document, problem) = await JsonBody.ReadAsync(context.Request, options.MaxRequestBodyBytes);
        if (document is null)
        {
            return problem!;
        }

        using (document)
        {
            var body = document.RootElement;
            if (!JsonBody.TryGetRequired(body, "message", out var message, out problem)
                || !JsonBody.TryGetRequired(body, "workspace", out var workspace, out problem)
                || !JsonBody.TryGetString(body, "agent", out var agent, out problem)
                || !JsonBody.TryGetString(body, "model", out var model, out problem)
                || !JsonBody.TryGetString(body, "mode", out var mode, out problem))
            {
                return problem!;
            }

            if (!Path.IsPathRooted(workspace))
            {
                return Problems.Result(StatusCodes.Status400BadRequest, $"\"workspace\" must be an absolute path, not '{workspace}'.");
            }

            if (RequireHost(context) is not { } host)
            {
                return NoHost();
            }

            // The session host checks the real folder against its roots; a host with none would allow any folder, which a server never does.
            if (context.RequestServices.GetService<IOptions<ReinOptions>>()?.Value.WorkspaceRoots is not { Count: > 0 })
            {
                return OutsideRoots(workspace, []);
            }

            var caller = Caller.From(context.User);
            try
            {
                var ticket = await host.StartAsync(
                    new StartSessionRequest(message, workspace) { Principal = caller.Name, Agent = agent, Model = model, Mode = mode, Origin = "http" },
                    context.RequestAborted);
                context.Response.Headers.Location = $"/v1/sessions/{ticket.Id}";
                return Json(StatusCodes.Status201Created, Ticket(ticket));
            }
            catch (WorkspaceOutsideRootsException ex)
            {
                // The session host judges the real folder, after .. and links.
                return OutsideRoots(workspace, ex.Roots);
            }
            catch (DirectoryNotFoundException)
            {
                return Problems.Result(StatusCodes.Status400BadRequest, $"The workspace folder '{workspace}' does not exist.");
            }
            catch (ArgumentException ex)
            {
                return Problems.Result(StatusCodes.Status400BadRequest, ex.Message);
            }
        }
    }

    public static async Task<IResult> SendAsync(HttpContext context, string id)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<ReinServerOptions>>().Value;
        var (document, problem) = await JsonBody.ReadAsync(context.Request, options.MaxRequestBodyBytes);
        if (document is null)
        {
            return problem!;
        }

        using (document)
        {
            if (!JsonBody.TryGetRequired(document.RootElement, "message", out var message, out problem))
            {
                return problem!;
            }

            if (await FindAsync(context, id) is not { } found)
            {
                return Problems.NotFound(id);
            }

            if (RequireHost(context) is not { } host)
            {
                return NoHost();
            }

            return await WriteAsync(id, async () => Json(StatusCodes.Status202Accepted, Ticket(
                await host.SendAsync(found.Summary.Id, new SendMessageRequest(message) { Principal = Caller.From(context.User).Name }, context.RequestAborted))));
        }
    }

    public static async Task<IResult> CancelAsync(HttpContext context, string id)
    {
        if (await FindAsync(context, id) is not { } found)
        {
            return Problems.NotFound(id);
        }

        if (RequireHost(context) is not { } host)
        {
            return NoHost();
        }

        return await WriteAsync(id, async () =>
        {
            await host.CancelAsync(found.Summary.Id, context.RequestAborted);
            var summary = await context.RequestServices.GetRequiredService<ISessionStore>().GetAsync(found.Summary.Id, context.RequestAborted);
            return Json(StatusCodes.Status202Accepted, new JsonObject { ["id"] = found.Summary.Id, ["status"] = summary?.Status ?? found.Summary.Status });
        });
    }

    public static async Task<IResult> RewindAsync(HttpContext context, string id)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<ReinServerOptions>>().Value;
        var (document, problem) = await JsonBody.ReadAsync(context.Request, options.MaxRequestBodyBytes, optional: true);
        if (document is null)
        {
            return problem!;
        }

        int? toStep = null;
        using (document)
        {
            if (document.RootElement.TryGetProperty("to_step", out var step) && step.ValueKind != System.Text.Json.JsonValueKind.Null)
            {
                if (step.ValueKind != System.Text.Json.JsonValueKind.Number || !step.TryGetInt32(out var value) || value < 1)
                {
                    return Problems.Result(StatusCodes.Status400BadRequest, "\"to_step\" must be a step number (1 or more).");
                }

                toStep = value;
            }
        }

        if (await FindAsync(context, id) is not { } found)
        {
            return Problems.NotFound(id);
        }

        if (RequireHost(context) is not { } host)
        {
            return NoHost();
        }

        return await WriteAsync(id, async () =>
        {
            var outcome = await host.RewindAsync(found.Summary.Id, new RewindRequest(toStep), context.RequestAborted);
            return Json(StatusCodes.Status200OK, new JsonObject
            {
                ["session_id"] = outcome.SessionId,
                ["to_step"] = outcome.ToStep,
                ["restored_files"] = outcome.RestoredFiles,
            });
        });
    }

    /// <summary>Finds a session the caller may see; <see langword="null"/> for one that does not exist or is another principal's.</summary>
    internal static async Task<(SessionSummary Summary, IReadOnlyList<RecordedEvent> Events, SessionState State)?> FindAsync(HttpContext context, string id)
    {
        var store = context.RequestServices.GetRequiredService<ISessionStore>();
        if (id.Length == 0 || await store.GetAsync(id, context.RequestAborted) is not { } summary)
        {
            return null;
        }

        var events = await store.ReadAsync(summary.Id, 0, context.RequestAborted);
        var state = SessionState.Fold(events);
        return Caller.From(context.User).MaySee(state) ? (summary, events, state) : null;
    }

    internal static ISessionHost? RequireHost(HttpContext context) => context.RequestServices.GetService<ISessionHost>();

    internal static IResult NoHost() => Problems.Result(StatusCodes.Status503ServiceUnavailable,
        "This server runs no sessions: it was started without a session host (register one with AddRein).");

    internal static IResult Json(int status, JsonNode body) => Results.Text(body.ToJsonString(JournalJson.Options), "application/json", statusCode: status);

    private static async Task<IResult> WriteAsync(string id, Func<Task<IResult>> write)
    {
        try
        {
            return await write();
        }
        catch (Exception ex) when (ex is SessionBusyException or Journal.SessionBusyException)
        {
            return Problems.Result(StatusCodes.Status409Conflict, $"Session {id} is running; wait for it to stop or cancel it first.");
        }
        catch (SessionNotFoundException)
        {
            return Problems.NotFound(id);
        }
        catch (ArgumentException ex)
        {
            return Problems.Result(StatusCodes.Status400BadRequest, ex.Message);
        }
    }

    private static JsonObject Ticket(SessionTicket ticket) => new() { ["id"] = ticket.Id, ["status"] = ticket.Status };

    private static IResult OutsideRoots(string workspace, IReadOnlyList<string> roots) => Problems.Result(StatusCodes.Status403Forbidden,
        roots.Count == 0
            ? $"The workspace {workspace} is refused: this server allows no workspace folders (start it with --workspace-root DIR)."
            : $"The workspace {workspace} is outside the folders sessions may run in: {string.Join(", ", roots)}.");

    /// <summary>A 200 JSON array of views already serialized, written as they are: what <see cref="Json"/> would write for them, without building the array again.</summary>
    private sealed class JsonArrayResult(IReadOnlyList<byte[]> items) : IResult, IStatusCodeHttpResult
    {
        // Kestrel's pipe holds what is not flushed; a listing of thousands is flushed as it goes rather than held whole.
        private const int FlushEvery = 64 * 1024;

        public int? StatusCode => StatusCodes.Status200OK;

        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json";
            response.ContentLength = 2 + items.Sum(i => (long)i.Length) + Math.Max(0, items.Count - 1);
            var writer = response.BodyWriter;
            writer.Write("["u8);
            var unflushed = 1;
            for (var i = 0; i < items.Count; i++)
            {
                if (i > 0)
                {
                    writer.Write(","u8);
                }

                writer.Write(items[i]);
                unflushed += items[i].Length + 1;
                if (unflushed >= FlushEvery)
                {
                    await writer.FlushAsync(httpContext.RequestAborted);
                    unflushed = 0;
                }
            }

            writer.Write("]"u8);
            await writer.FlushAsync(httpContext.RequestAborted);
        }
    }
}
