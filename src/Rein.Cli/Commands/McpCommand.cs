using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol.Server;
using Rein.Cli.Composition;
using Rein.Hosting.Composition;
using Rein.Hosting.Configuration;
using Rein.Hosting.Sessions;
using Rein.Journal;
using Rein.Mcp.Client;
using Rein.Mcp.Configuration;
using Rein.Server.Mcp;
using Spectre.Console;

namespace Rein.Cli.Commands;

/// <summary><c>rein mcp list|add|remove</c>: the MCP servers whose tools sessions are offered.</summary>
internal static class McpCommand
{
    public static Command Create(Interrupts interrupts)
    {
        var command = new Command("mcp", """
            MCP servers whose tools sessions are offered, as mcp__SERVER__TOOL. Servers come from "mcpServers" in your
            settings, the workspace's .mcp.json, the project's .rein/settings.json and the managed settings (a later one of
            the same name wins), in Claude Code's shape: {"NAME": {"command", "args", "env"}} for stdio servers,
            {"type": "http", "url", "headers"} for Streamable HTTP ("sse" for the legacy transport). Values may say
            ${env:NAME} or ${secret:NAME}; they are expanded when the server starts and never journaled. A project's servers
            count only in a trusted folder (rein trust). Stdio servers run in the sandbox: the workspace writable, no network
            unless the entry says "sandbox": {"network": ["api.github.com"]}; "sandbox": false opts out (journaled).
            Every call goes through policy (rules name mcp__SERVER__TOOL, mcp__SERVER__* or mcp:SERVER/TOOL), approvals,
            budgets and the journal like a built-in tool's.
            """)
        {
            CreateList(), CreateAdd(), CreateRemove(), CreateServe(interrupts),
        };
        return command;
    }

    private static Command CreateList()
    {
        var command = new Command("list", """
            Start each configured server, list its tools and stop it again. With --json: one JSON object per server per line:
            name, transport, source, sandboxed, started, error, tools [{name, tool, description}] (name is what the model
            calls, tool the server's own name). Exit code 1 when a server does not start.
            """)
        {
            CommonOptions.Workspace, CommonOptions.Json,
        };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var settings = CommonOptions.Resolve(parse);
            var workspace = settings.Workspace;
            var servers = McpSetup.Servers(settings, workspace);
            var json = parse.GetValue(CommonOptions.Json);
            if (SettingsResolver.IgnoredWarning(settings) is { } ignored)
            {
                await Console.Error.WriteLineAsync(ignored);
            }

            if (servers.Count == 0)
            {
                if (!json)
                {
                    await Console.Error.WriteLineAsync("No MCP servers configured. Add one with: rein mcp add NAME -- COMMAND ARGS... (or --url URL)");
                }

                return ExitCodes.Success;
            }

            var launch = McpSetup.Launch(settings, workspace, StoredSecrets.OpenExisting(Environment.GetEnvironmentVariable), NullLoggerFactory.Instance);
            var failed = false;
            var table = new Table().Border(TableBorder.Simple).AddColumns("server", "transport", "status", "tools");
            foreach (var server in servers)
            {
                // One at a time, so each server's failure is its own.
                await using var box = await McpToolbox.StartAsync([server], launch, ct);
                var error = box.Failures.Count > 0 ? box.Failures[0] : null;
                failed |= error is not null;
                var tools = box.Names;
                if (json)
                {
                    await Console.Out.WriteLineAsync(new JsonObject
                    {
                        ["name"] = server.Name,
                        ["transport"] = server.Transport.ToString().ToLowerInvariant(),
                        ["source"] = server.Source,
                        ["sandboxed"] = launch.Sandboxes(server),
                        ["started"] = error is null,
                        ["error"] = error,
                        ["tools"] = new JsonArray([.. tools.Select(t => new JsonObject
                        {
                            ["name"] = t.Name,
                            ["tool"] = t.Tool,
                            ["description"] = box.Tools.First(x => x.Definition.Name == t.Name).Definition.Description,
                        })]),
                    }.ToJsonString(JournalJson.Options));
                    continue;
                }

                var sandbox = server.Transport != McpTransport.Stdio ? "" : launch.Sandboxes(server) ? ", sandboxed" : ", NOT sandboxed";
                var status = error is null ? $"[green]started[/]{sandbox}" : $"[red]failed[/]: {Markup.Escape(error)}";
                var names = string.Join('\n', tools.Select(t => t.Name == $"{McpToolNames.Prefix}{t.Server}__{t.Tool}" ? t.Name : $"{t.Name} (tool {t.Tool})"));
                table.AddRow(Markup.Escape(server.Name) + "\n[grey]" + Markup.Escape(server.Source) + "[/]", server.Transport.ToString().ToLowerInvariant(), status, Markup.Escape(names));
            }

            if (!json)
            {
                AnsiConsole.Write(table);
            }

            return failed ? ExitCodes.Error : ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateAdd()
    {
        var name = new Argument<string>("name") { Description = "The server's name: letters, digits, '-' and single '_'." };
        var commandLine = new Argument<string[]>("command") { Description = "The program and its arguments, after --.", Arity = ArgumentArity.ZeroOrMore };
        var url = new Option<string?>("--url") { Description = "The URL of a remote server (Streamable HTTP, or legacy SSE with --transport sse)." };
        var transport = new Option<string?>("--transport") { Description = "For --url: http (default) or sse." };
        var env = new Option<string[]>("--env", "-e") { Description = "KEY=VALUE for a stdio server's environment (repeatable); VALUE may be ${secret:NAME}.", AllowMultipleArgumentsPerToken = false };
        var header = new Option<string[]>("--header", "-H") { Description = "NAME: VALUE sent to a remote server (repeatable); VALUE may be ${secret:NAME}." };
        var timeout = new Option<double?>("--timeout") { Description = "Seconds a start or a call may take (default 60)." };
        var user = new Option<bool>("--user") { Description = "Add it to your settings instead of the project's .mcp.json." };
        var command = new Command("add", """
            Add a server to the project's .mcp.json (with --user: to your settings.json), replacing one of the same name.
              rein mcp add files -- npx -y @modelcontextprotocol/server-filesystem .
              rein mcp add github --url https://api.githubcopilot.com/mcp/ -H 'Authorization: Bearer ${secret:GITHUB_TOKEN}'
            """)
        {
            name, commandLine, url, transport, env, header, timeout, user, CommonOptions.Workspace, CommonOptions.Json,
        };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var serverName = parse.GetValue(name)!;
            if (!McpConfig.IsValidName(serverName))
            {
                throw new SettingsException($"'{serverName}' cannot name an MCP server: use letters, digits, '-' and single '_' (at most 40).");
            }

            var words = parse.GetValue(commandLine) ?? [];
            var remote = parse.GetValue(url);
            if ((remote is null) == (words.Length == 0))
            {
                throw new SettingsException("Give either a command after -- (a stdio server) or --url URL (a remote server), e.g. rein mcp add files -- npx -y @modelcontextprotocol/server-filesystem .");
            }

            var entry = new JsonObject();
            if (remote is not null)
            {
                var kind = parse.GetValue(transport) ?? "http";
                if (kind is not ("http" or "sse"))
                {
                    throw new SettingsException($"--transport must be http or sse, not '{kind}'.");
                }

                entry["type"] = kind;
                entry["url"] = remote;
                if (Pairs(parse.GetValue(header) ?? [], ':', "--header", "NAME: VALUE") is { Count: > 0 } headers)
                {
                    entry["headers"] = headers;
                }
            }
            else
            {
                entry["command"] = words[0];
                entry["args"] = new JsonArray([.. words.Skip(1).Select(w => (JsonNode)JsonValue.Create(w))]);
                if (Pairs(parse.GetValue(env) ?? [], '=', "--env", "KEY=VALUE") is { Count: > 0 } variables)
                {
                    entry["env"] = variables;
                }
            }

            if (parse.GetValue(timeout) is { } seconds)
            {
                entry["timeout"] = seconds;
            }

            var file = Target(parse, parse.GetValue(user));
            var root = Load(file);
            // Validated as a whole, so a file Rein would refuse is never written.
            var servers = root[McpConfig.Key] as JsonObject ?? [];
            servers[serverName] = entry;
            root[McpConfig.Key] = servers;
            Validate(root, file);
            Save(file, root);
            await Report(parse, serverName, file, "added", $"Added MCP server '{serverName}' to {file}. See its tools with: rein mcp list");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateRemove()
    {
        var name = new Argument<string>("name") { Description = "The server's name." };
        var user = new Option<bool>("--user") { Description = "Remove it from your settings instead of the project's .mcp.json." };
        var command = new Command("remove", "Remove a server from the project's .mcp.json (with --user: from your settings.json).")
        {
            name, user, CommonOptions.Workspace, CommonOptions.Json,
        };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var serverName = parse.GetValue(name)!;
            var file = Target(parse, parse.GetValue(user));
            var root = File.Exists(file) ? Load(file) : [];
            if (root[McpConfig.Key] is not JsonObject servers || !servers.Remove(serverName))
            {
                throw new SettingsException($"No MCP server named '{serverName}' in {file}.");
            }

            Save(file, root);
            await Report(parse, serverName, file, "removed", $"Removed MCP server '{serverName}' from {file}.");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateServe(Interrupts interrupts)
    {
        var roots = new Option<string[]>("--workspace-root")
        {
            Description = "A folder run_agent may work in (or below); repeat for more. Default: the current folder.",
            AllowMultipleArgumentsPerToken = false,
        };
        var http = new Option<bool>("--http") { Description = "Serve Streamable HTTP at /mcp instead of stdio, with rein serve's API, behind its bearer tokens (rein principals add)." };
        var listen = new Option<string>("--listen")
        {
            Description = "With --http: the loopback address and port, e.g. 127.0.0.1:8420 (port 0 picks a free one; the first line printed names it).",
            DefaultValueFactory = _ => "127.0.0.1:8420",
        };
        var command = new Command("serve", """
            Serve Rein as an MCP server on standard input and output (--http: Streamable HTTP), for MCP clients (editors, other agents):
            run_agent {message, workspace?, agent?, model?} runs a session until it finishes or waits for approval and returns
            its answer and session id (progress notifications per step when the client sends a progress token);
            continue_session {session_id, message}; get_session {session_id}; answer_approval {call_id, decision, reason?}.
            Sessions run as you (the principal of this machine's store) under the same settings, policy, approvals and budgets
            as rein run; --model, --mode, --agent and the budgets (or REIN_MODEL, REIN_MODE...) are their defaults. Standard
            output carries protocol messages only; logs go to standard error. Over --http the caller is the token's principal
            and the HTTP API's roles apply (a viewer only reads).
            """)
        {
            roots, http, listen,
        };
        CommonOptions.AddRunOptions(command);
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            if (parse.GetValue(http))
            {
                if (!System.Net.IPAddress.IsLoopback(ServeCommand.ParseListen(parse.GetValue(listen)!).Address))
                {
                    throw new SettingsException($"--listen {parse.GetValue(listen)} is not a loopback address: rein mcp serve --http serves loopback only (use rein serve with TLS for more).");
                }

                return await ServeCommand.ServeAsync(parse, parse.GetValue(listen)!, parse.GetValue(roots), null, null, insecure: false, rateLimit: null, interrupts, ct);
            }

            var settings = CommonOptions.Resolve(parse);
            var options = new ReinOptions();
            ServeCommand.ApplySessionDefaults(options, settings, parse.GetValue(roots) is { Length: > 0 } given ? given.Select(Path.GetFullPath) : [settings.Workspace]);

            using var logging = CliLogging.Create(settings.LogLevel);
            await using var sessions = new SessionHost(Microsoft.Extensions.Options.Options.Create(options), logging);
            using var store = new Rein.Storage.Sqlite.SqliteSessionStore(new Rein.Storage.Sqlite.SqliteSessionStoreOptions { Path = settings.StorePath });
            var tools = new ReinMcpTools(sessions, store, options.WorkspaceRoots[0], Principal.Current(Environment.GetEnvironmentVariable));
            await using var transport = new StdioServerTransport("rein", logging);
            await using var server = McpServer.Create(transport, ReinMcpServer.CreateOptions(tools), logging);
            using var run = interrupts.BeginRun(ct);
            try
            {
                await server.RunAsync(run.Token);
            }
            catch (OperationCanceledException) when (run.IsCancellationRequested)
            {
            }
            finally
            {
                interrupts.EndRun();
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static string Target(ParseResult parse, bool user) => user
        ? Path.Combine(ReinPaths.UserConfigDirectory(Environment.GetEnvironmentVariable), "settings.json")
        : Path.Combine(CommonOptions.WorkspacePath(parse), McpConfig.ProjectFile);

    private static JsonObject Load(string file)
    {
        if (!File.Exists(file))
        {
            return [];
        }

        var (_, root) = SettingsFile.Load(file);
        return JsonNode.Parse(root.GetRawText()) as JsonObject ?? [];
    }

    private static void Validate(JsonObject root, string file)
    {
        try
        {
            _ = McpConfig.Read(JsonDocument.Parse(root.ToJsonString()).RootElement, file);
        }
        catch (McpConfigException ex)
        {
            throw new SettingsException(ex.Message);
        }
    }

    private static void Save(string file, JsonObject root)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var temporary = file + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        File.WriteAllText(temporary, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Move(temporary, file, overwrite: true);
    }

    private static JsonObject Pairs(IEnumerable<string> values, char separator, string option, string shape)
    {
        var pairs = new JsonObject();
        foreach (var value in values)
        {
            var at = value.IndexOf(separator, StringComparison.Ordinal);
            if (at <= 0)
            {
                throw new SettingsException($"{option} '{value}' is not {shape}.");
            }

            pairs[value[..at].Trim()] = value[(at + 1)..].Trim();
        }

        return pairs;
    }

    private static async Task Report(ParseResult parse, string name, string file, string action, string message)
    {
        if (parse.GetValue(CommonOptions.Json))
        {
            await Console.Out.WriteLineAsync(new JsonObject { ["name"] = name, ["file"] = file, [action] = true }.ToJsonString(JournalJson.Options));
        }
        else
        {
            await Console.Error.WriteLineAsync(message);
        }
    }
}
