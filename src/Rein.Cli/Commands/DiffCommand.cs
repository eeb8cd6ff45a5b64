using System.CommandLine;
using System.Text.Json.Nodes;
using Rein.Cli.Composition;
using Rein.Cli.Rendering;
using Rein.Guard.Checkpoints;
using Rein.Journal;

namespace Rein.Cli.Commands;

/// <summary><c>rein diff SESSION [--step N]</c>: what the agent changed in the workspace.</summary>
internal static class DiffCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("session") { Description = "Session id, or a unique prefix of it." };
        var stepOption = new Option<int?>("--step") { Description = "Show only what this step changed. Default: the whole session." };
        var command = new Command("diff", "Show what a session changed in its workspace: a summary per file, then a unified diff (binary files are noted, not shown).")
        {
            id, stepOption, CommonOptions.Store, CommonOptions.Json,
        };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            using var host = CliLogging.OpenHost(CommonOptions.Resolve(parse));
            var session = await SessionCheckpoints.LoadAsync(host, parse.GetValue(id)!, ct);
            if (session.Error is { } error)
            {
                return error;
            }

            var step = parse.GetValue(stepOption);
            if (step is { } n)
            {
                session.CheckStep(n, "--step");
            }

            var range = step is { } s ? session.History.StepRange(s) : session.History.SessionRange();
            var json = parse.GetValue(CommonOptions.Json);
            if (range is not { } r)
            {
                await Console.Error.WriteLineAsync($"Step {step} of session {session.Summary.Id} changed no files.");
                if (json)
                {
                    Console.Out.WriteLine(new JsonObject { ["session"] = session.Summary.Id, ["step"] = step, ["files"] = new JsonArray(), ["patch"] = "" }.ToJsonString(JournalJson.Options));
                }

                return ExitCodes.Success;
            }

            var repository = new ShadowRepository(session.Workspace, host.CreateCheckpointOptions());
            var diff = await repository.DiffAsync(r.From, r.To, ct);
            // Checkpoints hold files as the session left them: a secret written to one is shown only as its marker.
            var redact = host.Redactor;
            if (json)
            {
                var line = new JsonObject
                {
                    ["session"] = session.Summary.Id,
                    ["step"] = step,
                    ["from"] = diff.From,
                    ["to"] = diff.To,
                    ["files"] = new JsonArray([.. diff.Files.Select(f => (JsonNode)new JsonObject
                    {
                        ["path"] = redact.Redact(f.Path),
                        ["status"] = f.Status.ToString().ToLowerInvariant(),
                        ["additions"] = f.Additions,
                        ["deletions"] = f.Deletions,
                        ["binary"] = f.Binary,
                    })]),
                    ["patch"] = redact.Redact(diff.Patch),
                };
                Console.Out.WriteLine(line.ToJsonString(JournalJson.Options));
                return ExitCodes.Success;
            }

            var scope = step is null ? "the session" : $"step {step}";
            Console.Out.WriteLine($"{session.Summary.Id} · {scope} · {session.Workspace} · {RewindCommand.Short(diff.From)}..{RewindCommand.Short(diff.To ?? "")}");
            if (diff.Files.Count == 0)
            {
                Console.Out.WriteLine("No changes.");
                return ExitCodes.Success;
            }

            var width = diff.Files.Max(f => redact.Redact(f.Path).Length);
            foreach (var file in diff.Files)
            {
                var letter = file.Status switch
                {
                    FileChangeStatus.Added => 'A',
                    FileChangeStatus.Deleted => 'D',
                    FileChangeStatus.Modified => 'M',
                    _ => '?',
                };
                var counts = file.Binary ? "binary" : $"+{file.Additions} -{file.Deletions}";
                Console.Out.WriteLine($" {letter} {redact.Redact(file.Path).PadRight(width)} | {counts}");
            }

            Console.Out.WriteLine($" {Plural.Of(diff.Files.Count, "file")} changed, {Plural.Of(diff.Files.Sum(f => f.Additions), "insertion")}(+), {Plural.Of(diff.Files.Sum(f => f.Deletions), "deletion")}(-)");
            Console.Out.WriteLine();
            Console.Out.Write(redact.Redact(diff.Patch));
            return ExitCodes.Success;
        }));
        return command;
    }
}
