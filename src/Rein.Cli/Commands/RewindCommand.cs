using System.CommandLine;
using System.Text.Json.Nodes;
using Rein.Cli.Composition;
using Rein.Hosting.Composition;
using Rein.Hosting.Configuration;
using Rein.Cli.Rendering;
using Rein.Engine;
using Rein.Guard.Checkpoints;
using Rein.Journal;

namespace Rein.Cli.Commands;

/// <summary><c>rein rewind SESSION [--to STEP]</c>: puts the workspace back the way it was before the session (or a step) changed it.</summary>
internal static class RewindCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("session") { Description = "Session id, or a unique prefix of it." };
        var to = new Option<int?>("--to") { Description = "Restore the workspace as it was just before this step's first change. Default: before the session's first change." };
        var checkpoint = new Option<string?>("--checkpoint")
        {
            Description = "Restore this checkpoint of the session instead (a commit id or prefix), e.g. the backup a rewind printed, to undo that rewind.",
        };
        var command = new Command("rewind", "Restore the workspace to its state before the session's changes (or a step's). Files the session's .gitignore ignores are left alone; the state replaced is backed up first.")
        {
            id, to, checkpoint, CommonOptions.Store, CommonOptions.Json,
        };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            using var host = CliLogging.OpenHost(CommonOptions.Resolve(parse));
            var session = await SessionCheckpoints.LoadAsync(host, parse.GetValue(id)!, ct);
            if (session.Error is { } error)
            {
                return error;
            }

            string commit;
            int step;
            if (parse.GetValue(checkpoint) is { } wanted)
            {
                commit = session.History.Find(wanted)
                    ?? throw new SettingsException($"'{wanted}' is not a checkpoint of session {session.Summary.Id} (give at least 4 hex digits of one it journaled).");
                step = session.History.Checkpoints.FirstOrDefault(c => c.Commit == commit)?.Step ?? 0;
            }
            else
            {
                step = parse.GetValue(to) ?? 1;
                session.CheckStep(step, "--to");
                var before = session.History.BeforeStep(step);
                if (before is null)
                {
                    await Console.Error.WriteLineAsync($"Nothing to rewind: session {session.Summary.Id} changed no files at or after step {step}.");
                    return ExitCodes.Success;
                }

                commit = before.Commit;
            }

            await using var lease = await host.Store.AcquireWriterAsync(session.Summary.Id, ct);
            var repository = new ShadowRepository(session.Workspace, host.CreateCheckpointOptions());
            var result = await repository.RestoreAsync(commit, session.Summary.Id, ct);
            using (var writer = await SessionWriter.OpenAsync(host.Store, session.Summary.Id, ct))
            {
                await writer.AppendAsync(new WorkspaceRewound(result.Commit, step, result.Backup.Commit, result.Changes.Count), CancellationToken.None);
            }

            var undo = $"rein rewind {session.Summary.Id} --checkpoint {result.Backup.Commit}";
            if (parse.GetValue(CommonOptions.Json))
            {
                var line = new JsonObject
                {
                    ["session"] = session.Summary.Id,
                    ["workspace"] = session.Workspace,
                    ["commit"] = result.Commit,
                    ["step"] = step,
                    ["backup"] = result.Backup.Commit,
                    ["files_changed"] = result.Changes.Count,
                    ["changes"] = new JsonArray([.. result.Changes.Select(c => (JsonNode)new JsonObject { ["path"] = host.Redactor.Redact(c.Path), ["action"] = Action(c.Status) })]),
                    ["skipped"] = new JsonArray([.. result.Backup.SkippedFiles.Select(f => (JsonNode)host.Redactor.Redact(f))]),
                    ["undo"] = undo,
                };
                Console.Out.WriteLine(line.ToJsonString(JournalJson.Options));
                return ExitCodes.Success;
            }

            var what = step > 0 ? $"as it was before step {step}" : $"to checkpoint {Short(result.Commit)}";
            Console.Out.WriteLine($"Restored {session.Workspace} {what} (checkpoint {Short(result.Commit)}): {Plural.Of(result.Changes.Count, "file")} changed.");
            foreach (var change in result.Changes)
            {
                // File names come from the session's checkpoints, like the contents rein diff redacts.
                Console.Out.WriteLine($"  {Action(change.Status),-9} {host.Redactor.Redact(change.Path)}");
            }

            if (result.Backup.SkippedFiles.Count > 0)
            {
                Console.Out.WriteLine($"Left alone (too large or nested repositories): {host.Redactor.Redact(string.Join(", ", result.Backup.SkippedFiles))}");
            }

            Console.Out.WriteLine($"The state replaced is saved as checkpoint {Short(result.Backup.Commit)}. Undo with: {undo}");
            return ExitCodes.Success;
        }));
        return command;
    }

    // The change is from the workspace as it was to the checkpoint: a file the checkpoint has and the workspace did not is recreated.
    private static string Action(FileChangeStatus status) => status switch
    {
        FileChangeStatus.Added => "restored",
        FileChangeStatus.Deleted => "removed",
        FileChangeStatus.Modified => "rewritten",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    internal static string Short(string commit) => commit.Length > 12 ? commit[..12] : commit;
}

/// <summary>A session's summary, workspace and checkpoints, for <c>rein rewind</c> and <c>rein diff</c>.</summary>
internal sealed class SessionCheckpoints
{
    private SessionCheckpoints(SessionSummary summary, SessionState state, CheckpointHistory history)
    {
        Summary = summary;
        State = state;
        History = history;
    }

    public SessionSummary Summary { get; }

    public SessionState State { get; }

    public CheckpointHistory History { get; }

    public string Workspace => State.Workspace.Length > 0 ? State.Workspace : Summary.Workspace;

    /// <summary>An exit code when the command cannot go on (the message is already written), else null.</summary>
    public int? Error { get; private init; }

    /// <exception cref="SessionNotFoundException">No session has that id.</exception>
    public static async Task<SessionCheckpoints> LoadAsync(AgentHost host, string id, CancellationToken cancellationToken)
    {
        var summary = await host.Store.GetAsync(id, cancellationToken) ?? throw new SessionNotFoundException(id);
        var events = await host.Store.ReadAsync(summary.Id, 0, cancellationToken);
        var result = new SessionCheckpoints(summary, SessionState.Fold(events), CheckpointHistory.From(events.Select(e => e.Event)));
        if (result.History.Checkpoints.Count == 0)
        {
            await Console.Error.WriteLineAsync(
                $"rein: session {summary.Id} has no checkpoints: it changed no files (only read-only tools ran), or it ran without checkpoints (git missing?).");
            return new SessionCheckpoints(summary, result.State, result.History) { Error = ExitCodes.Error };
        }

        if (!Directory.Exists(result.Workspace))
        {
            await Console.Error.WriteLineAsync($"rein: the workspace of session {summary.Id}, {result.Workspace}, no longer exists.");
            return new SessionCheckpoints(summary, result.State, result.History) { Error = ExitCodes.Error };
        }

        return result;
    }

    /// <exception cref="SettingsException">The step is not one of the session's.</exception>
    public void CheckStep(int step, string option)
    {
        if (step < 1 || step > State.Steps)
        {
            throw new SettingsException($"{option} {step} is out of range: session {Summary.Id} has steps 1 to {State.Steps}.");
        }
    }
}
