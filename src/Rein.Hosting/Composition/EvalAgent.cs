using System.Globalization;
using System.Text.RegularExpressions;
using Rein.Hosting.Configuration;
using Rein.Engine;
using Rein.Evals.Running;
using Rein.Journal;
using Rein.Tools;

namespace Rein.Hosting.Composition;

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
/// <param name="environment">Reads environment variables (where the user's settings are). Defaults to the process's.</param>
/// <param name="host">How each trial's host logs and tells the user things; defaults when null.</param>
/// <param name="interrupts">Makes what cancels a trial's loop runs on an interrupt (Ctrl-C), or null for none.</param>
internal sealed partial class EvalAgent(SettingsValues flags, bool suiteTrusted, Func<string, string?>? environment = null, AgentHostOptions? host = null, Func<IRunInterrupts>? interrupts = null) : IEvalAgent
{
    private readonly Func<string, string?> _environment = environment ?? Environment.GetEnvironmentVariable;

    public const string DefaultMode = "workspace-write";

    /// <summary>
    /// Runs a trial's grader commands as the trial's shell commands ran: the settings resolved for its workspace, the same
    /// sandbox (network allow-list, paths, limits, environment) or none with <c>--sandbox none</c>.
    /// </summary>
    /// <exception cref="SettingsException">A sandbox section of a settings file is invalid.</exception>
    public ICommandRunner CreateGraderRunner(string workspace)
    {
        var settings = SettingsResolver.Resolve(flags with { Mode = flags.Mode ?? DefaultMode }, workspace, _environment, trusted: suiteTrusted);
        try
        {
            return GuardSetup.CreateCommandRunner(settings, workspace).Runner;
        }
        catch (FormatException ex)
        {
            throw new SettingsException(ex.Message);
        }
    }

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
            _environment,
            trusted: suiteTrusted);
        using var agentHost = AgentHost.Open(settings, host);
        int? shellMaxTimeout = request.ShellTimeout is { } shellTimeout ? Math.Max(ShellTool.MaxTimeoutSeconds, (int)Math.Ceiling(shellTimeout.TotalSeconds)) : null;
        using var chat = await agentHost.CreateChatClientAsync(request.Model, cancellationToken).ConfigureAwait(false);
        var reinSession = agentHost.CreateSession(chat, request.Workspace, request.Model, approvals: null, modeOverride: DefaultMode, shellMaxTimeoutSeconds: shellMaxTimeout);
        // The trial spends as the person running the eval (their daily budgets apply); the origin tags the run.
        var started = new SessionStarted(
            AgentHost.NewSessionId(), request.Workspace, request.Model, settings.Profile?.Name, agentHost.Principal, Origin: $"eval:{request.RunId}/{request.Task.Name}#{request.Trial}", Approvals: agentHost.ApprovalOptions.ToJournal());
        using var session = await SessionWriter.StartAsync(agentHost.Store, started, cancellationToken).ConfigureAwait(false);
        var lease = await agentHost.Store.AcquireWriterAsync(session.SessionId, cancellationToken).ConfigureAwait(false);
        SessionRunOutcome outcome;
        await using (lease.ConfigureAwait(false))
        {
            var trialInterrupts = interrupts?.Invoke();
            try
            {
                outcome = await reinSession.RunAsync(session, request.Task.Instruction, interrupts: trialInterrupts, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                (trialInterrupts as IDisposable)?.Dispose();
            }
        }

        var state = session.State;
        var events = await agentHost.Store.ReadAsync(session.SessionId, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        return new EvalAgentResult(
            session.SessionId, state.Steps, state.Usage.InputTokens, state.Usage.OutputTokens, state.CostUsd,
            outcome.Stopped?.Reason ?? state.StopReason ?? StopReason.Cancelled, outcome.Stopped?.Detail)
        {
            ToolCalls = ToolCalls(events.Select(e => e.Event)),
        };
    }

    /// <summary>How each proposed tool call ended, from the journal: refused by the policy, timed out, killed, failed or completed.</summary>
    internal static List<EvalToolCall> ToolCalls(IEnumerable<SessionEvent> events)
    {
        var calls = new List<(string Id, string Name)>();
        var refusals = new Dictionary<string, string>(StringComparer.Ordinal);
        var completions = new Dictionary<string, ToolCompleted>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            switch (e)
            {
                case ToolCallProposed proposed:
                    calls.Add((proposed.CallId, proposed.Name));
                    break;
                case PolicyDecided { Decision: PolicyDecisions.Deny } denied:
                    refusals[denied.CallId] = denied.Reason;
                    break;
                case ToolCompleted completed:
                    completions[completed.CallId] = completed;
                    break;
            }
        }

        return [.. calls.Select(c => refusals.TryGetValue(c.Id, out var why) ? new EvalToolCall(c.Name, EvalToolCall.Refused, why)
            : completions.TryGetValue(c.Id, out var done) ? Outcome(c.Name, done)
            : new EvalToolCall(c.Name, EvalToolCall.Killed, "it never finished"))];
    }

    private static EvalToolCall Outcome(string name, ToolCompleted completed)
    {
        var tail = completed.Result.TrimEnd();
        if (completed.Outcome == ToolOutcome.Interrupted)
        {
            return new EvalToolCall(name, EvalToolCall.Killed, "interrupted");
        }

        if (name == "shell" && TimedOut().Match(tail) is { Success: true } timedOut)
        {
            return new EvalToolCall(name, EvalToolCall.TimedOut, timedOut.Groups[1].Value);
        }

        // A shell reports a command killed by signal N as exit code 128 + N.
        if (name == "shell" && ExitCode().Match(tail) is { Success: true } exit
            && int.TryParse(exit.Groups[1].Value, CultureInfo.InvariantCulture, out var code) && code is > 128 and <= 128 + 64)
        {
            return new EvalToolCall(name, EvalToolCall.Killed, string.Create(CultureInfo.InvariantCulture, $"killed by signal {code - 128} (exit code {code})"));
        }

        return completed.Outcome == ToolOutcome.Error
            ? new EvalToolCall(name, EvalToolCall.Failed, tail.Length <= 300 ? tail : tail[^300..])
            : new EvalToolCall(name, EvalToolCall.Completed);
    }

    [GeneratedRegex(@"\[(timed out after [^;\]]+)[^\]]*\]$")]
    private static partial Regex TimedOut();

    [GeneratedRegex(@"\[exit code (-?\d+)\]$")]
    private static partial Regex ExitCode();
}
