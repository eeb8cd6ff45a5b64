namespace Rein.Journal;

/// <summary>A <c>task</c> call started a sub-agent: a child session with its own context, under the same policy and journal store.</summary>
/// <param name="CallId">The <c>task</c> call in the parent session.</param>
/// <param name="ChildSessionId">The child session (see <see cref="SessionStarted.ParentSessionId"/>).</param>
/// <param name="Agent">The agent profile the child runs with, if any.</param>
/// <param name="Description">The short title the model gave the task.</param>
/// <remarks>Journaled in the parent with the call's result; a child whose parent died mid-run is found by its <see cref="SessionStarted.ParentSessionId"/>.</remarks>
public sealed record SubAgentStarted(string CallId, string ChildSessionId, string? Agent, string Description) : SessionEvent;

/// <summary>A sub-agent stopped; only its final report went back to the parent's context.</summary>
/// <param name="CallId">The <c>task</c> call in the parent session.</param>
/// <param name="ChildSessionId">The child session.</param>
/// <param name="StopReason">Why the child stopped, a stable snake_case <see cref="Journal.StopReason"/> value.</param>
/// <param name="Steps">The child's model calls, its own sub-agents' included; the parent's <see cref="SessionState.SubAgentSteps"/> includes them.</param>
/// <param name="Usage">The child's token usage; the parent's <see cref="SessionState.Usage"/> includes it.</param>
/// <param name="CostUsd">The child's priced cost in US dollars; the parent's <see cref="SessionState.CostUsd"/> includes it.</param>
/// <param name="ToolCalls">The child's completed tool calls, its own sub-agents' included; the parent's <see cref="SessionState.SubAgentToolCalls"/> includes them.</param>
/// <remarks>
/// Journaled with the <c>task</c> call's result, or, when the parent's process stopped while the child ran, when the parent is resumed
/// (from the child's journal), so a session's budgets always count what its sub-agents spent.
/// </remarks>
public sealed record SubAgentFinished(string CallId, string ChildSessionId, string StopReason, int Steps, TokenUsage Usage, decimal CostUsd = 0m, int ToolCalls = 0) : SessionEvent;
