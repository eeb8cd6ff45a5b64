using System.Globalization;
using System.Text.Json.Nodes;
using Rein.Guard.Approvals;
using Rein.Journal;
using Rein.Reports;

namespace Rein.Server.Views;

/// <summary>
/// The JSON shapes Rein shows sessions, events, traces, costs and approvals in, the same in the CLI's <c>--json</c> output
/// and in the HTTP API (snake_case, as the journal; see docs/json-output.md).
/// </summary>
/// <remarks>Built as <see cref="JsonNode"/> trees so they need no reflection; serialize them with <see cref="JournalJson.Options"/>.</remarks>
public static class JsonViews
{
    /// <summary>One journal event: <c>seq</c>, <c>at</c>, <c>session_id</c>, then the event's <c>type</c> and fields (a line of <c>rein sessions show --json</c>).</summary>
    /// <param name="sessionId">The session the event belongs to.</param>
    /// <param name="recorded">The event as stored.</param>
    /// <returns>The object.</returns>
    public static JsonObject Event(string sessionId, RecordedEvent recorded)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        var node = JsonNode.Parse(JournalJson.Serialize(recorded.Event))!.AsObject();
        var line = new JsonObject
        {
            ["seq"] = recorded.Sequence,
            ["at"] = Time(recorded.Timestamp),
            ["session_id"] = sessionId,
        };
        foreach (var (key, value) in node.ToList())
        {
            node.Remove(key);
            line[key] = value;
        }

        return line;
    }

    /// <summary>A session (a line of <c>rein sessions list --json</c>, an item of <c>GET /v1/sessions</c>).</summary>
    /// <param name="summary">The store's summary of the session.</param>
    /// <param name="state">The session's journal, folded.</param>
    /// <returns>The object.</returns>
    public static JsonObject Session(SessionSummary summary, SessionState state)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(state);
        return Session(summary, state.Agent, state.Principal, state.Origin, state.ParentSessionId, state.Usage, state.CostUsd);
    }

    /// <summary>A session as <see cref="Session(SessionSummary, SessionState)"/> shows it, from the part of its journal a listing folds.</summary>
    /// <param name="summary">The store's summary of the session.</param>
    /// <param name="fold">The session's journal, folded for the list up to <paramref name="summary"/>'s version.</param>
    /// <returns>The object.</returns>
    internal static JsonObject Session(SessionSummary summary, SessionListFold fold) =>
        Session(summary, fold.Agent, fold.Principal, fold.Origin, fold.ParentSessionId, fold.Usage, fold.CostUsd);

    private static JsonObject Session(SessionSummary summary, string? agent, string? principal, string? origin, string? parentSessionId, TokenUsage usage, decimal costUsd) => new()
    {
        ["id"] = summary.Id,
        ["status"] = summary.Status,
        ["workspace"] = summary.Workspace,
        ["model"] = summary.Model,
        ["agent"] = agent,
        ["principal"] = principal,
        ["origin"] = origin,
        ["title"] = summary.Title,
        ["started_at"] = Time(summary.StartedAt),
        ["updated_at"] = Time(summary.UpdatedAt),
        ["events"] = summary.Version,
        ["stop_reason"] = summary.StopReason,
        ["parent_session_id"] = parentSessionId,
        ["usage"] = new JsonObject
        {
            ["input_tokens"] = usage.InputTokens,
            ["cached_input_tokens"] = usage.CachedInputTokens,
            ["output_tokens"] = usage.OutputTokens,
        },
        ["cost_usd"] = costUsd,
    };

    /// <summary>A trace tree (<c>rein trace --json</c>).</summary>
    /// <param name="node">The tree's root, or any node.</param>
    /// <returns>The object, with its children nested.</returns>
    public static JsonObject Trace(TraceNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return new JsonObject
        {
            ["kind"] = node.Kind,
            ["name"] = node.Name,
            ["start"] = node.Start,
            ["duration_ms"] = node.DurationMs,
            ["input_tokens"] = node.Usage.InputTokens,
            ["cached_input_tokens"] = node.Usage.CachedInputTokens,
            ["output_tokens"] = node.Usage.OutputTokens,
            ["cost_usd"] = node.CostUsd,
            ["detail"] = node.Detail,
            ["children"] = new JsonArray([.. node.Children.Select(c => (JsonNode)Trace(c))]),
        };
    }

    /// <summary>A cost report (<c>rein cost --json</c>).</summary>
    /// <param name="by">The grouping (<see cref="CostReport.Groupings"/>).</param>
    /// <param name="since">The start of the period, or <see langword="null"/> for all time.</param>
    /// <param name="rows">The rows (<see cref="CostReport.Build"/>).</param>
    /// <param name="total">Their total (<see cref="CostReport.Total"/>).</param>
    /// <returns>The object.</returns>
    public static JsonObject Cost(string by, DateTimeOffset? since, IReadOnlyList<CostRow> rows, CostRow total)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(total);
        return new JsonObject
        {
            ["by"] = by,
            ["since"] = since,
            ["rows"] = new JsonArray([.. rows.Select(r => (JsonNode)CostRow(r))]),
            ["total"] = CostRow(total),
        };
    }

    /// <summary>A tool call waiting for approval (a line of <c>rein approvals list --json</c>, an item of <c>GET /v1/approvals</c>).</summary>
    /// <param name="pending">The waiting call.</param>
    /// <param name="redact">Hides stored secrets in the preview's file text; <see langword="null"/> to show it as it is.</param>
    /// <returns>The object, with the same <c>preview</c> text <c>rein approvals list</c> shows.</returns>
    public static JsonObject Approval(PendingApproval pending, Func<string, string>? redact)
    {
        ArgumentNullException.ThrowIfNull(pending);
        return new JsonObject
        {
            ["ref"] = pending.Reference,
            ["call_id"] = pending.Request.CallId,
            ["session_id"] = pending.SessionId,
            ["tool"] = pending.Request.Tool,
            ["arguments"] = pending.Request.Arguments is { } a ? JsonNode.Parse(a.GetRawText()) : null,
            ["preview"] = ApprovalPreview.Create(pending.Request.Tool, pending.Request.Arguments, pending.Workspace, redact).ToText(),
            ["reason"] = pending.Request.Reason,
            ["suggested_rule"] = pending.Request.SuggestedRule,
            ["workspace"] = pending.Workspace,
            ["requested_at"] = Time(pending.RequestedAt),
            ["expires_at"] = pending.Request.ExpiresAt is { } expires ? Time(expires) : null,
            ["expired"] = pending.Expired,
            ["approvers"] = pending.Approvers is { } approvers ? new JsonArray([.. approvers.Select(a => (JsonNode?)a)]) : null,
        };
    }

    /// <summary>An answered approval (<c>rein approvals approve|deny --json</c>, <c>POST /v1/approvals/{call_id}</c>).</summary>
    /// <param name="reference">The call as <c>SESSION:CALL_ID</c>.</param>
    /// <param name="sessionId">The session it waited in.</param>
    /// <param name="callId">The call.</param>
    /// <param name="decision">The decision as journaled.</param>
    /// <param name="by">Who answered.</param>
    /// <param name="sessionRule">The rule an approval for the session added, if any.</param>
    /// <returns>The object.</returns>
    public static JsonObject ApprovalAnswer(string reference, string sessionId, string callId, string decision, string by, string? sessionRule) => new()
    {
        ["ref"] = reference,
        ["call_id"] = callId,
        ["session_id"] = sessionId,
        ["decision"] = decision,
        ["by"] = by,
        ["session_rule"] = sessionRule,
    };

    private static JsonObject CostRow(CostRow row) => new()
    {
        ["key"] = row.Key,
        ["sessions"] = row.Sessions,
        ["model_calls"] = row.ModelCalls,
        ["input_tokens"] = row.InputTokens,
        ["cached_input_tokens"] = row.CachedInputTokens,
        ["output_tokens"] = row.OutputTokens,
        ["cost_usd"] = row.CostUsd,
        ["unpriced_calls"] = row.UnpricedCalls,
    };

    private static string Time(DateTimeOffset at) => at.ToString("O", CultureInfo.InvariantCulture);
}
