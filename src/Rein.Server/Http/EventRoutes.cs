using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Rein.Engine;
using Rein.Journal;
using Rein.Server.Views;

namespace Rein.Server.Http;

/// <summary>
/// A session's journal: as JSON lines (the stored events, then the response ends), or with <c>Accept: text/event-stream</c>
/// as Server-Sent Events that stay live, resume after <c>Last-Event-ID</c> or <c>?after=</c>, and keep the connection alive.
/// </summary>
internal static class EventRoutes
{
    public static async Task<IResult> GetAsync(HttpContext context, string id, string? after)
    {
        var lastEventId = context.Request.Headers["Last-Event-ID"].ToString();
        var from = lastEventId.Length > 0 ? lastEventId : after;
        long afterSequence = 0;
        if (from is { Length: > 0 } && (!long.TryParse(from, NumberStyles.None, CultureInfo.InvariantCulture, out afterSequence)))
        {
            return Problems.Result(StatusCodes.Status400BadRequest, $"'{from}' is not an event sequence number (Last-Event-ID or after).");
        }

        if (await SessionRoutes.FindAsync(context, id) is not { } found)
        {
            return Problems.NotFound(id);
        }

        var sessionId = found.Summary.Id;
        if (!context.Request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            var text = new StringBuilder();
            foreach (var recorded in found.Events.Where(e => e.Sequence > afterSequence))
            {
                text.Append(JsonViews.Event(sessionId, recorded).ToJsonString(JournalJson.Options)).Append('\n');
            }

            return Results.Text(text.ToString(), "application/x-ndjson");
        }

        if (SessionRoutes.RequireHost(context) is not { } host)
        {
            return SessionRoutes.NoHost();
        }

        var options = context.RequestServices.GetRequiredService<IOptions<ReinServerOptions>>().Value;
        await StreamAsync(context, sessionId, afterSequence, host.WatchAsync(sessionId, afterSequence, context.RequestAborted), options.KeepAliveInterval);
        return Results.Empty;
    }

    /// <summary>Writes updates as SSE frames, with a keep-alive comment whenever the interval passes, until the client leaves.</summary>
    internal static async Task StreamAsync(HttpContext context, string sessionId, long afterSequence, IAsyncEnumerable<AgentUpdate> updates, TimeSpan keepAlive)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var time = context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var frames = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
        var pump = Task.Run(async () =>
        {
            var last = afterSequence;
            try
            {
                await foreach (var update in updates.WithCancellation(stop.Token))
                {
                    if (Frame(sessionId, update, ref last) is { } frame)
                    {
                        await frames.Writer.WriteAsync(frame, stop.Token);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                frames.Writer.TryComplete();
            }
        }, CancellationToken.None);
        var ticks = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(keepAlive, time);
            try
            {
                while (await timer.WaitForNextTickAsync(stop.Token))
                {
                    frames.Writer.TryWrite(": keep-alive\n\n");
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);
        try
        {
            // The headers go out at once, so a client sees the stream open before the first event.
            await response.Body.FlushAsync(stop.Token);
            await foreach (var frame in frames.Reader.ReadAllAsync(stop.Token))
            {
                await response.WriteAsync(frame, stop.Token);
                await response.Body.FlushAsync(stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(pump, ticks);
        }
    }

    /// <summary>One SSE frame; journal events below or at the last one sent are dropped, so a resumed stream repeats nothing.</summary>
    private static string? Frame(string sessionId, AgentUpdate update, ref long last)
    {
        switch (update)
        {
            case EventAppended { Recorded: var recorded } when recorded.Sequence > last:
                last = recorded.Sequence;
                var line = JsonViews.Event(sessionId, recorded);
                return string.Create(CultureInfo.InvariantCulture,
                    $"id: {recorded.Sequence}\nevent: {line["type"]?.GetValue<string>()}\ndata: {line.ToJsonString(JournalJson.Options)}\n\n");
            case TextDelta delta:
                var data = new JsonObject { ["type"] = "text_delta", ["session_id"] = sessionId, ["text"] = delta.Text };
                return $"event: text_delta\ndata: {data.ToJsonString(JournalJson.Options)}\n\n";
            default:
                return null;
        }
    }
}
