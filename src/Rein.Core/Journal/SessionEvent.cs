using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rein.Journal;

/// <summary>
/// One typed fact in a session's append-only journal. The session's state is a fold of these
/// (see <see cref="SessionState"/>).
/// </summary>
/// <remarks>
/// Events are immutable data. They serialize with a <c>type</c> discriminator in snake_case, which
/// is the stable on-disk and <c>--json</c> format.
/// </remarks>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(SessionStarted), "session_started")]
[JsonDerivedType(typeof(UserMessage), "user_message")]
[JsonDerivedType(typeof(ModelCalled), "model_called")]
[JsonDerivedType(typeof(ModelCallFailed), "model_call_failed")]
[JsonDerivedType(typeof(ToolCallProposed), "tool_call_proposed")]
[JsonDerivedType(typeof(ToolStarted), "tool_started")]
[JsonDerivedType(typeof(ToolCompleted), "tool_completed")]
[JsonDerivedType(typeof(SessionSuspended), "session_suspended")]
[JsonDerivedType(typeof(SessionResumed), "session_resumed")]
[JsonDerivedType(typeof(SessionEnded), "session_ended")]
[JsonDerivedType(typeof(PolicyDecided), "policy_decided")]
[JsonDerivedType(typeof(ApprovalRequested), "approval_requested")]
[JsonDerivedType(typeof(ApprovalDecided), "approval_decided")]
[JsonDerivedType(typeof(BudgetWarning), "budget_warning")]
[JsonDerivedType(typeof(BudgetExceeded), "budget_exceeded")]
[JsonDerivedType(typeof(CheckpointTaken), "checkpoint_taken")]
[JsonDerivedType(typeof(WorkspaceRewound), "workspace_rewound")]
[JsonDerivedType(typeof(ProtectedPathsRestored), "protected_paths_restored")]
[JsonDerivedType(typeof(EgressRefused), "egress_refused")]
[JsonDerivedType(typeof(SandboxDisabled), "sandbox_disabled")]
[JsonDerivedType(typeof(ProjectSettingsIgnored), "project_settings_ignored")]
[JsonDerivedType(typeof(HookRan), "hook_ran")]
[JsonDerivedType(typeof(ContextCompacted), "context_compacted")]
[JsonDerivedType(typeof(ObservationsMasked), "observations_masked")]
[JsonDerivedType(typeof(MemoriesRecalled), "memories_recalled")]
[JsonDerivedType(typeof(SubAgentStarted), "subagent_started")]
[JsonDerivedType(typeof(SubAgentFinished), "subagent_finished")]
[JsonDerivedType(typeof(InstructionsLoaded), "instructions_loaded")]
[JsonDerivedType(typeof(RunSettingsChanged), "run_settings_changed")]
public abstract record SessionEvent
{
    /// <summary>Gets the stable snake_case name of this event type (the JSON discriminator).</summary>
    [JsonIgnore]
    public string TypeName => EventTypeNames.Of(GetType());
}

/// <summary>The first event of every session.</summary>
/// <param name="SessionId">The session's identifier.</param>
/// <param name="Workspace">The absolute path of the workspace the session's tools work in.</param>
/// <param name="Model">The model specification, e.g. <c>openai:gpt-5.5</c> or <c>scripted:turns.json</c>.</param>
/// <param name="Agent">The agent profile name, when one is used.</param>
/// <param name="Principal">Who started the session (a user or service name), when known.</param>
/// <param name="ParentSessionId">The session whose <c>task</c> call started this one as a sub-agent, if any.</param>
/// <param name="ParentCallId">That <c>task</c> call in the parent session, if any.</param>
/// <param name="Origin">What started the session when it was not a person at a surface, e.g. <c>eval:RUN_ID/TASK#1</c> for an eval trial.</param>
/// <param name="Approvals">
/// Who may answer the session's approval requests and how long they wait, as the settings said when it started; absent in
/// journals written before Rein recorded it (such sessions are judged by the settings where the answer is given).
/// </param>
/// <param name="RunSettings">
/// The endpoint, mode, environment, sandbox and limits the session was started with, which a resume keeps; absent in
/// journals written before Rein recorded them (such sessions resume with the settings in force where they are resumed).
/// </param>
public sealed record SessionStarted(string SessionId, string Workspace, string Model, string? Agent = null, string? Principal = null, string? ParentSessionId = null, string? ParentCallId = null, string? Origin = null, SessionApprovals? Approvals = null, SessionRunSettings? RunSettings = null) : SessionEvent;

/// <summary>The approval settings a session started with (<see cref="SessionStarted.Approvals"/>); they hold for its whole life.</summary>
/// <param name="Approvers">The principals who may answer its approval requests (never empty: with no approvers configured, the one who started it).</param>
/// <param name="TimeoutSeconds">How long a request waits before it counts as denied, in seconds.</param>
public sealed record SessionApprovals(IReadOnlyList<string> Approvers, long TimeoutSeconds);

/// <summary>A message from the user.</summary>
/// <param name="Text">The message text.</param>
public sealed record UserMessage(string Text) : SessionEvent;

/// <summary>A call to the model completed; records what it answered so the session can be replayed.</summary>
/// <param name="Step">The 1-based step number (one model call per step).</param>
/// <param name="Model">The model that answered, as reported by the provider when available.</param>
/// <param name="Text">The assistant text, if any.</param>
/// <param name="ToolCalls">The tool calls the model asked for.</param>
/// <param name="FinishReason">The provider's finish reason, if reported.</param>
/// <param name="Usage">Token usage reported by the provider.</param>
/// <param name="LatencyMs">Wall-clock milliseconds from request to the last streamed byte.</param>
/// <param name="CostUsd">The call's price in US dollars by the price table in force, when the model has a known price.</param>
/// <param name="ContextTokens">
/// The tokens the request carried (messages and tool declarations) as Rein counted them with the model's tokenizer or
/// an estimate, when a counter was configured; the provider's own count is <see cref="TokenUsage.InputTokens"/>.
/// </param>
public sealed record ModelCalled(
    int Step,
    string? Model,
    string? Text,
    IReadOnlyList<ModelToolCall> ToolCalls,
    string? FinishReason,
    TokenUsage Usage,
    long LatencyMs,
    decimal? CostUsd = null,
    long? ContextTokens = null) : SessionEvent;

/// <summary>A call to the model failed after retries; the session stops with <see cref="StopReason.ModelError"/>.</summary>
/// <param name="Step">The step that failed.</param>
/// <param name="Error">A description of the failure, safe to show to the user.</param>
public sealed record ModelCallFailed(int Step, string Error) : SessionEvent;

/// <summary>A tool call as the model asked for it.</summary>
/// <param name="Id">The provider's call identifier.</param>
/// <param name="Name">The tool name.</param>
/// <param name="Arguments">The arguments as a JSON object, or <see langword="null"/> when they could not be parsed.</param>
/// <param name="ArgumentsError">Why the arguments could not be parsed, when they could not.</param>
public sealed record ModelToolCall(string Id, string Name, JsonElement? Arguments, string? ArgumentsError = null);

/// <summary>Token usage of one model call.</summary>
/// <param name="InputTokens">Input (prompt) tokens, all of them: fresh, served from the prompt cache, and written to it.</param>
/// <param name="OutputTokens">Output tokens.</param>
/// <param name="CachedInputTokens">Input tokens served from the provider's prompt cache (part of <paramref name="InputTokens"/>).</param>
/// <param name="CacheWriteInputTokens">
/// Input tokens written to the provider's prompt cache, where the provider reports and charges for that (Anthropic);
/// part of <paramref name="InputTokens"/>.
/// </param>
public sealed record TokenUsage(long InputTokens = 0, long OutputTokens = 0, long CachedInputTokens = 0, long CacheWriteInputTokens = 0)
{
    /// <summary>Gets a usage of zero tokens.</summary>
    public static TokenUsage Zero { get; } = new();

    /// <summary>Adds two usages.</summary>
    /// <param name="left">The first usage.</param>
    /// <param name="right">The second usage.</param>
    /// <returns>The sum.</returns>
    public static TokenUsage operator +(TokenUsage left, TokenUsage right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return new(
            left.InputTokens + right.InputTokens,
            left.OutputTokens + right.OutputTokens,
            left.CachedInputTokens + right.CachedInputTokens,
            left.CacheWriteInputTokens + right.CacheWriteInputTokens);
    }

    /// <summary>Adds two usages.</summary>
    /// <param name="other">The usage to add.</param>
    /// <returns>The sum.</returns>
    public TokenUsage Add(TokenUsage other) => this + other;
}

/// <summary>A tool call the harness will check and run. Journaled before any check or execution.</summary>
/// <param name="CallId">The call identifier (from the model).</param>
/// <param name="Name">The tool name.</param>
/// <param name="Arguments">The arguments, or <see langword="null"/> when unparseable.</param>
public sealed record ToolCallProposed(string CallId, string Name, JsonElement? Arguments) : SessionEvent;

/// <summary>A tool call passed its checks and is about to run. Journaled before it runs.</summary>
/// <param name="CallId">The call identifier.</param>
/// <param name="Name">The tool name.</param>
public sealed record ToolStarted(string CallId, string Name) : SessionEvent;

/// <summary>A tool call produced its observation (or was refused, failed, or interrupted).</summary>
/// <param name="CallId">The call identifier.</param>
/// <param name="Name">The tool name.</param>
/// <param name="Outcome">How the call ended.</param>
/// <param name="Result">The observation sent back to the model.</param>
/// <param name="DurationMs">How long the tool ran, in milliseconds.</param>
/// <param name="Truncated">Whether <paramref name="Result"/> was cut to fit the output cap.</param>
/// <param name="OriginalLength">The length in characters of the full output before any cut.</param>
public sealed record ToolCompleted(
    string CallId,
    string Name,
    ToolOutcome Outcome,
    string Result,
    long DurationMs = 0,
    bool Truncated = false,
    long OriginalLength = 0) : SessionEvent;

/// <summary>How a tool call ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ToolOutcome>))]
public enum ToolOutcome
{
    /// <summary>The tool ran and succeeded.</summary>
    [JsonStringEnumMemberName("success")] Success,

    /// <summary>The tool ran and reported an error, or the call was rejected (unknown tool, invalid arguments).</summary>
    [JsonStringEnumMemberName("error")] Error,

    /// <summary>The call started but never completed (the process stopped or was cancelled); it was not re-run.</summary>
    [JsonStringEnumMemberName("interrupted")] Interrupted,
}

/// <summary>The session was paused (Ctrl-C, or waiting for something) and can be resumed.</summary>
/// <param name="Reason">A stable snake_case reason, e.g. <c>cancelled</c>.</param>
public sealed record SessionSuspended(string Reason) : SessionEvent;

/// <summary>The session was picked up again after a suspension, an end of turn or a crash.</summary>
/// <param name="InterruptedCalls">How many started-but-unfinished tool calls were reported as interrupted.</param>
public sealed record SessionResumed(int InterruptedCalls = 0) : SessionEvent;

/// <summary>The agent stopped working on the current task.</summary>
/// <param name="Reason">A stable snake_case <see cref="StopReason"/> value.</param>
/// <param name="Detail">A human-readable explanation, if any.</param>
public sealed record SessionEnded(string Reason, string? Detail = null) : SessionEvent;

/// <summary>A journaled event with the position and time the store gave it.</summary>
/// <param name="Sequence">The 1-based position of the event in its session's journal.</param>
/// <param name="Timestamp">When the event was appended.</param>
/// <param name="Event">The event.</param>
public sealed record RecordedEvent(long Sequence, DateTimeOffset Timestamp, SessionEvent Event);
