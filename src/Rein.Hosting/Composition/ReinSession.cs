using Rein.Context;
using Rein.Engine;
using Rein.Hosting.Configuration;
using Rein.Journal;

namespace Rein.Hosting.Composition;

/// <summary>Turns an interrupt (Ctrl-C, SIGTERM) into cancellation of the loop run going on, and only of that.</summary>
internal interface IRunInterrupts
{
    /// <summary>Starts a cancellable loop run; dispose the returned source when the run ends.</summary>
    CancellationTokenSource BeginRun(CancellationToken outer);

    /// <summary>Ends the loop run begun last.</summary>
    void EndRun();
}

/// <summary>How a run of a session ended.</summary>
/// <param name="Stopped">How the loop stopped the last time it ran; null when a UserPromptSubmit hook blocked the message.</param>
/// <param name="BlockedReason">Why a UserPromptSubmit hook blocked the message (the loop did not run), or null.</param>
internal sealed record SessionRunOutcome(RunStopped? Stopped, string? BlockedReason = null);

/// <summary>
/// One session's composed loop and guards (made by <see cref="AgentHost.CreateSession"/>), and the lifecycle around each run of
/// it: sub-agents cut off by a dead process are settled, SessionStart hooks run once per host and session (with the sandbox and
/// untrusted-settings notices), the UserPromptSubmit hook may block or extend a message, memories are recalled, and Stop hooks
/// may send the agent back to work.
/// </summary>
/// <remarks>Immutable; one run at a time (the session's writer lease says so across processes).</remarks>
internal sealed class ReinSession
{
    /// <summary>How often a Stop hook may send the agent back to work in one run.</summary>
    private const int MaxStopHookRounds = 4;

    private static int _trustWarningShown;

    private readonly bool _subAgent;

    internal ReinSession(AgentHost host, AgentLoop loop, GuardSetup guards, ContextEngine context, MemorySetup? memory, bool subAgent)
    {
        Host = host;
        Loop = loop;
        Guards = guards;
        Context = context;
        Memory = memory;
        _subAgent = subAgent;
    }

    /// <summary>The host that composed it (settings, store, principal).</summary>
    public AgentHost Host { get; }

    /// <summary>The agent loop.</summary>
    public AgentLoop Loop { get; }

    /// <summary>The policy, sandbox, hooks and budgets of the loop.</summary>
    public GuardSetup Guards { get; }

    /// <summary>The context engine of the loop (for <c>/compact</c>).</summary>
    public ContextEngine Context { get; }

    /// <summary>The session's MCP servers, which it stops when it is disposed; null for a sub-agent, whose parent's servers they are.</summary>
    public Rein.Mcp.Client.McpToolbox? Mcp { get; init; }

    /// <summary>The long-term memory of the loop, or null when memory is turned off.</summary>
    public MemorySetup? Memory { get; }

    /// <summary>Runs the session (with <paramref name="message"/>, or resuming it) until it stops, with the lifecycle hooks around it.</summary>
    /// <param name="session">The session, whose writer lease the caller holds.</param>
    /// <param name="message">The user's message, or null to resume.</param>
    /// <param name="onUpdate">Sees every update of the loop as it happens, or null.</param>
    /// <param name="interrupts">Cancels only the loop's runs on an interrupt, or null.</param>
    /// <param name="cancellationToken">Cancels the run; the loop journals its stop.</param>
    /// <returns>How the run ended.</returns>
    public async Task<SessionRunOutcome> RunAsync(SessionWriter session, string? message, Action<AgentUpdate>? onUpdate = null, IRunInterrupts? interrupts = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var workspace = session.State.Workspace;
        var hooks = Guards.Hooks;

        try
        {
            // Before the loop reports a task call cut off by a dead process as interrupted: what its child spent counts.
            await SubAgentRunner.SettleInterruptedAsync(Host.Store, session, cancellationToken).ConfigureAwait(false);
            if (Host.StartedSessions.TryAdd(session.SessionId, true))
            {
                if (Guards.SandboxDisabled is { } why)
                {
                    // A sub-agent's parent has said it already.
                    if (!_subAgent)
                    {
                        Host.Notice($"rein: warning: {why}");
                    }

                    await session.AppendAsync(new SandboxDisabled(why), CancellationToken.None).ConfigureAwait(false);
                }

                foreach (var unsandboxed in Mcp?.Unsandboxed ?? [])
                {
                    Host.Notice($"rein: warning: {unsandboxed}");
                    await session.AppendAsync(new SandboxDisabled(unsandboxed), CancellationToken.None).ConfigureAwait(false);
                }

                foreach (var failure in Mcp?.Failures ?? [])
                {
                    Host.Notice($"rein: warning: {failure}");
                }

                foreach (var ignored in Host.Settings.Ignored)
                {
                    await session.AppendAsync(new ProjectSettingsIgnored(ignored.File, ignored.Keys), CancellationToken.None).ConfigureAwait(false);
                }

                // Once per process: an eval runs many sessions with the same settings.
                if (!_subAgent && Interlocked.Exchange(ref _trustWarningShown, 1) == 0)
                {
                    if (Host.Settings.TrustError is { } trustError)
                    {
                        Host.Notice($"rein: warning: {trustError}");
                    }

                    if (SettingsResolver.IgnoredWarning(Host.Settings) is { } warning)
                    {
                        Host.Notice(warning);
                    }
                }

                var start = await hooks.RunSessionStartAsync(session.SessionId, workspace, session.State.Version <= 1 ? "startup" : "resume", cancellationToken).ConfigureAwait(false);
                await JournalAsync(session, start.Events).ConfigureAwait(false);
            }

            if (message is not null)
            {
                var prompt = await hooks.RunUserPromptSubmitAsync(session.SessionId, workspace, message, cancellationToken).ConfigureAwait(false);
                await JournalAsync(session, prompt.Events).ConfigureAwait(false);
                if (prompt.Blocked)
                {
                    return new SessionRunOutcome(null, prompt.Reason ?? "no reason given");
                }

                if (prompt.AdditionalContext is { Length: > 0 } extra)
                {
                    message = $"{message}\n\n{extra}";
                }
            }

            if (message is not null && Memory is { } memory && await memory.RecallAsync(session.State, message, Host.Notice, cancellationToken).ConfigureAwait(false) is { } recalled)
            {
                await session.AppendAsync(recalled, AppendDurability.Written, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancelled before the loop ran: the loop journals the session as suspended, so it is not left running.
        }

        RunStopped? stopped = null;
        // A Stop hook may send the agent back to work (Claude Code's "decision": "block"); a few rounds at most.
        for (var round = 0; round < MaxStopHookRounds; round++)
        {
            stopped = await RunLoopAsync(session, message, onUpdate, interrupts, cancellationToken).ConfigureAwait(false);
            var stop = await hooks.RunStopAsync(session.SessionId, workspace, stopped.Reason, stopHookActive: round > 0, CancellationToken.None).ConfigureAwait(false);
            await JournalAsync(session, stop.Events).ConfigureAwait(false);
            if (!stop.Blocked || stopped.Reason != StopReason.Completed || string.IsNullOrWhiteSpace(stop.Reason))
            {
                break;
            }

            message = stop.Reason;
        }

        return new SessionRunOutcome(stopped);
    }

    private static async Task JournalAsync(SessionWriter session, IReadOnlyList<HookRan> events)
    {
        if (events.Count > 0)
        {
            await session.AppendAsync([.. events], AppendDurability.Written, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task<RunStopped> RunLoopAsync(SessionWriter session, string? message, Action<AgentUpdate>? onUpdate, IRunInterrupts? interrupts, CancellationToken cancellationToken)
    {
        RunStopped? stopped = null;
        using (var run = interrupts?.BeginRun(cancellationToken) ?? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            try
            {
                await foreach (var update in Loop.RunAsync(session, message, run.Token).ConfigureAwait(false))
                {
                    onUpdate?.Invoke(update);
                    stopped = update as RunStopped ?? stopped;
                }
            }
            finally
            {
                interrupts?.EndRun();
            }
        }

        return stopped ?? new RunStopped(StopReason.Cancelled, null);
    }
}
