using System.CommandLine;
using System.Text.Json.Nodes;
using Rein.Cli.Composition;
using Rein.Hosting.Configuration;
using Rein.Cli.Replay;
using Rein.Journal;
using Rein.Replay;

namespace Rein.Cli.Commands;

/// <summary><c>rein sessions export|import</c>: a session as one self-contained file (journal and starting workspace).</summary>
internal static class SessionTransferCommands
{
    public static void AddTo(Command sessions)
    {
        sessions.Add(CreateExport());
        sessions.Add(CreateImport());
    }

    private static Command CreateExport()
    {
        var id = new Argument<string>("id") { Description = "Session id, or a unique prefix of it." };
        var output = new Option<string?>("--output", "-o") { Description = $"File to write; '-' for standard output. Default: ID{SessionArchive.Extension} in the current folder." };
        var current = new Option<bool>("--current-workspace")
        {
            Description = "For a session that took no checkpoint (it changed no files), include the workspace as it is now as its starting workspace. " +
                "Without it such a session is exported without files and replays in an empty workspace.",
        };
        var command = new Command("export", "Write a session to one file: its journal exactly as recorded and the workspace it started from (its first checkpoint).")
        {
            id, output, current, CommonOptions.Store, CommonOptions.Json,
        };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            using var host = CliLogging.OpenHost(CommonOptions.Resolve(parse));
            var summary = await host.Store.GetAsync(parse.GetValue(id)!, ct) ?? throw new SessionNotFoundException(parse.GetValue(id)!);
            var events = await host.Store.ReadAsync(summary.Id, 0, ct);
            var journal = events.Select(e => e.Event).ToList();
            var subAgents = journal.OfType<SubAgentStarted>().Count();
            if (subAgents > 0)
            {
                // Their journals and workspaces would have to travel too; a partial file would replay wrongly.
                throw new InvalidOperationException(
                    $"Session {summary.Id} started {subAgents} sub-agent(s) (task); exporting sessions with sub-agents is not supported yet. " +
                    "Export a sub-agent's own session instead (rein sessions show lists them).");
            }

            var workspace = await StartingWorkspaces.ForSessionAsync(host, (SessionStarted)journal[0], journal, parse.GetValue(current), ct);
            var archive = new SessionArchive(summary.Id, TimeProvider.System.GetUtcNow(), workspace, events);
            var path = parse.GetValue(output) ?? summary.Id + SessionArchive.Extension;
            if (path == "-")
            {
                await using var stdout = Console.OpenStandardOutput();
                archive.WriteTo(stdout);
                await stdout.WriteAsync("\n"u8.ToArray(), ct);
            }
            else
            {
                path = Path.GetFullPath(path);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var temporary = path + ".tmp";
                await using (var file = File.Create(temporary))
                {
                    archive.WriteTo(file);
                }

                File.Move(temporary, path, overwrite: true);
            }

            var report = new JsonObject
            {
                ["session_id"] = summary.Id,
                ["file"] = path,
                ["events"] = events.Count,
                ["starting_workspace"] = workspace.Snapshot,
                ["checkpoint"] = workspace.Checkpoint,
                ["files"] = workspace.Files.Count,
            };
            if (parse.GetValue(CommonOptions.Json) && path != "-")
            {
                Console.Out.WriteLine(report.ToJsonString(JournalJson.Options));
            }
            else
            {
                var where = path == "-" ? "standard output" : path;
                await Console.Error.WriteLineAsync(workspace.Snapshot == StartingWorkspace.None
                    ? $"exported session {summary.Id} ({events.Count} events) to {where}; it took no checkpoint, so no starting workspace is included (replays start empty; see --current-workspace)"
                    : $"exported session {summary.Id} ({events.Count} events, {workspace.Files.Count} files from the {workspace.Snapshot} snapshot) to {where}");
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateImport()
    {
        var file = new Argument<string>("file") { Description = "A session file written by rein sessions export." };
        var command = new Command("import", "Store an exported session with its original ids, sequence numbers and timestamps (refused when the id already exists).")
        {
            file, CommonOptions.Store, CommonOptions.Json,
        };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                throw new SettingsException($"Session file '{path}' does not exist.");
            }

            var text = await File.ReadAllTextAsync(path, ct);
            var archive = SessionArchive.Parse(text, path);
            using var host = CliLogging.OpenHost(CommonOptions.Resolve(parse));
            await host.Store.ImportAsync(archive.SessionId, archive.Events, ct);

            // The starting workspace stays with the store, so rein replay ID works on the imported session.
            var copy = StartingWorkspaces.ImportedCopyPath(host, archive.SessionId);
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            await File.WriteAllTextAsync(copy, text, ct);
            if (parse.GetValue(CommonOptions.Json))
            {
                Console.Out.WriteLine(new JsonObject
                {
                    ["session_id"] = archive.SessionId,
                    ["events"] = archive.Events.Count,
                    ["starting_workspace"] = archive.Workspace.Snapshot,
                    ["files"] = archive.Workspace.Files.Count,
                    ["store"] = host.Settings.StorePath,
                }.ToJsonString(JournalJson.Options));
            }
            else
            {
                Console.Out.WriteLine($"imported session {archive.SessionId} ({archive.Events.Count} events) into {host.Settings.StorePath}; replay it with: rein replay {archive.SessionId}");
            }

            return ExitCodes.Success;
        }));
        return command;
    }
}
