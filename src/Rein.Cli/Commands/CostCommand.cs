using System.CommandLine;
using System.Globalization;
using Rein.Cli.Composition;
using Rein.Journal;
using Rein.Reports;
using Rein.Server.Views;
using Spectre.Console;

namespace Rein.Cli.Commands;

/// <summary><c>rein cost [--by day|agent|model|session] [--since …]</c>: what the sessions in the store spent.</summary>
internal static class CostCommand
{
    public static Command Create()
    {
        var by = new Option<string>("--by") { Description = "Group by day (UTC), agent, model or session.", DefaultValueFactory = _ => "day" };
        by.AcceptOnlyFromAmong([.. CostReport.Groupings]);
        var since = new Option<string?>("--since") { Description = "Only calls since a date (2026-11-01) or for a duration back from now (7d, 24h, 90m)." };
        var command = new Command("cost", "Report model spend (tokens and US dollars, from the journal) grouped by day, agent, model or session.")
        {
            by, since, CommonOptions.Store, CommonOptions.Json,
        };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            DateTimeOffset? from = null;
            if (parse.GetValue(since) is { Length: > 0 } text)
            {
                if (!CostPeriod.TryParseSince(text, TimeProvider.System, out var parsed))
                {
                    await Console.Error.WriteLineAsync($"error: --since '{text}' is neither a date (2026-11-01) nor a duration (7d, 24h, 90m).");
                    return ExitCodes.Usage;
                }

                from = parsed;
            }

            using var host = CliLogging.OpenHost(CommonOptions.Resolve(parse));
            var journals = new List<IReadOnlyList<RecordedEvent>>();
            foreach (var session in await host.Store.ListAsync(int.MaxValue, ct))
            {
                journals.Add(await host.Store.ReadAsync(session.Id, 0, ct));
            }

            var grouping = parse.GetValue(by)!;
            var rows = CostReport.Build(journals, grouping, from);
            var sessions = rows.Count == 0 ? 0 : journals.Count(j => j.Any(e => e.Event is ModelCalled && (from is null || e.Timestamp >= from)));
            var total = CostReport.Total(rows, sessions);
            if (parse.GetValue(CommonOptions.Json))
            {
                Console.Out.WriteLine(JsonViews.Cost(grouping, from, rows, total).ToJsonString(JournalJson.Options));
                return ExitCodes.Success;
            }

            var table = new Table().AddColumns(grouping, "sessions", "calls", "input", "cached", "output", "cost (USD)");
            foreach (var row in rows.Append(total))
            {
                table.AddRow(
                    Markup.Escape(row.Key), N(row.Sessions), N(row.ModelCalls), N(row.InputTokens), N(row.CachedInputTokens), N(row.OutputTokens),
                    row.CostUsd.ToString("0.####", CultureInfo.InvariantCulture) + (row.UnpricedCalls > 0 ? $" (+{row.UnpricedCalls} unpriced)" : ""));
            }

            AnsiConsole.Write(table);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
