using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rein.Server.Http;

// What the OpenAPI document says the routes read and answer. The routes read bodies by hand (JsonBody: size limit, problem+json
// errors) and write JsonViews, so these types only describe; their names and shapes follow docs/http-api.md.

/// <summary>The body of <c>POST /v1/sessions</c>.</summary>
internal sealed record StartSessionBody
{
    /// <summary>The first message.</summary>
    [JsonPropertyName("message")]
    public required string Message { get; init; }

    /// <summary>The absolute path of the folder to work in, inside one of the server's workspace roots.</summary>
    [JsonPropertyName("workspace")]
    public required string Workspace { get; init; }

    /// <summary>The agent to run; the server's default when absent.</summary>
    [JsonPropertyName("agent")]
    public string? Agent { get; init; }

    /// <summary>The model; the server's default when absent.</summary>
    [JsonPropertyName("model")]
    public string? Model { get; init; }

    /// <summary>The policy mode; the server's default when absent.</summary>
    [JsonPropertyName("mode")]
    public string? Mode { get; init; }
}

/// <summary>The body of <c>POST /v1/sessions/{id}/messages</c>.</summary>
internal sealed record SendMessageBody
{
    /// <summary>The message.</summary>
    [JsonPropertyName("message")]
    public required string Message { get; init; }
}

/// <summary>The body of <c>POST /v1/sessions/{id}/rewind</c> (optional).</summary>
internal sealed record RewindBody
{
    /// <summary>The step whose start the workspace goes back to (1 or more); the last step when absent.</summary>
    [JsonPropertyName("to_step")]
    public int? ToStep { get; init; }
}

/// <summary>The body of <c>POST /v1/approvals/{call_id}</c>.</summary>
internal sealed record AnswerApprovalBody
{
    /// <summary>Approve or deny the call.</summary>
    [JsonPropertyName("decision")]
    public required ApprovalVerb Decision { get; init; }

    /// <summary>This call only (<c>once</c>, the default), or every like call of the session.</summary>
    [JsonPropertyName("scope")]
    public ApprovalScope Scope { get; init; } = ApprovalScope.Once;

    /// <summary>Why, journaled with the answer.</summary>
    [JsonPropertyName("reason")]
    public string? Reason { get; init; }

    /// <summary>The session, when a bare call id names calls in several.</summary>
    [JsonPropertyName("session_id")]
    public string? SessionId { get; init; }
}

/// <summary>The <c>decision</c> of an answer.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ApprovalVerb>))]
internal enum ApprovalVerb
{
    /// <summary>Run the call.</summary>
    [JsonStringEnumMemberName("approve")]
    Approve,

    /// <summary>Refuse the call.</summary>
    [JsonStringEnumMemberName("deny")]
    Deny,
}

/// <summary>The <c>scope</c> of an answer.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ApprovalScope>))]
internal enum ApprovalScope
{
    /// <summary>This call only.</summary>
    [JsonStringEnumMemberName("once")]
    Once,

    /// <summary>This call and every like call for the rest of the session.</summary>
    [JsonStringEnumMemberName("session")]
    Session,
}

/// <summary>A session and its status (<c>201</c> of a start, <c>202</c> of a message or cancel).</summary>
internal sealed record SessionTicketBody(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("status")] string Status);

/// <summary>The answer of <c>GET /healthz</c>.</summary>
internal sealed record HealthBody([property: JsonPropertyName("status")] string Status);

/// <summary>The answer of <c>GET /v1/me</c>.</summary>
internal sealed record MeBody(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("role")] string Role);

/// <summary>Token counts.</summary>
internal sealed record UsageBody(
    [property: JsonPropertyName("input_tokens")] long InputTokens,
    [property: JsonPropertyName("cached_input_tokens")] long CachedInputTokens,
    [property: JsonPropertyName("output_tokens")] long OutputTokens);

/// <summary>A session as <c>GET /v1/sessions</c> lists it.</summary>
internal record SessionBody(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("workspace")] string Workspace,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("agent")] string? Agent,
    [property: JsonPropertyName("principal")] string? Principal,
    [property: JsonPropertyName("origin")] string? Origin,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("started_at")] DateTimeOffset StartedAt,
    [property: JsonPropertyName("updated_at")] DateTimeOffset UpdatedAt,
    [property: JsonPropertyName("events")] long Events,
    [property: JsonPropertyName("stop_reason")] string? StopReason,
    [property: JsonPropertyName("parent_session_id")] string? ParentSessionId,
    [property: JsonPropertyName("usage")] UsageBody Usage,
    [property: JsonPropertyName("cost_usd")] decimal CostUsd);

/// <summary>A session as <c>GET /v1/sessions/{id}</c> shows it: with the calls waiting for approval.</summary>
internal sealed record SessionDetailBody(
    string Id, string Status, string Workspace, string Model, string? Agent, string? Principal, string? Origin, string? Title, DateTimeOffset StartedAt,
    DateTimeOffset UpdatedAt, long Events, string? StopReason, string? ParentSessionId, UsageBody Usage, decimal CostUsd,
    [property: JsonPropertyName("pending_approvals")] IReadOnlyList<PendingApprovalBody> PendingApprovals)
    : SessionBody(Id, Status, Workspace, Model, Agent, Principal, Origin, Title, StartedAt, UpdatedAt, Events, StopReason, ParentSessionId, Usage, CostUsd);

/// <summary>A tool call waiting for approval (an item of <c>GET /v1/approvals</c>).</summary>
internal sealed record PendingApprovalBody(
    [property: JsonPropertyName("ref")] string Ref,
    [property: JsonPropertyName("call_id")] string CallId,
    [property: JsonPropertyName("session_id")] string SessionId,
    [property: JsonPropertyName("tool")] string Tool,
    [property: JsonPropertyName("arguments")] JsonElement? Arguments,
    [property: JsonPropertyName("preview")] string Preview,
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("suggested_rule")] string? SuggestedRule,
    [property: JsonPropertyName("workspace")] string? Workspace,
    [property: JsonPropertyName("requested_at")] DateTimeOffset RequestedAt,
    [property: JsonPropertyName("expires_at")] DateTimeOffset? ExpiresAt,
    [property: JsonPropertyName("expired")] bool Expired,
    [property: JsonPropertyName("approvers")] IReadOnlyList<string>? Approvers);

/// <summary>An answered approval (<c>200</c> of <c>POST /v1/approvals/{call_id}</c>).</summary>
internal sealed record ApprovalAnswerBody(
    [property: JsonPropertyName("ref")] string Ref,
    [property: JsonPropertyName("call_id")] string CallId,
    [property: JsonPropertyName("session_id")] string SessionId,
    [property: JsonPropertyName("decision")] string Decision,
    [property: JsonPropertyName("by")] string By,
    [property: JsonPropertyName("session_rule")] string? SessionRule);

/// <summary>What a rewind restored (<c>200</c> of <c>POST /v1/sessions/{id}/rewind</c>).</summary>
internal sealed record RewindOutcomeBody(
    [property: JsonPropertyName("session_id")] string SessionId,
    [property: JsonPropertyName("to_step")] int? ToStep,
    [property: JsonPropertyName("restored_files")] int RestoredFiles);

/// <summary>A node of a trace tree (<c>GET /v1/sessions/{id}/trace</c>, <c>rein trace --json</c>).</summary>
internal sealed record TraceNodeBody(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("start")] DateTimeOffset Start,
    [property: JsonPropertyName("duration_ms")] long DurationMs,
    [property: JsonPropertyName("input_tokens")] long InputTokens,
    [property: JsonPropertyName("cached_input_tokens")] long CachedInputTokens,
    [property: JsonPropertyName("output_tokens")] long OutputTokens,
    [property: JsonPropertyName("cost_usd")] decimal CostUsd,
    [property: JsonPropertyName("detail")] string? Detail,
    [property: JsonPropertyName("children")] IReadOnlyList<TraceNodeBody> Children);

/// <summary>A cost report (<c>GET /v1/cost</c>, <c>rein cost --json</c>).</summary>
internal sealed record CostBody(
    [property: JsonPropertyName("by")] string By,
    [property: JsonPropertyName("since")] DateTimeOffset? Since,
    [property: JsonPropertyName("rows")] IReadOnlyList<CostRowBody> Rows,
    [property: JsonPropertyName("total")] CostRowBody Total);

/// <summary>A row of a cost report.</summary>
internal sealed record CostRowBody(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("sessions")] int Sessions,
    [property: JsonPropertyName("model_calls")] int ModelCalls,
    [property: JsonPropertyName("input_tokens")] long InputTokens,
    [property: JsonPropertyName("cached_input_tokens")] long CachedInputTokens,
    [property: JsonPropertyName("output_tokens")] long OutputTokens,
    [property: JsonPropertyName("cost_usd")] decimal CostUsd,
    [property: JsonPropertyName("unpriced_calls")] int UnpricedCalls);

/// <summary>
/// The schema types' JSON metadata, generated at build time: the OpenAPI generator reads their fields from it, so the trimmed
/// tool (whose trimmer removes what only reflection would reach) describes them as fully as a JIT build.
/// </summary>
[JsonSerializable(typeof(StartSessionBody))]
[JsonSerializable(typeof(SendMessageBody))]
[JsonSerializable(typeof(RewindBody))]
[JsonSerializable(typeof(AnswerApprovalBody))]
[JsonSerializable(typeof(SessionTicketBody))]
[JsonSerializable(typeof(HealthBody))]
[JsonSerializable(typeof(MeBody))]
[JsonSerializable(typeof(UsageBody))]
[JsonSerializable(typeof(SessionBody))]
[JsonSerializable(typeof(SessionDetailBody))]
[JsonSerializable(typeof(PendingApprovalBody))]
[JsonSerializable(typeof(ApprovalAnswerBody))]
[JsonSerializable(typeof(RewindOutcomeBody))]
[JsonSerializable(typeof(TraceNodeBody))]
[JsonSerializable(typeof(CostBody))]
[JsonSerializable(typeof(CostRowBody))]
internal sealed partial class ApiSchemaJsonContext : JsonSerializerContext;
