using System.Text;
using System.Text.Json.Nodes;

namespace Rein.Server.Chat.Slack;

/// <summary>
/// Posts to Slack threads: answers as <c>mrkdwn</c> text cut into messages of at most <see cref="MaxMessageLength"/>
/// characters, approval requests as Block Kit messages with "Approve" and "Deny" buttons. An address is
/// <c>TEAM/CHANNEL/THREAD_TS</c>.
/// </summary>
internal sealed class SlackSurface(SlackWebApi api) : IChatSurface
{
    /// <summary>The action id of the Approve button.</summary>
    public const string ApproveAction = "rein_approve";

    /// <summary>The action id of the Deny button.</summary>
    public const string DenyAction = "rein_deny";

    /// <summary>The longest message posted; Slack advises at most 4,000 characters.</summary>
    internal const int MaxMessageLength = 3500;

    // A section block's text may hold 3,000 characters.
    private const int MaxPreviewLength = 2800;

    /// <inheritdoc />
    public string Name => "slack";

    /// <summary>Builds a conversation's address.</summary>
    public static string Address(string team, string channel, string threadTs) => $"{team}/{channel}/{threadTs}";

    /// <inheritdoc />
    public async Task SendAnswerAsync(string address, string text, CancellationToken cancellationToken)
    {
        var (channel, thread) = Parse(address);
        // Escaped before it is cut, so each message's length is what Slack counts.
        foreach (var part in ChatText.Split(Escape(text), MaxMessageLength))
        {
            await api.PostMessageAsync(channel, part, thread, null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task SendNoticeAsync(string address, string text, CancellationToken cancellationToken)
    {
        var (channel, thread) = Parse(address);
        await api.PostMessageAsync(channel, Escape(text), thread, null, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<string> SendApprovalAsync(string address, ChatApproval approval, string token, CancellationToken cancellationToken)
    {
        var (channel, thread) = Parse(address);
        var blocks = Blocks(approval);
        blocks.Add((JsonNode)new JsonObject
        {
            ["type"] = "actions",
            ["block_id"] = "rein_approval",
            ["elements"] = new JsonArray(Button("Approve", ApproveAction, token, "primary"), Button("Deny", DenyAction, token, "danger")),
        });
        var ts = await api.PostMessageAsync(channel, Headline(approval), thread, blocks, cancellationToken).ConfigureAwait(false);
        return $"{channel}/{ts}";
    }

    /// <inheritdoc />
    public async Task MarkApprovalAsync(string messageRef, ChatApproval approval, string outcome, CancellationToken cancellationToken)
    {
        var slash = messageRef.IndexOf('/', StringComparison.Ordinal);
        var blocks = Blocks(approval);
        blocks.Add((JsonNode)new JsonObject
        {
            ["type"] = "context",
            ["elements"] = new JsonArray(new JsonObject { ["type"] = "mrkdwn", ["text"] = Escape(outcome) }),
        });
        await api.UpdateAsync(messageRef[..slash], messageRef[(slash + 1)..], $"{Headline(approval)}: {outcome}", blocks, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<string?> ShowProgressAsync(string address, string? progressRef, string text, CancellationToken cancellationToken)
    {
        var (channel, thread) = Parse(address);
        var line = $"_{Escape(text)}_";
        if (progressRef is null)
        {
            return await api.PostMessageAsync(channel, line, thread, null, cancellationToken).ConfigureAwait(false);
        }

        await api.UpdateAsync(channel, progressRef, line, null, cancellationToken).ConfigureAwait(false);
        return progressRef;
    }

    /// <summary>Escapes text for <c>mrkdwn</c>: Slack reads <c>&amp;</c>, <c>&lt;</c> and <c>&gt;</c> as its own markup.</summary>
    internal static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    /// <summary>Reads text Slack sent: mentions and links become plain text, its escapes are undone.</summary>
    internal static string Unescape(string text)
    {
        var builder = new StringBuilder(text.Length);
        var at = 0;
        while (at < text.Length)
        {
            var open = text.IndexOf('<', at);
            var close = open < 0 ? -1 : text.IndexOf('>', open);
            if (close < 0)
            {
                builder.Append(text, at, text.Length - at);
                break;
            }

            builder.Append(text, at, open - at);
            var inner = text[(open + 1)..close];
            var bar = inner.IndexOf('|', StringComparison.Ordinal);
            // <@U123> is a mention (of the bot, when it starts a message); <https://x|label> a link; keep the label or the target.
            builder.Append(inner.StartsWith('@') ? "" : bar >= 0 ? inner[(bar + 1)..] : inner);
            at = close + 1;
        }

        return builder.ToString().Replace("&lt;", "<", StringComparison.Ordinal).Replace("&gt;", ">", StringComparison.Ordinal).Replace("&amp;", "&", StringComparison.Ordinal).Trim();
    }

    private static JsonArray Blocks(ChatApproval approval)
    {
        var preview = approval.PreviewText;
        if (preview.Length > MaxPreviewLength)
        {
            preview = preview[..MaxPreviewLength] + "\n…";
        }

        // Built from JsonNode[] (a collection expression would call the generic Add, which trimming cannot check).
        return new JsonArray(
            new JsonObject
            {
                ["type"] = "section",
                ["text"] = new JsonObject
                {
                    ["type"] = "mrkdwn",
                    ["text"] = $"*Approval needed:* `{Escape(approval.Tool)}` (call `{Escape(approval.CallId)}` in session `{approval.SessionId[..Math.Min(12, approval.SessionId.Length)]}`)\n{Escape(ChatText.Shorten(approval.Reason, 500))}",
                },
            },
            new JsonObject
            {
                ["type"] = "section",
                ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = $"```{Escape(preview.Replace("```", "`\u200b``", StringComparison.Ordinal))}```" },
            });
    }

    private static string Headline(ChatApproval approval) => $"Approval needed: {approval.Tool} (call {approval.CallId})";

    private static JsonObject Button(string text, string actionId, string token, string style) => new()
    {
        ["type"] = "button",
        ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = text },
        ["action_id"] = actionId,
        ["value"] = token,
        ["style"] = style,
    };

    private static (string Channel, string Thread) Parse(string address)
    {
        var parts = address.Split('/');
        return parts.Length == 3 ? (parts[1], parts[2]) : throw new ChatDeliveryException($"'{address}' is not a Slack conversation (TEAM/CHANNEL/THREAD_TS).");
    }
}
