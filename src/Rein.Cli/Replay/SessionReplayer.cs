using System.CommandLine;
using Rein.Cli.Commands;
using Rein.Cli.Composition;
using Rein.Hosting.Composition;
using Rein.Hosting.Configuration;
using Rein.Engine;
using Rein.Journal;
using Rein.Models;
using Rein.Replay;

namespace Rein.Cli.Replay;

/// <summary>
/// Re-runs a recorded session: the model's answers come from its journal, the tools, policy and sandbox really run in a
/// fresh copy of its starting workspace, into a new session in a throw-away store; then the two journals are compared.
/// </summary>
internal static class SessionReplayer
{
    /// <summary>Replays a session.</summary>
    /// <param name="parse">The command line (permission mode, sandbox, environment and agent flags apply to the replay).</param>
    /// <param name="sessionId">The recorded session.</param>
    /// <param name="events">Its journal.</param>
    /// <param name="workspace">The workspace it started from.</param>
    /// <param name="trusted">Whether project settings in the starting workspace apply in full (the place the session came from is trusted); otherwise they only tighten.</param>
    /// <param name="keep">Keep the replay's workspace and store (their folder is in the outcome) instead of deleting them.</param>
    /// <param name="cancellationToken">Cancels the replay.</param>
    /// <exception cref="InvalidOperationException">The session cannot be replayed (it started sub-agents).</exception>
    public static async Task<ReplayOutcome> ReplayAsync(ParseResult parse, string sessionId, IReadOnlyList<SessionEvent> events, StartingWorkspace workspace, bool trusted, bool keep, CancellationToken cancellationToken)
    {
        var plan = ReplayPlan.From(events);
        if (plan.SubAgents > 0)
        {
            throw new InvalidOperationException(
                $"Session {sessionId} started {plan.SubAgents} sub-agent(s) (task); replaying sessions with sub-agents is not supported, since their answers are in other sessions' journals.");
        }

        var warnings = new List<string>();
        if (workspace.Snapshot == StartingWorkspace.None)
        {
            warnings.Add("no starting snapshot exists (the session took no checkpoint): replayed in an empty workspace, so observations of files that existed may differ.");
        }

        if (plan.Compactions > 0)
        {
            warnings.Add($"the session compacted its context {plan.Compactions} time(s); the replay's own compactions have no recorded summary.");
        }

        var root = Directory.CreateTempSubdirectory("rein-replay-");
        try
        {
            // The real path: under a symlinked temporary folder (/tmp → /private/tmp) the tools' confinement and pwd see that one.
            var created = Path.Combine(root.FullName, "workspace");
            var workspaceDir = Path.Combine(Rein.Tools.RealPath.Resolve(root.FullName) ?? root.FullName, "workspace");
            workspace.Materialize(workspaceDir);
            var settings = ResolveSettings(parse, workspaceDir, Path.Combine(root.FullName, "data", "rein.db"), plan, trusted);
            var userRules = ReplaySettings.ReadRules(settings.Documents);
            using var host = CliLogging.OpenHost(settings);
            using var chat = ReplayChatClient.Create(plan.ModelCalls, sessionId);
            var reinSession = host.CreateSession(chat, settings.Workspace, plan.Started.Model, new RecordedApprovalChannel(plan.InlineApprovals));
            if (reinSession.Guards.SandboxDisabled is { } why)
            {
                warnings.Add($"commands ran without the sandbox: {why}");
            }

            var replayId = AgentHost.NewSessionId();
            using var session = await SessionWriter.StartAsync(
                host.Store,
                new SessionStarted(replayId, settings.Workspace, $"replay:{sessionId}", settings.Profile?.Name, host.Principal, Approvals: plan.Started.Approvals ?? host.ApprovalOptions.ToJournal()),
                cancellationToken);
            await using (await host.Store.AcquireWriterAsync(replayId, cancellationToken))
            {
                foreach (var run in plan.Runs)
                {
                    var open = session.State.OpenApprovals.Select(a => a.CallId).ToHashSet(StringComparer.Ordinal);
                    foreach (var answer in run.ApprovalsBefore.Where(a => open.Contains(a.CallId)))
                    {
                        await session.AppendAsync(answer, CancellationToken.None);
                    }

                    await foreach (var update in reinSession.Loop.RunAsync(session, run.Message, cancellationToken))
                    {
                        _ = update;
                    }
                }
            }

            var replayed = await host.Store.ReadAsync(replayId, 0, cancellationToken);
            var comparison = JournalComparer.Compare(
                [.. events],
                [.. replayed.Select(e => e.Event)],
                ReplayNormalizer.For(
                    plan.Started.Workspace,
                    [settings.Workspace, workspaceDir, created, Rein.Tools.RealPath.Resolve(plan.Started.Workspace) ?? plan.Started.Workspace],
                    sessionId,
                    replayId,
                    userRules));
            return new ReplayOutcome(sessionId, replayId, workspace.Snapshot, comparison, warnings, keep ? root.FullName : null);
        }
        finally
        {
            if (!keep)
            {
                TryDelete(root);
            }
        }
    }

    /// <summary>
    /// The settings of the replay: the user's settings and flags as for any run, in the replay's workspace (so the
    /// recorded project's <c>.rein/settings.json</c> applies) with a throw-away store; the recorded agent profile and
    /// permission mode unless <c>--agent</c> or <c>--mode</c> say otherwise.
    /// </summary>
    private static ResolvedSettings ResolveSettings(ParseResult parse, string workspace, string store, ReplayPlan plan, bool trusted)
    {
        var settings = CommonOptions.Resolve(parse, workspaceOverride: workspace, trusted: trusted);
        var values = settings.Values with
        {
            Store = store,
            Agent = parse.GetValue(CommonOptions.Agent) ?? plan.Started.Agent ?? settings.Values.Agent,
            Mode = parse.GetValue(CommonOptions.Mode) ?? plan.PermissionMode ?? settings.Values.Mode,
        };
        return SettingsResolver.Resolve(values, settings.Workspace, Environment.GetEnvironmentVariable, trusted);
    }

    private static void TryDelete(DirectoryInfo directory)
    {
        try
        {
            directory.Delete(recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover temporary folder is not worth failing a replay for.
        }
    }
}

/// <summary>The result of one replay.</summary>
/// <param name="SessionId">The recorded session.</param>
/// <param name="ReplaySessionId">The replay's session (in the throw-away store).</param>
/// <param name="StartingWorkspace">Where the starting workspace came from (<see cref="Rein.Replay.StartingWorkspace.Snapshot"/>).</param>
/// <param name="Comparison">The comparison of the two journals.</param>
/// <param name="Warnings">Limits of this replay worth knowing.</param>
/// <param name="KeptAt">The folder with the replay's workspace and store, when kept.</param>
internal sealed record ReplayOutcome(string SessionId, string ReplaySessionId, string StartingWorkspace, ReplayComparison Comparison, IReadOnlyList<string> Warnings, string? KeptAt);
