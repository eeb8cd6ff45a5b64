using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Rein.Hosting.Configuration;
using Rein.Journal;
using Spectre.Console;

namespace Rein.Cli.Commands;

/// <summary><c>rein trust [DIR]</c>, <c>rein trust --list</c>, <c>rein trust --revoke [DIR]</c>: which folders' project settings apply in full.</summary>
internal static class TrustCommand
{
    public static Command Create()
    {
        var folder = new Argument<string?>("folder")
        {
            Description = "The folder to trust or revoke. Default: --workspace, else the current folder.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var list = new Option<bool>("--list") { Description = "List the trusted folders (with --json: one JSON object per line: path, trusted_at)." };
        var revoke = new Option<bool>("--revoke") { Description = "Stop trusting the folder: its project settings go back to only tightening yours." };
        var command = new Command("trust", """
            Trust a folder's project settings. A workspace's .rein/settings.json and agent profiles in .rein/agents/ come with
            the folder (a cloned repository brings its own), so until you trust the folder they may only tighten your settings:
            deny and ask rules, lower budgets, a stricter mode, a narrower network allow-list, approvers you already allow.
            Hooks, allow rules, sandbox.type none, other sandbox paths, store, base_url, prices and a looser mode are ignored
            (named in one warning line and journaled as project_settings_ignored). Trusting a folder trusts its subfolders.
            The list is kept in trusted-folders.json in your config folder ($XDG_CONFIG_HOME/rein, ~/.config/rein) by real
            path (symbolic links resolved). An interactive rein run or rein chat in an untrusted folder with project settings
            asks once; without a terminal, Rein runs untrusted and never waits.
            """)
        {
            folder, list, revoke, CommonOptions.Workspace, CommonOptions.Json,
        };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var env = (Func<string, string?>)Environment.GetEnvironmentVariable;
            var json = parse.GetValue(CommonOptions.Json);
            var trusted = TrustedFolders.Load(env);
            if (parse.GetValue(list))
            {
                if (parse.GetValue(revoke) || parse.GetValue(folder) is not null)
                {
                    throw new SettingsException("--list takes no folder and no --revoke. Usage: rein trust --list [--json]");
                }

                if (trusted.Error is { } error)
                {
                    throw new SettingsException(error);
                }

                return await ListAsync(trusted, json);
            }

            var target = Path.GetFullPath(parse.GetValue(folder) ?? parse.GetValue(CommonOptions.Workspace) ?? Environment.CurrentDirectory);
            if (!Directory.Exists(target))
            {
                throw new SettingsException($"Folder '{target}' does not exist.");
            }

            var real = TrustedFolders.RealPath(target);
            if (parse.GetValue(revoke))
            {
                if (!trusted.Remove(real))
                {
                    var through = trusted.Error is null ? trusted.Covering(real) : null;
                    throw new SettingsException(through is null
                        ? $"{real} is not trusted; nothing to revoke."
                        : $"{real} is trusted through {through.Path}; revoke that with: rein trust --revoke {through.Path}");
                }

                await ReportAsync(json, real, trusted: false, $"No longer trusted: {real}. Its project settings only tighten yours from now on.");
                return ExitCodes.Success;
            }

            var parent = trusted.Error is null ? trusted.Covering(real) : null;
            if (parent is not null && parent.Path != real)
            {
                await ReportAsync(json, real, trusted: true, $"{real} is already trusted through {parent.Path}.");
                return ExitCodes.Success;
            }

            var added = trusted.Add(real, TimeProvider.System.GetUtcNow());
            await ReportAsync(json, real, trusted: true, added
                ? $"Trusted {real}: its .rein/settings.json and .rein/agents/ (and its subfolders') now apply in full. Undo with: rein trust --revoke {real}"
                : $"{real} is already trusted.");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static async Task<int> ListAsync(TrustedFolders trusted, bool json)
    {
        if (json)
        {
            foreach (var entry in trusted.Folders)
            {
                await Console.Out.WriteLineAsync(new JsonObject
                {
                    ["path"] = entry.Path,
                    ["trusted_at"] = entry.TrustedAt.ToString("O", CultureInfo.InvariantCulture),
                }.ToJsonString(JournalJson.Options));
            }

            return ExitCodes.Success;
        }

        if (trusted.Folders.Count == 0)
        {
            await Console.Error.WriteLineAsync($"No trusted folders ({trusted.File}). Trust one with: rein trust [FOLDER]");
            return ExitCodes.Success;
        }

        var table = new Table().Border(TableBorder.Simple).AddColumns("folder", "trusted at");
        foreach (var entry in trusted.Folders)
        {
            table.AddRow(Markup.Escape(entry.Path), entry.TrustedAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);
        return ExitCodes.Success;
    }

    private static async Task ReportAsync(bool json, string path, bool trusted, string message)
    {
        if (json)
        {
            await Console.Out.WriteLineAsync(new JsonObject { ["path"] = path, ["trusted"] = trusted }.ToJsonString(JournalJson.Options));
        }
        else
        {
            await Console.Error.WriteLineAsync(message);
        }
    }

    /// <summary>
    /// Asks once, when a person is at the terminal (standard input and error are terminals), whether to trust a workspace
    /// that has project settings; yes records the trust. Never asks without a terminal, for a trusted folder, or when the
    /// trust file is unreadable (the run then warns).
    /// </summary>
    public static async Task AskAsync(string workspace, CancellationToken cancellationToken)
    {
        if (Console.IsInputRedirected || Console.IsErrorRedirected)
        {
            return;
        }

        var settingsFile = Path.Combine(workspace, ".rein", "settings.json");
        var agents = Path.Combine(workspace, ".rein", "agents");
        var found = new[] { settingsFile, agents, Path.Combine(workspace, Rein.Mcp.Configuration.McpConfig.ProjectFile) }.Where(p => File.Exists(p) || Directory.Exists(p)).Select(p => Path.GetRelativePath(workspace, p)).ToList();
        var trusted = TrustedFolders.Load(Environment.GetEnvironmentVariable);
        if (found.Count == 0 || trusted.Error is not null || trusted.IsTrusted(workspace))
        {
            return;
        }

        await Console.Error.WriteAsync($"""
            {workspace} has project settings for Rein ({string.Join(", ", found)}).
            Until you trust this folder they can only tighten your own settings: their hooks, allow rules, sandbox and
            endpoint changes are ignored. Trust only folders whose contents you trust (not a repository you just cloned).
            Trust this folder? [y/N] 
            """);
        var answer = (await Console.In.ReadLineAsync(cancellationToken))?.Trim();
        if (answer is not null && (answer.Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Equals("yes", StringComparison.OrdinalIgnoreCase)))
        {
            trusted.Add(workspace, TimeProvider.System.GetUtcNow());
            await Console.Error.WriteLineAsync($"Trusted {TrustedFolders.RealPath(workspace)} (undo with: rein trust --revoke).");
        }
        else
        {
            await Console.Error.WriteLineAsync("Not trusted: running with project settings that only tighten yours (trust later with: rein trust).");
        }
    }
}
