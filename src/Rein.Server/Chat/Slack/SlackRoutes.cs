using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rein.Chat;
using Rein.Server.Http;

namespace Rein.Server.Chat.Slack;

/// <summary>
/// <c>POST /slack/events</c> (the Events API) and <c>POST /slack/interactions</c> (button presses). Every request must carry
/// a valid, recent Slack signature (else 401 and nothing happens); it is acknowledged at once and handled in the background
/// (<see cref="ChatWork"/>). A delivery Slack retries (the same <c>event_id</c>) is handled once.
/// </summary>
internal static partial class SlackRoutes
{
    public static async Task<IResult> EventsAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var (slack, body, refusal) = await AcceptAsync(context);
        if (refusal is not null)
        {
            return refusal;
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return Problems.Result(StatusCodes.Status400BadRequest, "The body is not JSON.");
        }

        switch (Text(root, "type"))
        {
            case "url_verification":
                return Results.Text(new JsonObject { ["challenge"] = Text(root, "challenge") ?? "" }.ToJsonString(), "application/json");
            case "event_callback":
                break;
            default:
                return Results.Ok();
        }

        var logger = services.GetRequiredService<ILogger<SlackWork>>();
        if (Text(root, "event_id") is not { } eventId || !root.TryGetProperty("event", out var message) || message.ValueKind != JsonValueKind.Object)
        {
            return Problems.Result(StatusCodes.Status400BadRequest, "An event_callback needs event_id and event.");
        }

        if (!await services.GetRequiredService<IChatStore>().TryRecordDeliveryAsync($"slack:event:{eventId}", context.RequestAborted))
        {
            // Slack sends an event again when it thinks the first delivery failed; it was handled then.
            Log.Repeated(logger, eventId, context.Request.Headers["X-Slack-Retry-Num"].ToString());
            return Results.Ok();
        }

        var type = Text(message, "type");
        var fromPerson = Text(message, "user") is not null && Text(message, "bot_id") is null && Text(message, "subtype") is null;
        // A mention in a channel, or a direct message; other messages (edits, the bot's own posts, channel chatter) are not tasks.
        if (fromPerson && (type == "app_mention" || (type == "message" && Text(message, "channel_type") == "im")))
        {
            var team = Text(root, "team_id") ?? Text(message, "team") ?? "";
            var work = services.GetRequiredService<SlackWork>();
            var incoming = new SlackMessage(team, Text(message, "channel") ?? "", Text(message, "user")!, Text(message, "text") ?? "", Text(message, "thread_ts") ?? Text(message, "ts") ?? "");
            services.GetRequiredService<ChatWork>().Enqueue($"Slack event {eventId}", ct => work.ReceiveAsync(incoming, slack, ct));
        }

        return Results.Ok();
    }

    public static async Task<IResult> InteractionsAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var (slack, body, refusal) = await AcceptAsync(context);
        if (refusal is not null)
        {
            return refusal;
        }

        JsonElement payload;
        try
        {
            var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body));
            using var document = JsonDocument.Parse(form.TryGetValue("payload", out var values) ? values.ToString() : "");
            payload = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return Problems.Result(StatusCodes.Status400BadRequest, "The body is not a form with a JSON payload.");
        }

        if (Text(payload, "type") != "block_actions" || !payload.TryGetProperty("actions", out var actions) || actions.ValueKind != JsonValueKind.Array)
        {
            return Results.Ok();
        }

        var user = payload.TryGetProperty("user", out var u) ? Text(u, "id") : null;
        var channel = payload.TryGetProperty("channel", out var c) ? Text(c, "id") : null;
        var thread = payload.TryGetProperty("message", out var m) ? Text(m, "thread_ts") ?? Text(m, "ts") : null;
        foreach (var action in actions.EnumerateArray())
        {
            var approve = Text(action, "action_id") switch
            {
                SlackSurface.ApproveAction => true,
                SlackSurface.DenyAction => false,
                _ => (bool?)null,
            };
            if (approve is not { } decision || user is null || channel is null || Text(action, "value") is not { } token)
            {
                continue;
            }

            var work = services.GetRequiredService<SlackWork>();
            services.GetRequiredService<ChatWork>().Enqueue("a Slack button press", ct => work.PressAsync(channel, user, thread, token, decision, ct));
        }

        return Results.Ok();
    }

    /// <summary>The Slack app and the request's body, if Slack is set up (else 404) and the request is signed by Slack and recent (else 401).</summary>
    private static async Task<(SlackOptions Slack, byte[] Body, IResult? Refusal)> AcceptAsync(HttpContext context)
    {
        if (context.RequestServices.GetRequiredService<IOptions<ChatOptions>>().Value.Slack is not { } slack)
        {
            return (null!, [], Problems.Result(StatusCodes.Status404NotFound, "Slack is not set up on this server (the \"slack\" settings)."));
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var time = context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System;
        if (!SlackSignature.Verify(slack.SigningSecret, context.Request.Headers["X-Slack-Request-Timestamp"], context.Request.Headers["X-Slack-Signature"],
            body, time.GetUtcNow(), slack.MaxRequestAge, out var why))
        {
            Log.Unsigned(context.RequestServices.GetRequiredService<ILogger<SlackWork>>(), context.Request.Path, why);
            return (slack, body, Problems.Result(StatusCodes.Status401Unauthorized, why));
        }

        return (slack, body, null);
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Warning, "Refused a request to {Path} not signed by Slack: {Why}")]
        public static partial void Unsigned(ILogger logger, string path, string why);

        [LoggerMessage(LogLevel.Information, "Slack sent event {EventId} again (retry {Retry}); it was handled already")]
        public static partial void Repeated(ILogger logger, string eventId, string retry);
    }
}

/// <summary>A message a person sent to the Slack app.</summary>
internal sealed record SlackMessage(string Team, string Channel, string User, string Text, string ThreadTs);

/// <summary>What Slack requests leave to do in the background: hand messages and presses to the <see cref="ChatInbox"/>, and tell the person when nothing else will.</summary>
internal sealed class SlackWork(ChatInbox inbox, SlackWebApi api)
{
    public async Task ReceiveAsync(SlackMessage message, SlackOptions slack, CancellationToken cancellationToken)
    {
        var conversation = SlackSurface.Address(message.Team, message.Channel, message.ThreadTs);
        var reply = await inbox.ReceiveAsync(
            new ChatMessage("slack", message.User, conversation, SlackSurface.Unescape(message.Text), slack.Workspace, slack.Agent), cancellationToken).ConfigureAwait(false);
        if (reply is not null)
        {
            // Only the sender sees why nothing started.
            await api.PostEphemeralAsync(message.Channel, message.User, SlackSurface.Escape(reply), message.ThreadTs, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task PressAsync(string channel, string user, string? thread, string token, bool approve, CancellationToken cancellationToken)
    {
        var press = await inbox.PressAsync("slack", user, token, approve, cancellationToken).ConfigureAwait(false);
        if (!press.Answered)
        {
            // The message itself changes only when the call is answered (by whoever answers it, wherever).
            await api.PostEphemeralAsync(channel, user, SlackSurface.Escape(press.Reply), thread, cancellationToken).ConfigureAwait(false);
        }
    }
}
