using System.CommandLine;
using System.Globalization;
using Rein.Cli.Composition;
using Rein.Hosting.Composition;
using Rein.Hosting.Configuration;
using Rein.Cli.Rendering;
using Rein.Journal;
using Rein.Server.Views;
using Spectre.Console;

namespace Rein.Cli.Commands;

/// <summary><c>rein sessions list|show|resume</c>.</summary>
internal static class SessionsCommand
{
    public static Command Create(Interrupts interrupts)
    {
        var command = new Command("sessions", "List, inspect and resume sessions recorded in the session store.");
        command.Add(CreateList());
        command.Add(CreateShow());
        command.Add(CreateResume(interrupts));
        SessionTransferCommands.AddTo(command);
        return command;
    }

    private static Command CreateList()
    {
        var limit = new Option<int>("--limit", "-n") { Description = "Most sessions to list, newest first.", DefaultValueFactory = _ => 50 };
        var command = new Command("list", "List sessions, newest first.") { CommonOptions.Store, CommonOptions.Json, limit };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            using var host = CliLogging.OpenHost(CommonOptions.Resolve(parse));
            var sessions = await host.Store.ListAsync(parse.GetValue(limit), ct);
            if (parse.GetValue(CommonOptions.Json))
            {
                foreach (var s in sessions)
                {
                    var line = JsonViews.Session(s, SessionState.Fold(await host.Store.ReadAsync(s.Id, 0, ct)));
                    Console.Out.WriteLine(line.ToJsonString(JournalJson.Options));
                }

                return ExitCodes.Success;
            }

            if (sessions.Count == 0)
            {
                AnsiConsole.MarkupLine($"[grey]No sessions yet in {Markup.Escape(host.Settings.StorePath)}. Start one with: rein run --model … \"task\"[/]");
                return ExitCodes.Success;
            }

            var table = new Table().Border(TableBorder.Simple)
                .AddColumns("id (prefix)", "status", "started", "model", "title", "workspace", "from", "parent");
            foreach (var s in sessions)
            {
                var events = await host.Store.ReadAsync(s.Id, 0, ct);
                var first = events.Count > 0 ? events[0].Event as SessionStarted : null;
                var parent = first?.ParentSessionId;
                table.AddRow(
                    Markup.Escape(s.Id.Length > 16 ? s.Id[..16] : s.Id),
                    StatusMarkup(s.Status),
                    s.StartedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                    Markup.Escape(s.Model),
                    Markup.Escape(Shorten(s.Title ?? "", 50)),
                    Markup.Escape(s.Workspace),
                    // Where it started: a chat thread, the HTTP API, an MCP client, an eval; a terminal's has no origin.
                    Markup.Escape(parent is not null ? "sub-agent" : first?.Origin ?? "cli"),
                    Markup.Escape(parent is null ? "" : parent[..Math.Min(16, parent.Length)]));
            }

            AnsiConsole.Write(table);
            if (sessions.FirstOrDefault(s => s.Status is SessionStatus.Interrupted or SessionStatus.Suspended) is { } resumable)
            {
                AnsiConsole.MarkupLine($"[grey]Continue a suspended or interrupted session with: rein sessions resume {Markup.Escape(resumable.Id)}[/]");
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateShow()
    {
        var id = new Argument<string>("id") { Description = "Session id, or a unique prefix of it." };
        var command = new Command("show", "Show a session's journal: every event, in order.") { id, CommonOptions.Store, CommonOptions.Json };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            using var host = CliLogging.OpenHost(CommonOptions.Resolve(parse));
            var summary = await host.Store.GetAsync(parse.GetValue(id)!, ct) ?? throw new SessionNotFoundException(parse.GetValue(id)!);
            var events = await host.Store.ReadAsync(summary.Id, 0, ct);
            if (parse.GetValue(CommonOptions.Json))
            {
                foreach (var e in events)
                {
                    Console.Out.WriteLine(JsonLinesRenderer.EventLine(summary.Id, e));
                }

                return ExitCodes.Success;
            }

            AnsiConsole.MarkupLine($"[bold]session {Markup.Escape(summary.Id)}[/] {StatusMarkup(summary.Status)} [grey]{Markup.Escape(summary.Model)} · {Markup.Escape(summary.Workspace)} · store {Markup.Escape(host.Settings.StorePath)}[/]");
            foreach (var e in events)
            {
                AnsiConsole.MarkupLine($"[grey]{e.Sequence,4} {e.Timestamp.ToLocalTime():HH:mm:ss}[/] [blue]{e.Event.TypeName,-18}[/] {Markup.Escape(Describe(e.Event))}");
            }

            foreach (var child in await SubAgentSessions.ChildrenOfAsync(host.Store, summary, ct))
            {
                AnsiConsole.MarkupLine($"  [grey]sub-agent[/] {Markup.Escape(child.Id)} {StatusMarkup(child.Status)} {Markup.Escape(Shorten(child.Title ?? "", 60))}");
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateResume(Interrupts interrupts) => CreateResume("resume", interrupts);

    /// <summary>The <c>resume</c> command, for <c>rein sessions resume</c> and <c>rein resume</c>.</summary>
    internal static Command CreateResume(string name, Interrupts interrupts)
    {
        var id = new Argument<string?>("id") { Description = "Session id, or a unique prefix of it (not with --last).", Arity = ArgumentArity.ZeroOrOne };
        var message = new Argument<string[]>("message") { Description = "An optional new message; without one the agent continues where it stopped.", Arity = ArgumentArity.ZeroOrMore };
        var last = new Option<bool>("--last") { Description = "Resume the most recently updated session (not a sub-agent's)." };
        var command = new Command(name, "Continue a suspended, stopped or crashed session with the settings it was started with; flags given here override them " +
            "(journaled as run_settings_changed). Interrupted tool calls are reported to the model, never re-run.")
        {
            id, message, last, CommonOptions.Json, CommonOptions.IncludeDeltas,
        };
        CommonOptions.AddRunOptions(command);
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(() =>
        {
            FreeText.RejectOptionLikeWords(parse, message);
            var words = parse.GetValue(message) ?? [];
            var sessionId = parse.GetValue(id);
            if (parse.GetValue(last))
            {
                // With --last every word is the message: the first one is not an id.
                words = sessionId is null ? words : [sessionId, .. words];
                sessionId = null;
            }
            else if (sessionId is null)
            {
                throw new SettingsException("Which session? Give its id (see rein sessions list), or --last for the most recently updated one.");
            }

            var text = string.Join(' ', words).Trim();
            return ResumeAsync(parse, sessionId, text.Length == 0 ? null : text, interrupts, ct);
        }));
        return command;
    }

    /// <summary>Continues a session in this process (it takes the session's writer lease) with the settings it runs with, which the flags override.</summary>
    /// <param name="id">The session id or a prefix; null for the most recently updated session.</param>
    internal static async Task<int> ResumeAsync(ParseResult parse, string? id, string? message, Interrupts interrupts, CancellationToken ct)
    {
        var (summary, recorded) = await FindAsync(parse, id, ct);
        var flags = CommonOptions.Flags(parse);
        var settings = CommonOptions.Resolve(parse, workspaceOverride: Directory.Exists(summary.Workspace) ? summary.Workspace : null, recorded: recorded);
        using var loggerFactory = CliLogging.Create(settings.LogLevel);
        await using var sessions = SessionRunner.OpenSessionHost(settings, loggerFactory);
        var json = CommonOptions.JsonOutput(parse);
        using var renderer = json ? new JsonLinesRenderer(Console.Out, parse.GetValue(CommonOptions.IncludeDeltas)).ForSession(summary.Id) : SessionRunner.CreateRenderer(json);
        var options = SessionRunner.RunOptions(settings, renderer, interrupts) with { Model = flags.Model ?? recorded?.Model ?? summary.Model, Flags = flags, Recorded = recorded };
        await using var session = await sessions.ContinueAsync(summary.Id, options, ct);
        if (!json)
        {
            await Console.Error.WriteLineAsync($"resuming session {summary.Id} · {session.Model} · {session.Session.Guards.Policy.Mode} · {session.Workspace}");
        }

        return await SessionRunner.RunAsync(session, message, renderer, ct);
    }

    /// <summary>
    /// The session to resume and the values it runs with (what it was started with, then what resumes changed), or null
    /// values for a session journaled before Rein recorded them or imported from a file (its settings came from elsewhere:
    /// an endpoint or mode from it is not applied).
    /// </summary>
    private static async Task<(SessionSummary Summary, SettingsValues? Recorded)> FindAsync(ParseResult parse, string? id, CancellationToken cancellationToken)
    {
        using var host = CliLogging.OpenHost(CommonOptions.Resolve(parse));
        SessionSummary? summary = null;
        if (id is null)
        {
            foreach (var candidate in await host.Store.ListAsync(NewestCandidates, cancellationToken))
            {
                if (await SubAgentSessions.ParentOfAsync(host.Store, candidate.Id, cancellationToken) is null)
                {
                    summary = candidate;
                    break;
                }
            }

            if (summary is null)
            {
                throw new SettingsException($"No session to resume in {host.Settings.StorePath}. Start one with: rein run --model … \"task\"");
            }
        }
        else
        {
            summary = await host.Store.GetAsync(id, cancellationToken) ?? throw new SessionNotFoundException(id);
        }

        if (File.Exists(Rein.Cli.Replay.StartingWorkspaces.ImportedCopyPath(host, summary.Id)))
        {
            return (summary, null);
        }

        var recorded = RecordedRunSettings.Latest(await host.Store.ReadAsync(summary.Id, 0, cancellationToken));
        return (summary, recorded);
    }

    private const int NewestCandidates = 50;

    private static string StatusMarkup(string status) => status switch
    {
        SessionStatus.Completed => "[green]completed[/]",
        SessionStatus.Running => "[blue]running[/]",
        SessionStatus.Suspended => "[yellow]suspended[/]",
        SessionStatus.Interrupted => "[yellow]interrupted[/]",
        SessionStatus.AwaitingApproval => "[yellow]awaiting_approval[/]",
        _ => $"[red]{Markup.Escape(status)}[/]",
    };

    private static string Describe(SessionEvent e) => e switch
    {
        SessionStarted s => $"{s.Model} in {s.Workspace}{(s.ParentSessionId is null ? "" : $" (sub-agent of {s.ParentSessionId}, call {s.ParentCallId})")}",
        UserMessage u => Shorten(u.Text, 200),
        ModelCalled m => $"step {m.Step}: {(m.Text is null ? "" : Shorten(m.Text, 120) + " ")}{(m.ToolCalls.Count > 0 ? $"→ {string.Join(", ", m.ToolCalls.Select(c => c.Name))} " : "")}({m.Usage.InputTokens} in / {m.Usage.OutputTokens} out tokens{(m.Usage.CachedInputTokens > 0 ? $", {m.Usage.CachedInputTokens} cached" : "")}{(m.ContextTokens is { } context ? $", context {context}" : "")}, {m.LatencyMs} ms)",
        ModelCallFailed f => $"step {f.Step}: {f.Error}",
        ToolCallProposed p => $"{p.Name} {Shorten(p.Arguments?.GetRawText() ?? "(invalid arguments)", 150)}",
        ToolStarted t => t.Name,
        ToolCompleted c => $"{c.Name} {c.Outcome.ToString().ToLowerInvariant()} in {c.DurationMs} ms: {Shorten(c.Result, 150)}{(c.Truncated ? $" (cut from {c.OriginalLength} chars)" : "")}",
        SessionSuspended s => s.Reason,
        SessionResumed r => r.InterruptedCalls > 0 ? $"{Plural.Of(r.InterruptedCalls, "interrupted call")} reported" : "",
        SessionEnded end => end.Detail is null ? end.Reason : $"{end.Reason}: {end.Detail}",
        PolicyDecided p => $"{p.Tool} {p.Decision}: {p.Reason}",
        ApprovalRequested a => $"{Guard.Approvals.ApprovalText.Describe(a.Tool, a.Arguments)} — {a.Reason}",
        ApprovalDecided d => $"{d.Decision} by {d.By}{(d.Reason is null ? "" : ": " + d.Reason)}{(d.SessionRule is null ? "" : $" (session rule {d.SessionRule})")}",
        BudgetWarning w => $"{w.Budget} ({w.Scope}) {w.Used.ToString("0.####", CultureInfo.InvariantCulture)} of {w.Limit.ToString("0.####", CultureInfo.InvariantCulture)}",
        BudgetExceeded x => x.Detail,
        CheckpointTaken c => $"{c.Phase} {c.CallId} {c.Commit[..Math.Min(12, c.Commit.Length)]}{(c.SkippedFiles is { Count: > 0 } skipped ? $" ({skipped.Count} large files left out)" : "")}",
        WorkspaceRewound r => $"to step {r.Step} ({r.FilesChanged} files); undo: {r.Backup[..Math.Min(12, r.Backup.Length)]}",
        EgressRefused n => $"{n.Host}:{n.Port}",
        SandboxDisabled sd => sd.Detail,
        ProjectSettingsIgnored i => $"{i.File}: {string.Join(", ", i.Keys)}",
        ProtectedPathsRestored pr => string.Join("; ", pr.Restored.Concat(pr.NotRestored.Select(n => "not undone: " + n))),
        SubAgentStarted a => $"{a.Description} → session {a.ChildSessionId}{(a.Agent is null ? "" : $" ({a.Agent})")}",
        SubAgentFinished f => $"{f.ChildSessionId} {f.StopReason}: {Plural.Of(f.Steps, "step")}, {Plural.Of(f.Usage.InputTokens + f.Usage.OutputTokens, "token")}",
        HookRan h => $"{h.HookEvent} {h.Outcome}: {h.Command}{(h.Reason is null ? "" : " — " + h.Reason)}",
        ContextCompacted c => $"{c.Trigger}: steps 1-{c.ThroughStep} summarised, {c.TokensBefore:N0} → {c.TokensAfter:N0} tokens",
        ObservationsMasked m => $"{m.Observations} observations up to step {m.ThroughStep} masked, {m.TokensSaved:N0} tokens saved",
        MemoriesRecalled r => $"{r.Reason}: {string.Join(", ", r.Memories.Select(m => m.Id))}",
        InstructionsLoaded i => i.Path,
        RunSettingsChanged c => $"{string.Join(", ", c.Changed)} changed; now {c.Model}{(c.Settings.Mode is null ? "" : ", mode " + c.Settings.Mode)}{(c.Settings.BaseUrl is null ? "" : ", " + c.Settings.BaseUrl)}",
        _ => "",
    };

    private static string Shorten(string text, int max)
    {
        text = text.ReplaceLineEndings(" ⏎ ");
        return text.Length > max ? text[..max] + "…" : text;
    }
}
