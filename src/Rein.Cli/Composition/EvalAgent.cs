using Rein.Cli.Commands;
using Rein.Cli.Configuration;
using Rein.Cli.Rendering;
using Rein.Engine;
using Rein.Evals.Running;
using Rein.Journal;

namespace Rein.Cli.Composition;

/// <summary>
/// Runs one eval trial in-process the way <c>rein run</c> runs a task: the settings resolved for the trial's workspace,
/// the production guards in workspace-write mode (unless <c>--mode</c> says otherwise), a session journaled in the normal
/// store with the principal <c>eval:RUN_ID/TASK#TRIAL</c>. Nobody answers approvals: an <c>ask</c> stops the trial with
/// <c>awaiting_approval</c>.
/// </summary>
/// <param name="flags">The eval's flags (store already absolute); the task's limits override the matching budgets.</param>
/// <param name="suiteTrusted">
/// Whether the suite's folder is trusted (<c>rein trust</c>): a trial's workspace is a fresh copy of a task's, so its
/// project settings (<c>.rein/settings.json</c>, <c>.rein/agents/</c>) apply in full only when the suite they came from is trusted.
/// </param>
internal sealed class EvalAgent(SettingsValues flags, bool suiteTrusted) : IEvalAgent
{
    public const string DefaultMode = "workspace-write";

    public async Task<EvalAgentResult> RunAsync(EvalAgentRequest request, CancellationToken cancellationToken = default)
    {
        var limits = request.Limits;
        var settings = SettingsResolver.Resolve(
            flags with
            {
                Model = request.Model,
                Mode = flags.Mode ?? DefaultMode,
                MaxSteps = limits.MaxSteps ?? flags.MaxSteps,
                MaxTokens = limits.MaxTokens ?? flags.MaxTokens,
                MaxCostUsd = limits.MaxCostUsd ?? flags.MaxCostUsd,
                MaxTime = limits.Timeout ?? flags.MaxTime,
            },
            request.Workspace,
            Environment.GetEnvironmentVariable,
            trusted: suiteTrusted);
        using var host = AgentHost.Open(settings);
        using var chat = await host.CreateChatClientAsync(request.Model, cancellationToken);
        var loop = host.CreateLoop(chat, request.Workspace, request.Model, approvals: null, modeOverride: DefaultMode);
        // The trial spends as the person running the eval (their daily budgets apply); the origin tags the run.
        var started = new SessionStarted(
            SessionRunner.NewSessionId(), request.Workspace, request.Model, settings.Profile?.Name, host.Principal, Origin: $"eval:{request.RunId}/{request.Task.Name}#{request.Trial}", Approvals: host.ApprovalOptions.ToJournal());
        using var session = await SessionWriter.StartAsync(host.Store, started, cancellationToken);
        await using var lease = await host.Store.AcquireWriterAsync(session.SessionId, cancellationToken);
        using var interrupts = new Interrupts();
        using var stop = new StopRecorder();
        await SessionRunner.RunAsync(host, loop, session, request.Task.Instruction, stop, interrupts, cancellationToken);
        var state = session.State;
        return new EvalAgentResult(
            session.SessionId, state.Steps, state.Usage.InputTokens, state.Usage.OutputTokens, state.CostUsd,
            stop.Reason ?? state.StopReason ?? StopReason.Cancelled, stop.Detail);
    }

    /// <summary>Shows nothing (trials run side by side); keeps how the run stopped.</summary>
    private sealed class StopRecorder : IRunRenderer
    {
        public string? Reason { get; private set; }

        public string? Detail { get; private set; }

        public void Render(AgentUpdate update)
        {
        }

        public void Finish(SessionState state, RunStopped stopped)
        {
            Reason = stopped.Reason;
            Detail = stopped.Detail;
        }

        public void Dispose()
        {
        }
    }
}
