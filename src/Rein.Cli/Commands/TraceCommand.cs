using System.CommandLine;
using System.Globalization;
using Rein.Cli.Composition;
using Rein.Journal;
using Rein.Reports;
using Rein.Server.Views;
using Spectre.Console;

namespace Rein.Cli.Commands;

/// <summary><c>rein trace SESSION</c>: the session as a tree of turns, model calls, tool calls and decisions.</summary>
internal static class TraceCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("session") { Description = "Session id, or a unique prefix of it." };
        var command = new Command("trace", "Show a session as a tree (turns, model calls, tool calls, policy decisions, approvals, events) with latency, tokens and cost per node.")
        {
            id, CommonOptions.Store, CommonOptions.Json,
        };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            using var host = CliLogging.OpenHost(CommonOptions.Resolve(parse));
            var summary = await host.Store.GetAsync(parse.GetValue(id)!, ct) ?? throw new SessionNotFoundException(parse.GetValue(id)!);
            var trace = SessionTrace.Build(await host.Store.ReadAsync(summary.Id, 0, ct));
            if (parse.GetValue(CommonOptions.Json))
            {
                Console.Out.WriteLine(JsonViews.Trace(trace).ToJsonString(JournalJson.Options));
                return ExitCodes.Success;
            }

            var tree = new Tree(Label(trace));
            Add(tree, trace.Children);
            AnsiConsole.Write(tree);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static void Add(IHasTreeNodes parent, IReadOnlyList<TraceNode> nodes)
    {
        foreach (var node in nodes)
        {
            Add(parent.AddNode(Label(node)), node.Children);
        }
    }

    private static string Label(TraceNode node)
    {
        var colour = node.Kind switch
        {
            "session" or "turn" => "bold",
            "chat" => "blue",
            "tool" => "green",
            "policy" or "approval" => "yellow",
            _ => "grey",
        };
        var facts = new List<string>();
        if (node.Kind is not ("policy" or "approval" or "event"))
        {
            facts.Add(Duration(node.DurationMs));
        }

        if (node.Usage.InputTokens + node.Usage.OutputTokens > 0)
        {
            facts.Add(string.Create(CultureInfo.InvariantCulture, $"in {node.Usage.InputTokens:N0}{(node.Usage.CachedInputTokens > 0 ? $" (cached {node.Usage.CachedInputTokens:N0})" : "")} out {node.Usage.OutputTokens:N0}"));
        }

        if (node.CostUsd > 0)
        {
            facts.Add(string.Create(CultureInfo.InvariantCulture, $"${node.CostUsd:0.####}"));
        }

        var detail = node.Detail is { Length: > 0 } d ? " " + Markup.Escape(d) : "";
        return $"[{colour}]{Markup.Escape(node.Name)}[/][grey]{detail}{(facts.Count > 0 ? " · " + Markup.Escape(string.Join(" · ", facts)) : "")}[/]";
    }

    private static string Duration(long ms) => ms >= 1000
        ? string.Create(CultureInfo.InvariantCulture, $"{ms / 1000.0:0.0} s")
        : string.Create(CultureInfo.InvariantCulture, $"{ms} ms");
}
