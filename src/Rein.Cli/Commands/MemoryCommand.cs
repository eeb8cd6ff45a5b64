using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Rein.Hosting.Composition;
using Rein.Hosting.Configuration;
using Rein.Journal;
using Rein.Memory;
using Spectre.Console;

namespace Rein.Cli.Commands;

/// <summary><c>rein memory list|search|add|edit|rm</c>: the long-term memories agents recall across sessions.</summary>
internal static class MemoryCommand
{
    private static readonly Option<string?> Scope = new("--scope")
    {
        Description = "user (all your sessions), agent (sessions of the --agent profile) or project (sessions in the --workspace).",
    };

    private static readonly Option<string?> Kind = new("--kind")
    {
        Description = "fact (recalled when relevant) or preference (always in context).",
    };

    public static Command Create()
    {
        var command = new Command("memory", """
            Long-term memories: facts and preferences that agents keep across sessions, with the remember, recall and
            forget tools. Each belongs to a scope: this user (REIN_PRINCIPAL, else the OS user), this agent profile
            (--agent) or this project (the --workspace folder). At the start of a session, and when a message shifts
            to a new task, the preferences and the best-matching facts are put in the agent's context (journaled as
            memories_recalled). Stored in memory.db beside the session store (--store); search is SQLite FTS5 with BM25.
            Turn it off with "memory": {"enabled": false} in settings.json or an agent profile.
            """);
        command.Add(CreateList());
        command.Add(CreateSearch());
        command.Add(CreateAdd());
        command.Add(CreateEdit());
        command.Add(CreateRemove());
        return command;
    }

    private static void AddContextOptions(Command command)
    {
        command.Add(CommonOptions.Workspace);
        command.Add(CommonOptions.Store);
        command.Add(CommonOptions.Agent);
    }

    private static Command CreateList()
    {
        var all = new Option<bool>("--all") { Description = "List every memory in the file, of every user, agent and project." };
        var command = new Command("list", "List the memories this user, agent and project see: preferences first, then newest first.") { Scope, Kind, all, CommonOptions.Json };
        AddContextOptions(command);
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var (store, visibility) = Open(parse);
            var scope = ParseScope(parse);
            var scopes = parse.GetValue(all) ? null : visibility.Scopes.Where(s => scope is null || s.Scope == scope).ToList();
            var entries = (await store.ListAsync(scopes, ParseKind(parse), ct)).Where(e => scope is null || e.Scope == scope).ToList();
            if (parse.GetValue(CommonOptions.Json))
            {
                foreach (var entry in entries)
                {
                    await Console.Out.WriteLineAsync(ToJson(entry).ToJsonString(JournalJson.Options));
                }

                return ExitCodes.Success;
            }

            if (entries.Count == 0)
            {
                AnsiConsole.MarkupLine($"[grey]No memories in {Markup.Escape(store.Path)} for this user, agent and project. Add one with: rein memory add \"…\"[/]");
                return ExitCodes.Success;
            }

            WriteTable(entries.Select(e => (e, (double?)null)));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateSearch()
    {
        var query = new Argument<string[]>("query") { Description = "Words to look for (any of them; plain words, not FTS syntax).", Arity = ArgumentArity.OneOrMore };
        var limit = new Option<int>("--limit", "-n") { Description = "Most memories to show, best first.", DefaultValueFactory = _ => 10 };
        var command = new Command("search", "Search the memories this user, agent and project see, best match (BM25) first.") { query, limit, Kind, CommonOptions.Json };
        AddContextOptions(command);
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var (store, visibility) = Open(parse);
            if (parse.GetValue(limit) < 1)
            {
                throw new SettingsException("--limit must be a positive whole number.");
            }

            var matches = await store.SearchAsync(string.Join(' ', parse.GetValue(query) ?? []), visibility.Scopes, parse.GetValue(limit), ParseKind(parse), ct);
            if (parse.GetValue(CommonOptions.Json))
            {
                foreach (var match in matches)
                {
                    var line = ToJson(match.Entry);
                    line["rank"] = match.Rank;
                    await Console.Out.WriteLineAsync(line.ToJsonString(JournalJson.Options));
                }

                return ExitCodes.Success;
            }

            if (matches.Count == 0)
            {
                AnsiConsole.MarkupLine("[grey]No memories match.[/]");
                return ExitCodes.Success;
            }

            WriteTable(matches.Select(m => (m.Entry, (double?)m.Rank)));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateAdd()
    {
        var text = new Argument<string[]>("text") { Description = "What to remember.", Arity = ArgumentArity.OneOrMore };
        var tags = new Option<string[]>("--tag") { Description = "A label searched along with the text; repeat for several.", AllowMultipleArgumentsPerToken = false };
        var command = new Command("add", "Store a memory (default: a project fact). The same text in the same scope updates the existing memory.") { text, Scope, Kind, tags, CommonOptions.Json };
        AddContextOptions(command);
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var (store, visibility) = Open(parse);
            var scope = ParseScope(parse) ?? MemoryScope.Project;
            var key = visibility.KeyOf(scope) ?? throw new SettingsException("The agent scope needs an agent profile: pass --agent NAME.");
            var draft = new MemoryDraft(scope, key, ParseKind(parse) ?? MemoryKind.Fact, string.Join(' ', parse.GetValue(text) ?? []), new MemoryProvenance(MemoryProvenance.CliSource))
            {
                Tags = parse.GetValue(tags) ?? [],
            };
            var saved = await store.AddAsync(draft, ct);
            if (parse.GetValue(CommonOptions.Json))
            {
                var line = ToJson(saved.Entry);
                line["created"] = saved.Created;
                await Console.Out.WriteLineAsync(line.ToJsonString(JournalJson.Options));
            }
            else
            {
                await Console.Out.WriteLineAsync(saved.Entry.Id);
                await Console.Error.WriteLineAsync(saved.Created ? $"Remembered as {saved.Entry.Id}." : $"Already remembered as {saved.Entry.Id}; updated it.");
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateEdit()
    {
        var id = IdArgument();
        var text = new Option<string?>("--text") { Description = "The new text. Without it, $VISUAL or $EDITOR (else vi) opens the memory." };
        var command = new Command("edit", $"Change a memory's text; its id, scope, kind and provenance stay. Exit code {ExitCodes.SessionUnavailable} when no memory has that id.") { id, text };
        command.Add(CommonOptions.Store);
        command.Add(CommonOptions.Workspace);
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var (store, _) = Open(parse);
            var memoryId = parse.GetValue(id)!;
            if (await store.GetAsync(memoryId, ct) is not { } entry)
            {
                return await NotFoundAsync(memoryId);
            }

            var newText = parse.GetValue(text) ?? await EditInEditorAsync(entry, ct);
            if (newText is null)
            {
                return ExitCodes.Error;
            }

            if (newText.Trim() == entry.Text)
            {
                await Console.Error.WriteLineAsync($"No change to {entry.Id}.");
                return ExitCodes.Success;
            }

            try
            {
                await store.UpdateTextAsync(entry.Id, newText, ct);
            }
            catch (ArgumentException ex)
            {
                throw new SettingsException(ex.Message);
            }

            await Console.Error.WriteLineAsync($"Updated {entry.Id}.");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateRemove()
    {
        var id = IdArgument();
        var command = new Command("rm", $"Remove a memory. Exit code {ExitCodes.SessionUnavailable} when no memory has that id.") { id };
        command.Add(CommonOptions.Store);
        command.Add(CommonOptions.Workspace);
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var (store, _) = Open(parse);
            var memoryId = parse.GetValue(id)!;
            if (!await store.RemoveAsync(memoryId, ct))
            {
                return await NotFoundAsync(memoryId);
            }

            await Console.Error.WriteLineAsync($"Removed {memoryId}.");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Argument<string> IdArgument() => new("id") { Description = "The memory's id, e.g. m_7k2q9d3xa1 (see rein memory list)." };

    private static async Task<int> NotFoundAsync(string id)
    {
        await Console.Error.WriteLineAsync($"rein: no memory {id} (see rein memory list --all).");
        // "Not found" shares the exit code of a missing session: scripts treat both the same way.
        return ExitCodes.SessionUnavailable;
    }

    private static (MemoryStore Store, MemoryVisibility Visibility) Open(ParseResult parse)
    {
        var settings = CommonOptions.Resolve(parse);
        var store = new MemoryStore(new MemoryStoreOptions { Path = MemorySetup.PathFor(settings) });
        return (store, MemorySetup.VisibilityFor(settings, Principal.Current(Environment.GetEnvironmentVariable), settings.Workspace));
    }

    private static MemoryScope? ParseScope(ParseResult parse) =>
        parse.GetValue(Scope) is not { } text ? null
        : MemoryNames.TryParseScope(text, out var scope) ? scope
        : throw new SettingsException($"--scope must be user, agent or project, not '{text}'.");

    private static MemoryKind? ParseKind(ParseResult parse) =>
        parse.GetValue(Kind) is not { } text ? null
        : MemoryNames.TryParseKind(text, out var kind) ? kind
        : throw new SettingsException($"--kind must be fact or preference, not '{text}'.");

    private static JsonObject ToJson(MemoryEntry entry) => new()
    {
        ["id"] = entry.Id,
        ["scope"] = MemoryNames.Of(entry.Scope),
        ["scope_key"] = entry.ScopeKey,
        ["kind"] = MemoryNames.Of(entry.Kind),
        ["text"] = entry.Text,
        ["tags"] = new JsonArray([.. entry.Tags.Select(t => (JsonNode?)t)]),
        ["created_at"] = entry.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
        ["updated_at"] = entry.UpdatedAt.ToString("O", CultureInfo.InvariantCulture),
        ["source"] = entry.Provenance.Source,
        ["session_id"] = entry.Provenance.SessionId,
        ["step"] = entry.Provenance.Step,
    };

    private static void WriteTable(IEnumerable<(MemoryEntry Entry, double? Rank)> rows)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumns("id", "scope", "kind", "text", "updated", "from");
        foreach (var (entry, _) in rows)
        {
            var from = entry.Provenance.SessionId is { } session
                ? $"{entry.Provenance.Source} {session[..Math.Min(12, session.Length)]}{(entry.Provenance.Step is { } step ? $" step {step}" : "")}"
                : entry.Provenance.Source;
            table.AddRow(
                Markup.Escape(entry.Id),
                Markup.Escape(MemoryNames.Of(entry.Scope)),
                entry.Kind == MemoryKind.Preference ? "[yellow]preference[/]" : "fact",
                Markup.Escape(entry.Text.ReplaceLineEndings(" ⏎ ")),
                entry.UpdatedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                Markup.Escape(from));
        }

        AnsiConsole.Write(table);
    }

    /// <summary>Opens the memory's text in the user's editor, like <c>git commit</c> does; null when the edit is abandoned.</summary>
    private static async Task<string?> EditInEditorAsync(MemoryEntry entry, CancellationToken cancellationToken)
    {
        var editor = Environment.GetEnvironmentVariable("VISUAL") is { Length: > 0 } visual ? visual
            : Environment.GetEnvironmentVariable("EDITOR") is { Length: > 0 } chosen ? chosen
            : "vi";
        var file = Path.Combine(Path.GetTempPath(), $"rein-memory-{entry.Id}-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, $"""
            {entry.Text}

            # Edit memory {entry.Id} ({MemoryNames.Of(entry.Scope)} {MemoryNames.Of(entry.Kind)}) above.
            # Lines starting with '#' are ignored; an empty text leaves the memory unchanged.

            """, cancellationToken);
        try
        {
            // Through the shell, as git does, so EDITOR may carry arguments (e.g. "code --wait").
            var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(editor + " \"$@\"");
            info.ArgumentList.Add(editor);
            info.ArgumentList.Add(file);
            using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start the editor '{editor}'.");
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                await Console.Error.WriteLineAsync($"rein: the editor '{editor}' exited with code {process.ExitCode}; {entry.Id} is unchanged.");
                return null;
            }

            var lines = (await File.ReadAllLinesAsync(file, cancellationToken)).Where(l => !l.StartsWith('#'));
            var text = string.Join('\n', lines).Trim();
            if (text.Length == 0)
            {
                await Console.Error.WriteLineAsync($"rein: empty text; {entry.Id} is unchanged.");
                return null;
            }

            return text;
        }
        finally
        {
            File.Delete(file);
        }
    }
}
