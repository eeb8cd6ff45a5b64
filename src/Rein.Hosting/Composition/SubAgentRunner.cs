using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Rein.Hosting.Configuration;
using Rein.Hosting.Profiles;
using Rein.Engine;
using Rein.Guard.Budgets;
using Rein.Journal;
using Rein.Profiles;
using Rein.Tools;

namespace Rein.Hosting.Composition;

/// <summary>What makes a loop a sub-agent's: its profile, its budget share, and no <c>task</c> tool of its own.</summary>
/// <param name="Profile">The profile whose body goes into the system prompt (its settings are not applied: the parent's policy holds).</param>
/// <param name="Budget">The child's share of its parent's budgets, or null to keep the settings' budgets (a resumed child).</param>
/// <param name="MaxSteps">The child's step cap per run, or null for the settings' cap.</param>
/// <param name="Nested">Whether the loop runs inside a parent's run in this process (the parent has shown the notices already).</param>
internal sealed record SubAgentScope(AgentProfile? Profile, BudgetReservation? Budget, int? MaxSteps, bool Nested);

/// <summary>
/// Runs the sub-agents of the <c>task</c> tool: each in a new child session of the same store, workspace and principal,
/// with the parent's policy, mode, sandbox, hooks and approval channel (the loop and its lifecycle come from <see cref="AgentHost.CreateSession"/>),
/// a fresh context (the prompt is its first message) and a share of what remains of the parent's budgets.
/// </summary>
/// <remarks>
/// <para>
/// Budget share (default <see cref="DefaultBudgetShare"/> = half): the child's session token, cost, step and tool-call limits are
/// reserved atomically from what the parent has neither used nor reserved for other running children (<see cref="BudgetReservations"/>
/// states the rule); its time limit is that share of the parent's, and its step cap per run that share of the parent's
/// <c>--max-steps</c> (at least one). Daily budgets are the parent's: the usage ledger counts every session of the principal,
/// the child's included. When the child stops, however it stops, its tokens, cost, steps and tool calls count toward the parent's
/// session budgets through <see cref="SubAgentFinished"/>, and what it did not use of its share is free again; a child cut off by
/// the death of the process is counted from its journal when the parent is resumed (<see cref="SettleInterruptedAsync"/>).
/// </para>
/// <para>
/// Sub-agents cannot start sub-agents (depth 1). An <c>ask</c> with nobody to answer stops the child awaiting approval;
/// the task fails with a report naming the child session, which can be approved and resumed on its own.
/// </para>
/// </remarks>
internal sealed class SubAgentRunner : ISubAgentRunner
{
    /// <summary>The share of the parent's remaining budgets a sub-agent gets: 0.5.</summary>
    public const double DefaultBudgetShare = 0.5;

    /// <summary>The stop reason reported for a child whose run failed on an internal error.</summary>
    private const string FailedReason = "error";

    private readonly AgentHost _host;
    private readonly IChatClient _chat;
    private readonly string _workspace;
    private readonly string _model;
    private readonly IApprovalChannel? _approvals;
    private readonly string? _modeOverride;
    private readonly double _share;
    private readonly BudgetLimits _limits;
    private readonly BudgetReservations _reservations = new();

    public SubAgentRunner(AgentHost host, IChatClient chat, string workspace, string model, IApprovalChannel? approvals, string? modeOverride, BudgetLimits limits, double share = DefaultBudgetShare)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(share);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(share, 1);
        _host = host;
        _chat = chat;
        _workspace = workspace;
        _model = model;
        _approvals = approvals;
        _modeOverride = modeOverride;
        _share = share;
        _limits = limits;
    }

    /// <summary>The <c>task</c> tool for a top-level loop whose budgets are <paramref name="limits"/>; none for a sub-agent's loop (depth 1).</summary>
    public static IReadOnlyList<ITool> TaskTools(AgentHost host, SubAgentScope? subAgent, IChatClient chat, string workspace, string model, IApprovalChannel? approvals, string? modeOverride, BudgetLimits limits, Rein.Mcp.Client.McpToolbox? mcp = null, Rein.Tools.IEditorFiles? editor = null) =>
        subAgent is null ? [new TaskTool(new SubAgentRunner(host, chat, workspace, model, approvals, modeOverride, limits) { Mcp = mcp, Editor = editor })] : [];

    /// <summary>The parent session's MCP servers, whose tools its sub-agents are offered too (they live as long as the parent), or null.</summary>
    public Rein.Mcp.Client.McpToolbox? Mcp { get; init; }

    /// <summary>The editor whose files the parent's file tools use, which its sub-agents use too, or null for the disk.</summary>
    public Rein.Tools.IEditorFiles? Editor { get; init; }

    /// <summary>The scope for resuming a child session on its own: its profile's prompt, the settings' budgets, no <c>task</c> tool.</summary>
    public static SubAgentScope? ForResume(AgentHost host, SessionState session)
    {
        if (session.ParentSessionId is null)
        {
            return null;
        }

        AgentProfile? profile = null;
        if (session.Agent is { Length: > 0 } name)
        {
            try
            {
                profile = AgentProfiles.Load(name, session.Workspace, Environment.GetEnvironmentVariable);
            }
            catch (Exception ex) when (ex is FileNotFoundException or FormatException)
            {
                throw new SettingsException($"Session {session.SessionId} is a sub-agent of profile '{name}', which cannot be loaded: {ex.Message}");
            }
        }

        return new SubAgentScope(profile, null, null, Nested: false);
    }

    /// <inheritdoc />
    public async ValueTask<SubAgentReport> RunAsync(SubAgentRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var profile = _host.Settings.Profile;
        if (request.Agent is { } name)
        {
            try
            {
                profile = AgentProfiles.Load(name, _workspace, Environment.GetEnvironmentVariable);
            }
            catch (Exception ex) when (ex is FileNotFoundException or FormatException or ArgumentException)
            {
                throw new SubAgentException($"The agent profile '{name}' cannot be used: {ex.Message} Omit \"agent\" to run the task with your own profile.", ex);
            }
        }

        var model = request.Agent is not null && profile?.Model is { Length: > 0 } own ? own : _model;
        var ownClient = model == _model ? null : await _host.CreateChatClientAsync(model, cancellationToken).ConfigureAwait(false);
        try
        {
            // The parent's journal is durable up to this call's start (the call is pending in it): what it has used sets the child's share,
            // and the reservation sees every sibling reserved before it.
            var parent = SessionState.Fold(await _host.Store.ReadAsync(request.ParentSessionId, 0, cancellationToken).ConfigureAwait(false));
            using var budget = _reservations.Reserve(_limits, parent, request.ParentCallId, _share);
            var parentMaxSteps = _host.Settings.Values.MaxSteps ?? SettingsResolver.DefaultMaxSteps;
            var scope = new SubAgentScope(profile, budget, Math.Max(1, (int)(parentMaxSteps * _share)), Nested: true);
            var child = _host.CreateSession(ownClient ?? _chat, _workspace, model, _approvals, _modeOverride, scope, mcp: Mcp, editor: Editor);
            var started = new SessionStarted(AgentHost.NewSessionId(), _workspace, model, profile?.Name, _host.Principal, request.ParentSessionId, request.ParentCallId, Approvals: parent.Approvals ?? _host.ApprovalOptions.ToJournal());
            using var session = await SessionWriter.StartAsync(_host.Store, started, cancellationToken).ConfigureAwait(false);
            await using var lease = (await _host.Store.AcquireWriterAsync(session.SessionId, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
            var label = session.SessionId.Length > 8 ? session.SessionId[^8..] : session.SessionId;
            request.Progress?.Report($"sub-agent {label} started: {request.Description}");
            RunStopped? stopped = null;
            try
            {
                var outcome = await child.RunAsync(
                    session,
                    request.Prompt,
                    update =>
                    {
                        if (request.Progress is { } progress && Describe(update) is { } line)
                        {
                            progress.Report($"sub-agent {label} {line}");
                        }
                    },
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                stopped = outcome.BlockedReason is { } blocked
                    ? new RunStopped(FailedReason, $"A UserPromptSubmit hook blocked the task: {blocked}")
                    : outcome.Stopped;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The report still goes back, so what the child spent counts toward the parent's budgets.
                stopped = new RunStopped(FailedReason, $"The sub-agent stopped on an internal error ({ex.GetType().Name}); its session is {session.SessionId}.");
            }
            finally
            {
                budget.Complete(BudgetUsage.Of(session.State));
            }

            // Ctrl-C: the child is suspended (resumable on its own) and reported as cancelled, so its spending is journaled in the parent
            // before the parent suspends.
            var state = session.State;
            return new SubAgentReport(
                session.SessionId,
                profile?.Name,
                stopped?.Reason ?? StopReason.Cancelled,
                stopped?.Detail,
                state.Steps + state.SubAgentSteps,
                state.Usage,
                state.CostUsd,
                state.LastAssistantText)
            {
                ToolCalls = state.ToolCalls + state.SubAgentToolCalls,
            };
        }
        finally
        {
            ownClient?.Dispose();
        }
    }

    /// <summary>
    /// Counts, in a parent about to be resumed, the children its process was running when it died: for each <c>task</c> call that
    /// started and has no result, the child session it started (found by <see cref="SessionStarted.ParentCallId"/>) is folded
    /// and its spending journaled in the parent as <see cref="SubAgentStarted"/> and <see cref="SubAgentFinished"/>; the loop then
    /// reports the call as interrupted. Nothing is journaled twice: a call whose <see cref="SubAgentFinished"/> is journaled is skipped.
    /// </summary>
    public static async Task SettleInterruptedAsync(ISessionStore store, SessionWriter parent, CancellationToken cancellationToken)
    {
        var calls = parent.State.PendingToolCalls.Where(c => c is { Name: "task", Started: true })
            .ToDictionary(c => c.CallId, c => c.Arguments is { ValueKind: JsonValueKind.Object } a && a.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : "task", StringComparer.Ordinal);
        if (calls.Count == 0 || await store.GetAsync(parent.SessionId, cancellationToken).ConfigureAwait(false) is not { } summary)
        {
            return;
        }

        foreach (var settled in (await store.ReadAsync(parent.SessionId, 0, cancellationToken).ConfigureAwait(false)).Select(e => e.Event).OfType<SubAgentFinished>())
        {
            calls.Remove(settled.CallId);
        }

        foreach (var child in await SubAgentSessions.ChildrenOfAsync(store, summary, cancellationToken).ConfigureAwait(false))
        {
            var state = SessionState.Fold(await store.ReadAsync(child.Id, 0, cancellationToken).ConfigureAwait(false));
            if (state.ParentCallId is not { } callId || !calls.Remove(callId, out var description))
            {
                continue;
            }

            await parent.AppendAsync(
                [
                    new SubAgentStarted(callId, state.SessionId, state.Agent, description),
                    new SubAgentFinished(callId, state.SessionId, state.StopReason ?? StopReason.Cancelled, state.Steps + state.SubAgentSteps, state.Usage, state.CostUsd, state.ToolCalls + state.SubAgentToolCalls),
                ],
                AppendDurability.Flushed,
                CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>A short progress line for an update of the child's run, or null for updates not worth a line.</summary>
    internal static string? Describe(AgentUpdate update) => update switch
    {
        EventAppended { Recorded.Event: ModelCalled { ToolCalls.Count: > 0 } m } =>
            string.Create(CultureInfo.InvariantCulture, $"step {m.Step}: {string.Join(", ", m.ToolCalls.Select(c => c.Name))}"),
        EventAppended { Recorded.Event: ModelCalled m } => string.Create(CultureInfo.InvariantCulture, $"step {m.Step}: answered"),
        EventAppended { Recorded.Event: ToolCompleted { Outcome: not ToolOutcome.Success } c } => $"{c.Name}: {c.Outcome.ToString().ToLowerInvariant()}",
        RunStopped s => $"stopped: {s.Reason}",
        _ => null,
    };
}
