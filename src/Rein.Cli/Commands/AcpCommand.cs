using System.CommandLine;
using System.Text;
using Rein.Cli.Composition;
using Rein.Hosting.Configuration;
using Rein.Hosting.Sessions;
using Rein.Server.Acp;

namespace Rein.Cli.Commands;

/// <summary><c>rein acp</c>: Rein as an Agent Client Protocol agent on standard input and output, for editors.</summary>
internal static class AcpCommand
{
    public static Command Create()
    {
        var command = new Command("acp", """
            Speak the Agent Client Protocol (v1) on standard input and output, for editors such as Zed, JetBrains IDEs and
            Neovim: JSON-RPC 2.0, one message per line; standard output carries protocol messages only (logs go to standard
            error). Each session works in the folder the editor names (its settings, policy, budgets and sandbox apply as
            for rein run), streams its answer, tool calls and plan to the editor, and asks the editor's user about tool calls.
            Modes are Rein's permission modes. Point the editor at it, e.g. in Zed's settings:
              "agent_servers": {"Rein": {"command": "rein", "args": ["acp"]}}
            --model, --mode, --agent and the budgets (or REIN_MODEL, REIN_MODE...) are the defaults of its sessions.
            """);
        CommonOptions.AddRunOptions(command);
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var defaults = CommonOptions.Resolve(parse);
            using var logging = CliLogging.Create(defaults.LogLevel);
            var options = new ReinOptions { StorePath = defaults.StorePath };
            await using var host = new SessionHost(Microsoft.Extensions.Options.Options.Create(options), logging);
            using var store = new Rein.Storage.Sqlite.SqliteSessionStore(new Rein.Storage.Sqlite.SqliteSessionStoreOptions { Path = defaults.StorePath });
            var agent = new AcpAgent(
                host,
                store,
                (cwd, mode) =>
                {
                    var settings = CommonOptions.Resolve(parse, cwd);
                    return mode is null ? settings : settings with { Values = settings.Values with { Mode = mode } };
                },
                Principal.Current(Environment.GetEnvironmentVariable),
                typeof(AcpCommand).Assembly.GetName().Version?.ToString(3) ?? "0.1.0",
                line => Console.Error.WriteLine(line));
            using var input = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
            await using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false };
            await agent.RunAsync(input, output, ct);
            return ExitCodes.Success;
        }));
        return command;
    }
}
