using System.Text.Json;
using Rein.Journal;

namespace Rein.Guard.Hooks;

/// <summary>What the hooks of one event decided, combined, plus the journal entries of every hook that ran.</summary>
/// <remarks>
/// <para>Several hooks combine as follows: <c>deny</c> beats <c>ask</c> beats <c>allow</c>; rewrites apply in order
/// (each hook sees the previous one's input or output); context texts are joined by new lines.</para>
/// <para>What <see cref="Decision"/> means depends on the event: for <c>PreToolUse</c> and <c>ApprovalRequested</c> it judges
/// the call; for <c>PostToolUse</c>, <c>deny</c> means the hook sent feedback (<see cref="Reason"/>) for the model; for
/// <c>UserPromptSubmit</c>, <c>deny</c> rejects the prompt; for <c>Stop</c>, <c>deny</c> asks the agent not to stop yet
/// and to continue with <see cref="Reason"/>. <c>SessionStart</c> and <c>PreCompact</c> hooks cannot block.</para>
/// </remarks>
public sealed record HookOutcome
{
    /// <summary>Gets the event.</summary>
    public required string HookEvent { get; init; }

    /// <summary>Gets the combined decision, one of <see cref="PolicyDecisions"/>, or <see langword="null"/> when no hook decided.</summary>
    public string? Decision { get; init; }

    /// <summary>Gets the reasons the hooks that made <see cref="Decision"/> gave, if any.</summary>
    public string? Reason { get; init; }

    /// <summary>Gets the rewritten tool arguments (<c>PreToolUse</c>), when a hook rewrote them.</summary>
    public JsonElement? UpdatedInput { get; init; }

    /// <summary>Gets the replacement observation (<c>PostToolUse</c>), when a hook replaced it.</summary>
    public string? UpdatedOutput { get; init; }

    /// <summary>Gets context text hooks added for the model, if any.</summary>
    public string? AdditionalContext { get; init; }

    /// <summary>Gets whether the agent may go on; <see langword="false"/> when a hook answered <c>"continue": false</c>.</summary>
    public bool Continue { get; init; } = true;

    /// <summary>Gets why a hook stopped the agent (<c>stopReason</c>), when <see cref="Continue"/> is <see langword="false"/>.</summary>
    public string? StopReason { get; init; }

    /// <summary>Gets a <see cref="HookRan"/> entry for every hook that ran, in order, for the caller to journal.</summary>
    public IReadOnlyList<HookRan> Events { get; init; } = [];

    /// <summary>Gets whether the hooks blocked (<see cref="Decision"/> is <c>deny</c>).</summary>
    public bool Blocked => Decision == PolicyDecisions.Deny;
}

/// <summary>A tool call as hooks see it.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Workspace">The workspace root; hooks run there.</param>
/// <param name="CallId">The call identifier.</param>
/// <param name="ToolName">Rein's tool name (matchers also try its Claude Code names, see <see cref="ToolAliases"/>).</param>
/// <param name="ToolInput">The call's arguments.</param>
public sealed record HookToolCall(string SessionId, string Workspace, string CallId, string ToolName, JsonElement ToolInput)
{
    /// <summary>Gets the tool's parameter schema; when set, arguments a hook rewrites must match it or the call is denied.</summary>
    public JsonElement? InputSchema { get; init; }
}
