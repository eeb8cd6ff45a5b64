using System.Text.Json;

namespace Rein.Journal;

/// <summary>The policy judged a tool call. Journaled for every call that passed argument validation.</summary>
/// <param name="CallId">The call identifier.</param>
/// <param name="Tool">The tool name.</param>
/// <param name="Decision">One of <see cref="PolicyDecisions"/>: <c>allow</c>, <c>ask</c> or <c>deny</c>.</param>
/// <param name="Reason">Why, in words a user understands (names the rule or the mode that decided).</param>
/// <param name="Rule">The rule that decided, as written, e.g. <c>shell(rm -rf *)</c>; null when the mode's default decided.</param>
/// <param name="Source">Where the rule came from, e.g. <c>project</c>, <c>user</c>, <c>managed</c>, <c>session</c>, <c>built-in</c>.</param>
/// <param name="Mode">The permission mode in force, e.g. <c>ask</c>.</param>
public sealed record PolicyDecided(string CallId, string Tool, string Decision, string Reason, string? Rule = null, string? Source = null, string? Mode = null) : SessionEvent;

/// <summary>The decisions a policy can make about a tool call.</summary>
public static class PolicyDecisions
{
    /// <summary>The call may run.</summary>
    public const string Allow = "allow";

    /// <summary>A person must approve the call first.</summary>
    public const string Ask = "ask";

    /// <summary>The call must not run.</summary>
    public const string Deny = "deny";
}

/// <summary>A tool call waits for a person's approval. The session suspends until an <see cref="ApprovalDecided"/> follows.</summary>
/// <param name="CallId">The call identifier (also the approval's identifier).</param>
/// <param name="Tool">The tool name.</param>
/// <param name="Arguments">The call's arguments, as the approver should see them.</param>
/// <param name="Reason">Why approval is needed (the policy's reason).</param>
/// <param name="ExpiresAt">When an unanswered request counts as denied, if it expires.</param>
/// <param name="SuggestedRule">The allow rule an "approve for this session" answer remembers, e.g. <c>shell(npm test*)</c>.</param>
public sealed record ApprovalRequested(string CallId, string Tool, JsonElement? Arguments, string Reason, DateTimeOffset? ExpiresAt = null, string? SuggestedRule = null) : SessionEvent;

/// <summary>A person (or the timeout) answered an approval request.</summary>
/// <param name="CallId">The call identifier.</param>
/// <param name="Decision">One of <see cref="ApprovalDecisions"/>.</param>
/// <param name="By">Who decided: a principal name, or <c>timeout</c>.</param>
/// <param name="Reason">The approver's reason; for a denial it is sent to the model.</param>
/// <param name="SessionRule">For <see cref="ApprovalDecisions.ApproveSession"/>, the allow rule remembered for the rest of the session, e.g. <c>shell(npm test*)</c>.</param>
public sealed record ApprovalDecided(string CallId, string Decision, string By, string? Reason = null, string? SessionRule = null) : SessionEvent;

/// <summary>The answers to an approval request.</summary>
public static class ApprovalDecisions
{
    /// <summary>Run this call.</summary>
    public const string ApproveOnce = "approve_once";

    /// <summary>Run this call and allow calls like it for the rest of the session.</summary>
    public const string ApproveSession = "approve_session";

    /// <summary>Do not run the call; the reason goes to the model.</summary>
    public const string Deny = "deny";

    /// <summary>Nobody answered in time; counts as a denial.</summary>
    public const string Timeout = "timeout";
}

/// <summary>A budget passed its warning threshold (80% by default).</summary>
/// <param name="Budget">What is limited: <c>tokens</c>, <c>cost</c>, <c>steps</c>, <c>tool_calls</c> or <c>time</c>.</param>
/// <param name="Scope"><c>session</c> or <c>principal_day</c>.</param>
/// <param name="Used">How much is used (tokens, USD, steps, calls or seconds).</param>
/// <param name="Limit">The limit, in the same unit.</param>
public sealed record BudgetWarning(string Budget, string Scope, double Used, double Limit) : SessionEvent;

/// <summary>A budget would be or was crossed; the run stops with <see cref="StopReason.BudgetExceeded"/>.</summary>
/// <param name="Budget">What is limited.</param>
/// <param name="Scope"><c>session</c> or <c>principal_day</c>.</param>
/// <param name="Used">How much is used (for a refused model call: used plus the call's estimate).</param>
/// <param name="Limit">The limit.</param>
/// <param name="Detail">A human-readable explanation.</param>
public sealed record BudgetExceeded(string Budget, string Scope, double Used, double Limit, string Detail) : SessionEvent;

/// <summary>The workspace was snapshotted (in Rein's shadow repository, never the user's own).</summary>
/// <param name="Commit">The snapshot's commit identifier in the shadow repository.</param>
/// <param name="Phase"><c>before</c> or <c>after</c> the call named by <paramref name="CallId"/>; <c>start</c> or <c>rewind</c> otherwise.</param>
/// <param name="CallId">The tool call the snapshot brackets, if any.</param>
/// <param name="Step">The step the snapshot belongs to.</param>
/// <param name="SkippedFiles">Files left out of the snapshot (too large), relative to the workspace.</param>
public sealed record CheckpointTaken(string Commit, string Phase, string? CallId = null, int Step = 0, IReadOnlyList<string>? SkippedFiles = null) : SessionEvent;

/// <summary>
/// A tool call changed workspace entries the host trusts later (<c>.git</c>'s configuration and hooks, <c>.rein</c>, the
/// configured git hooks folder), and Rein put them back as they were before the call.
/// </summary>
/// <param name="CallId">The tool call that changed them.</param>
/// <param name="Restored">What was put back, removed or moved back, relative to the workspace (e.g. <c>removed .git/hooks/pre-commit</c>).</param>
/// <param name="NotRestored">Changes that could not be undone (no copy was kept, or the write failed), relative to the workspace.</param>
public sealed record ProtectedPathsRestored(string? CallId, IReadOnlyList<string> Restored, IReadOnlyList<string> NotRestored) : SessionEvent;

/// <summary>The workspace was restored to a snapshot.</summary>
/// <param name="Commit">The snapshot restored.</param>
/// <param name="Step">The step whose starting state was restored.</param>
/// <param name="Backup">A snapshot of the workspace taken just before the rewind, so it can be undone.</param>
/// <param name="FilesChanged">How many files were written or removed.</param>
public sealed record WorkspaceRewound(string Commit, int Step, string Backup, int FilesChanged) : SessionEvent;

/// <summary>The sandbox refused a network connection to a host that is not allow-listed.</summary>
/// <param name="Host">The host asked for.</param>
/// <param name="Port">The port asked for.</param>
/// <param name="CallId">The tool call that tried, if known.</param>
public sealed record EgressRefused(string Host, int Port, string? CallId = null) : SessionEvent;

/// <summary>Commands run without the sandbox because the user asked for it (<c>--sandbox none</c>).</summary>
/// <param name="Detail">What was disabled and who asked.</param>
public sealed record SandboxDisabled(string Detail) : SessionEvent;

/// <summary>
/// Settings of a workspace the user has not trusted were left out because they would have loosened the user's own
/// (hooks, allow rules, a looser mode or sandbox, another endpoint or store, …); the rest of the file applied.
/// </summary>
/// <param name="File">The project settings file or agent profile.</param>
/// <param name="Keys">The keys left out, e.g. <c>base_url</c>, <c>hooks</c>, <c>sandbox.type</c>.</param>
public sealed record ProjectSettingsIgnored(string File, IReadOnlyList<string> Keys) : SessionEvent;

/// <summary>A user-defined hook ran.</summary>
/// <param name="HookEvent">The lifecycle event, e.g. <c>PreToolUse</c>.</param>
/// <param name="Command">The hook's command line.</param>
/// <param name="Outcome"><c>ok</c>, <c>allow</c>, <c>deny</c>, <c>ask</c>, <c>rewrite</c>, <c>error</c> or <c>timeout</c>.</param>
/// <param name="Reason">The hook's reason or error text, if any.</param>
/// <param name="CallId">The tool call the hook judged, if any.</param>
/// <param name="DurationMs">How long it ran.</param>
public sealed record HookRan(string HookEvent, string Command, string Outcome, string? Reason = null, string? CallId = null, long DurationMs = 0) : SessionEvent;
