using System.CommandLine;
using System.Text.Json.Nodes;
using Rein.Cli.Composition;
using Rein.Hosting.Configuration;
using Rein.Cli.Rendering;
using Rein.Cli.Replay;
using Rein.Journal;
using Rein.Replay;
using Spectre.Console;

namespace Rein.Cli.Commands;

/// <summary><c>rein replay SESSION|FILE</c> and <c>rein replay --check DIR</c>: recorded sessions as regression tests.</summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var target = new Argument<string?>("session")
        {
            Description = "Session id (or unique prefix) in the store, or an exported session file (rein sessions export).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var check = new Option<string?>("--check")
        {
            Description = $"Replay every session file (*.json with the rein-session format, e.g. *{SessionArchive.Extension}) in this folder as a regression suite; " +
                "exit code 8 when any diverges.",
        };
        var keep = new Option<bool>("--keep") { Description = "Keep each replay's workspace and store in a temporary folder (printed) instead of deleting them." };
        var verbose = new Option<bool>("--verbose")
        {
            Description = "Print what was normalised before comparing (workspace path, session id, durations, timestamps, replay.normalize rules), on standard error.",
        };
        var command = new Command(
            "replay",
            "Re-run a recorded session: model answers come from its journal, tools really run in a fresh copy of its starting workspace " +
            "(its first checkpoint), and every divergence (tool call, observation, policy decision, stop) is reported with its step.")
        {
            target, check, keep, verbose, CommonOptions.Store, CommonOptions.Json, CommonOptions.Agent, CommonOptions.Mode, CommonOptions.Env, CommonOptions.Sandbox,
        };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var session = parse.GetValue(target);
            var folder = parse.GetValue(check);
            if ((session is null) == (folder is null))
            {
                throw new SettingsException("Give either a session (rein replay SESSION) or a folder of session files (rein replay --check DIR).");
            }

            var json = parse.GetValue(CommonOptions.Json);
            var output = new Output(json, parse.GetValue(verbose));
            return folder is not null
                ? await CheckAsync(parse, folder, parse.GetValue(keep), output, ct)
                : await ReplayOneAsync(parse, session!, parse.GetValue(keep), output, ct);
        }));
        return command;
    }

    private static async Task<int> ReplayOneAsync(ParseResult parse, string target, bool keep, Output output, CancellationToken ct)
    {
        ReplayOutcome outcome;
        if (File.Exists(target))
        {
            var archive = SessionArchive.Parse(await File.ReadAllTextAsync(target, ct), target);
            outcome = await SessionReplayer.ReplayAsync(parse, archive.SessionId, [.. archive.Events.Select(e => e.Event)], archive.Workspace, FileTrusted(target), keep, ct);
        }
        else
        {
            using var host = CliLogging.OpenHost(CommonOptions.Resolve(parse));
            var summary = await host.Store.GetAsync(target, ct) ?? throw new SessionNotFoundException(target);
            var events = (await host.Store.ReadAsync(summary.Id, 0, ct)).Select(e => e.Event).ToList();
            var workspace = await StartingWorkspaces.ForSessionAsync(host, (SessionStarted)events[0], events, currentIfNone: false, ct);
            // The recorded workspace's trust decides, not the temporary folder the replay runs in.
            var trusted = TrustedFolders.Load(Environment.GetEnvironmentVariable).IsTrusted(((SessionStarted)events[0]).Workspace);
            outcome = await SessionReplayer.ReplayAsync(parse, summary.Id, events, workspace, trusted, keep, ct);
        }

        if (output.Json)
        {
            Console.Out.WriteLine(ToJson(outcome, null).ToJsonString(JournalJson.Options));
        }
        else
        {
            WriteHuman(outcome, output.Verbose);
        }

        return outcome.Comparison.Passed ? ExitCodes.Success : ExitCodes.ReplayDiverged;
    }

    /// <summary>
    /// A session file carries its starting workspace (with any <c>.rein/</c> settings) and names a workspace it cannot prove:
    /// its settings apply in full only when the file itself lies in a trusted folder.
    /// </summary>
    private static bool FileTrusted(string file) =>
        TrustedFolders.Load(Environment.GetEnvironmentVariable).IsTrusted(Path.GetDirectoryName(Path.GetFullPath(file))!);

    private static async Task<int> CheckAsync(ParseResult parse, string folder, bool keep, Output output, CancellationToken ct)
    {
        if (!Directory.Exists(folder))
        {
            throw new SettingsException($"--check: folder '{folder}' does not exist.");
        }

        var files = new List<(string Path, string Text)>();
        foreach (var path in Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            var text = await File.ReadAllTextAsync(path, ct);
            if (SessionArchive.LooksLikeArchive(text) || path.EndsWith(SessionArchive.Extension, StringComparison.Ordinal))
            {
                files.Add((path, text));
            }
        }

        if (files.Count == 0)
        {
            throw new SettingsException($"--check: no session files in '{folder}'. Export sessions into it with: rein sessions export SESSION -o {Path.Combine(folder, "NAME" + SessionArchive.Extension)}");
        }

        var results = new List<(string File, ReplayOutcome? Outcome, string? Error)>();
        foreach (var (path, text) in files)
        {
            try
            {
                var archive = SessionArchive.Parse(text, path);
                var outcome = await SessionReplayer.ReplayAsync(parse, archive.SessionId, [.. archive.Events.Select(e => e.Event)], archive.Workspace, FileTrusted(path), keep, ct);
                results.Add((path, outcome, null));
            }
            catch (Exception ex) when (ex is FormatException or InvalidOperationException or IOException or SettingsException or UnauthorizedAccessException)
            {
                results.Add((path, null, ex.Message));
            }

            if (!output.Json)
            {
                var (file, outcome2, error) = results[^1];
                if (output.Verbose && outcome2 is not null)
                {
                    WriteNormalized(outcome2.Comparison, Path.GetFileName(file) + ": ");
                }

                var status = error is not null ? "[red]error[/]" : outcome2!.Comparison.Passed ? "[green]passed[/]" : $"[red]diverged ({outcome2.Comparison.Divergences.Count})[/]";
                AnsiConsole.MarkupLine($"{status} {Markup.Escape(Path.GetFileName(file))}");
                if (error is not null)
                {
                    AnsiConsole.MarkupLine($"    [grey]{Markup.Escape(error)}[/]");
                }
                else if (!outcome2!.Comparison.Passed)
                {
                    WriteDivergences(outcome2.Comparison);
                }
            }
        }

        var passed = results.Count(r => r.Outcome is { Comparison.Passed: true });
        if (output.Json)
        {
            var summary = new JsonObject
            {
                ["total"] = results.Count,
                ["passed"] = passed,
                ["failed"] = results.Count - passed,
                ["sessions"] = new JsonArray([.. results.Select(r => (JsonNode)(r.Outcome is { } o
                    ? ToJson(o, r.File)
                    : new JsonObject { ["file"] = r.File, ["passed"] = false, ["error"] = r.Error }))]),
            };
            Console.Out.WriteLine(summary.ToJsonString(JournalJson.Options));
        }
        else
        {
            var table = new Table().Border(TableBorder.Simple).AddColumns("file", "session", "steps", "divergences", "result");
            foreach (var (file, outcome, error) in results)
            {
                table.AddRow(
                    Markup.Escape(Path.GetFileName(file)),
                    Markup.Escape(outcome is null ? "" : Short(outcome.SessionId)),
                    outcome?.Comparison.Steps.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
                    outcome?.Comparison.Divergences.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
                    error is not null ? "[red]error[/]" : outcome!.Comparison.Passed ? "[green]passed[/]" : "[red]diverged[/]");
            }

            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"{passed} of {Plural.Of(results.Count, "session")} replayed without divergence.");
        }

        return passed == results.Count ? ExitCodes.Success : ExitCodes.ReplayDiverged;
    }

    private static void WriteHuman(ReplayOutcome outcome, bool verbose)
    {
        if (verbose)
        {
            WriteNormalized(outcome.Comparison, "");
        }

        foreach (var warning in outcome.Warnings)
        {
            Console.Error.WriteLine($"rein: warning: {warning}");
        }

        var comparison = outcome.Comparison;
        var verdict = comparison.Passed ? "[green]no divergence[/]" : $"[red]{Plural.Of(comparison.Divergences.Count, "divergence")}[/]";
        AnsiConsole.MarkupLine(
            $"replay of {Markup.Escape(outcome.SessionId)} · {Plural.Of(comparison.Steps, "step")} · starting workspace: {Markup.Escape(outcome.StartingWorkspace)} · {verdict}");
        WriteDivergences(comparison);
        if (outcome.KeptAt is { } kept)
        {
            AnsiConsole.MarkupLine($"[grey]replay kept in {Markup.Escape(kept)} (workspace/, data/rein.db; session {Markup.Escape(outcome.ReplaySessionId)})[/]");
        }
    }

    private static void WriteDivergences(ReplayComparison comparison)
    {
        foreach (var d in comparison.Divergences)
        {
            AnsiConsole.MarkupLine($"  step {d.Step} [yellow]{Markup.Escape(d.Kind)}[/]{(d.CallId is { } id ? " " + Markup.Escape(id) : "")}");
            AnsiConsole.MarkupLine($"    expected: {Markup.Escape(d.ExpectedShort)}");
            AnsiConsole.MarkupLine($"    actual:   {Markup.Escape(d.ActualShort)}");
        }
    }

    /// <summary>What normalising changed where the two sides' texts differ, one line each, on standard error (standard output stays the report).</summary>
    private static void WriteNormalized(ReplayComparison comparison, string prefix)
    {
        if (comparison.Normalized.Count == 0)
        {
            Console.Error.WriteLine($"rein: {prefix}nothing needed normalising: the texts compared were identical or differ beyond the rules.");
            return;
        }

        foreach (var n in comparison.Normalized)
        {
            Console.Error.WriteLine($"rein: {prefix}normalised step {n.Step} {n.CallId} {n.Rule} ({n.Side}): {JournalComparer.Shorten(n.Before)} → {JournalComparer.Shorten(n.After)}");
        }
    }

    private static JsonObject ToJson(ReplayOutcome outcome, string? file)
    {
        var result = new JsonObject();
        if (file is not null)
        {
            result["file"] = file;
        }

        result["session_id"] = outcome.SessionId;
        result["replay_session_id"] = outcome.ReplaySessionId;
        result["starting_workspace"] = outcome.StartingWorkspace;
        result["steps"] = outcome.Comparison.Steps;
        result["passed"] = outcome.Comparison.Passed;
        result["divergences"] = new JsonArray([.. outcome.Comparison.Divergences.Select(d => (JsonNode)new JsonObject
        {
            ["step"] = d.Step,
            ["kind"] = d.Kind,
            ["call_id"] = d.CallId,
            ["expected"] = d.ExpectedShort,
            ["actual"] = d.ActualShort,
        })]);
        result["normalized"] = new JsonArray([.. outcome.Comparison.Normalized.Select(n => (JsonNode)new JsonObject
        {
            ["step"] = n.Step,
            ["call_id"] = n.CallId,
            ["rule"] = n.Rule,
            ["side"] = n.Side,
            ["before"] = n.Before,
            ["after"] = n.After,
        })]);
        result["warnings"] = new JsonArray([.. outcome.Warnings.Select(w => (JsonNode)JsonValue.Create(w))]);
        if (outcome.KeptAt is { } kept)
        {
            result["kept_at"] = kept;
        }

        return result;
    }

    private static string Short(string id) => id.Length > 16 ? id[..16] : id;

    private sealed record Output(bool Json, bool Verbose);
}
