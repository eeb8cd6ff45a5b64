using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Rein.Cli.Commands;

/// <summary>
/// <c>--help</c> with a one-line summary per command in <c>rein --help</c>'s list; a command's own <c>--help</c> still shows
/// its whole description.
/// </summary>
internal sealed class SummaryHelpAction(HelpAction inner) : SynchronousCommandLineAction
{
    private static readonly Dictionary<string, string> Summaries = new(StringComparer.Ordinal)
    {
        ["chat"] = "Start an interactive session with the agent.",
        ["demo"] = "Run an offline scripted session on a small bundled project.",
        ["approvals"] = "List and answer tool calls waiting for approval.",
        ["principals"] = "Manage the principals (people and services) of the session store and their tokens.",
        ["agents"] = "List, show and create agent profiles.",
        ["secrets"] = "Store secrets that the agent's shell commands can use without the model seeing them.",
        ["memory"] = "List, search and edit the long-term memories agents keep across sessions.",
        ["rewind"] = "Restore the workspace to its state before a session's changes (or a step's).",
        ["diff"] = "Show what a session changed in its workspace.",
        ["trace"] = "Show a session as a tree with latency, tokens and cost per node.",
        ["cost"] = "Report model spend grouped by day, agent, model or session.",
        ["eval"] = "Run a suite of tasks and grade them.",
        ["replay"] = "Re-run a recorded session and report where it diverges from its recording.",
        ["trust"] = "Trust a folder's project settings.",
        ["serve"] = "Serve the HTTP API and the web console over this machine's sessions.",
        ["resume"] = "Continue a session (the newest with --last) with the settings it was started with.",
        ["mcp"] = "List, add and remove the MCP servers whose tools sessions are offered; serve Rein over MCP.",
        ["acp"] = "Serve Rein to an editor over the Agent Client Protocol (stdin/stdout).",
    };

    public override bool ClearsParseErrors => inner.ClearsParseErrors;

    public override int Invoke(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        if (parseResult.CommandResult.Command is not RootCommand root)
        {
            return inner.Invoke(parseResult);
        }

        // The help text is built from the commands' descriptions: swap in the summaries for this one listing.
        var full = root.Subcommands.ToDictionary(c => c, c => c.Description);
        try
        {
            foreach (var command in root.Subcommands)
            {
                command.Description = Summaries.TryGetValue(command.Name, out var summary) ? summary : command.Description;
            }

            return inner.Invoke(parseResult);
        }
        finally
        {
            foreach (var (command, description) in full)
            {
                command.Description = description;
            }
        }
    }
}
