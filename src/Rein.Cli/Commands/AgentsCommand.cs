using System.CommandLine;
using System.Text.Json.Nodes;
using Rein.Hosting.Composition;
using Rein.Hosting.Configuration;
using Rein.Hosting.Profiles;
using Rein.Context.Tokens;
using Rein.Journal;
using Spectre.Console;

namespace Rein.Cli.Commands;

/// <summary><c>rein agents list|show|new</c>: the agent profiles a workspace can use (<c>--agent NAME</c>).</summary>
internal static class AgentsCommand
{
    public static Command Create()
    {
        var command = new Command("agents", """
            Agent profiles: Markdown files with YAML front matter (name, model, permissions, budgets, approvals, hooks,
            sandbox — the same keys as settings.json) whose body is the agent's onboarding doc. Looked up in the
            workspace's .rein/agents/, then ~/.config/rein/agents/, then the profiles Rein ships (coder).
            Use one with: rein run --agent NAME "…"
            """);
        command.Add(CreateList());
        command.Add(CreateShow());
        command.Add(CreateNew());
        return command;
    }

    private static Command CreateList()
    {
        var command = new Command("list", "List the profiles this workspace can use.") { CommonOptions.Workspace, CommonOptions.Json };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var workspace = Workspace(parse);
            var profiles = AgentProfiles.List(workspace, Environment.GetEnvironmentVariable);
            if (parse.GetValue(CommonOptions.Json))
            {
                foreach (var (name, source, profile, error) in profiles)
                {
                    await Console.Out.WriteLineAsync(new JsonObject
                    {
                        ["name"] = profile?.Name ?? name,
                        ["source"] = source,
                        ["model"] = profile?.Model,
                        ["description"] = profile is null ? null : Description(profile),
                        ["error"] = error,
                    }.ToJsonString(JournalJson.Options));
                }

                return profiles.Any(p => p.Error is not null) ? ExitCodes.Usage : ExitCodes.Success;
            }

            var table = new Table().Border(TableBorder.Simple).AddColumns("name", "model", "description", "source");
            foreach (var (name, source, profile, error) in profiles)
            {
                table.AddRow(
                    Markup.Escape(profile?.Name ?? name),
                    Markup.Escape(profile?.Model ?? ""),
                    error is null ? Markup.Escape(profile is null ? "" : Description(profile)) : $"[red]{Markup.Escape(error)}[/]",
                    Markup.Escape(source));
            }

            AnsiConsole.Write(table);
            return profiles.Any(p => p.Error is not null) ? ExitCodes.Usage : ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateShow()
    {
        var name = new Argument<string>("name") { Description = "The profile's name." };
        var command = new Command("show", "Print a profile: where it comes from, its settings and its onboarding doc.") { name, CommonOptions.Workspace, CommonOptions.Json };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var workspace = Workspace(parse);
            var profile = Load(parse.GetValue(name)!, workspace);
            // What every request of this agent starts with, counted with its model's tokenizer (o200k when it names none).
            var counted = profile.Model ?? "openai:gpt-5.5";
            var prefixTokens = SystemPrompt.PrefixTokens(workspace, profile, counted);
            var encoding = TokenCounters.ForModel(counted).Encoding;
            if (parse.GetValue(CommonOptions.Json))
            {
                await Console.Out.WriteLineAsync(new JsonObject
                {
                    ["name"] = profile.Name,
                    ["path"] = profile.Path,
                    ["model"] = profile.Model,
                    ["settings"] = JsonNode.Parse(profile.Settings.GetRawText()),
                    ["body"] = profile.Body,
                    ["prefix_tokens"] = prefixTokens,
                    ["prefix_encoding"] = encoding,
                }.ToJsonString(JournalJson.Options));
                return ExitCodes.Success;
            }

            await Console.Error.WriteLineAsync($"{profile.Name} · {profile.Path}");
            await Console.Error.WriteLineAsync($"prefix: {prefixTokens:N0} tokens ({encoding}): system prompt, profile and tool declarations sent with every request");
            await Console.Out.WriteLineAsync(profile.Path.StartsWith("built-in:", StringComparison.Ordinal)
                ? AgentProfiles.BuiltInText(profile.Name)
                : await File.ReadAllTextAsync(profile.Path, ct));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateNew()
    {
        var name = new Argument<string>("name") { Description = "The new profile's name (letters, digits, '-' and '_')." };
        var user = new Option<bool>("--user") { Description = "Create it in ~/.config/rein/agents/ instead of the workspace's .rein/agents/." };
        var model = new Option<string?>("--model", "-m") { Description = "The model the agent uses, e.g. anthropic:claude-sonnet-4-5." };
        var command = new Command("new", "Create a profile from the coder template and print its path.") { name, user, model, CommonOptions.Workspace };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var profileName = parse.GetValue(name)!;
            if (!System.Text.RegularExpressions.Regex.IsMatch(profileName, "^[A-Za-z0-9][A-Za-z0-9_-]*$", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1)))
            {
                throw new SettingsException($"'{profileName}' is not a profile name: use letters, digits, '-' and '_'.");
            }

            var folders = AgentProfiles.Folders(Workspace(parse), Environment.GetEnvironmentVariable);
            var folder = parse.GetValue(user) ? folders[1] : folders[0];
            var path = Path.Combine(folder, profileName + ".md");
            if (File.Exists(path))
            {
                throw new SettingsException($"{path} already exists; edit it, or pick another name.");
            }

            var text = AgentProfiles.BuiltInText("coder")
                .Replace("name: coder", $"name: {profileName}", StringComparison.Ordinal);
            if (parse.GetValue(model) is { Length: > 0 } chosen)
            {
                text = text.Replace("# model: openai:gpt-5.5            # uncomment to pin a model for this agent", $"model: {chosen}", StringComparison.Ordinal);
            }

            Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(path, text, ct);
            Rein.Profiles.AgentProfile.Parse(text, path);
            await Console.Out.WriteLineAsync(path);
            await Console.Error.WriteLineAsync($"Edit it, then run: rein run --agent {profileName} \"…\"");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static string Workspace(ParseResult parse) => Path.GetFullPath(parse.GetValue(CommonOptions.Workspace) ?? Environment.CurrentDirectory);

    private static Rein.Profiles.AgentProfile Load(string name, string workspace)
    {
        try
        {
            return AgentProfiles.Load(name, workspace, Environment.GetEnvironmentVariable);
        }
        catch (Exception ex) when (ex is FormatException or FileNotFoundException)
        {
            throw new SettingsException(ex.Message);
        }
    }

    private static string Description(Rein.Profiles.AgentProfile profile) =>
        profile.Settings.TryGetProperty("description", out var d) && d.ValueKind == System.Text.Json.JsonValueKind.String
            ? d.GetString()!
            : profile.Body.Split('\n').FirstOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "";
}
