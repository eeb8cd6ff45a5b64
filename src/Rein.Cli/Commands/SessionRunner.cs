using Rein.Cli.Rendering;
using Rein.Cli.Composition;
using Rein.Engine;
using Rein.Guard.Approvals;
using Rein.Journal;
using Rein.Server.Views;
using Spectre.Console;

namespace Rein.Cli.Commands;

/// <summary>Runs one turn of a session through the loop, rendering as it goes.</summary>
internal static class SessionRunner
{
    /// <summary>Runs the session until it stops, with the lifecycle hooks around it, and renders the outcome.</summary>
    public static async Task<int> RunAsync(AgentHost host, AgentLoop loop, SessionWriter session, string? message, IRunRenderer renderer, Interrupts interrupts, CancellationToken cancellationToken)
    {
        var guards = host.Guards ?? throw new InvalidOperationException("Create the loop with AgentHost.CreateLoop first.");
        var workspace = session.State.Workspace;

        // Before the loop reports a task call cut off by a dead process as interrupted: what its child spent counts.
        await SubAgentRunner.SettleInterruptedAsync(host.Store, session, cancellationToken);
        if (host.StartedSessions.Add(session.SessionId))
        {
            if (guards.SandboxDisabled is { } why)
            {
                await Console.Error.WriteLineAsync($"rein: warning: {why}");
                await session.AppendAsync(new SandboxDisabled(why), CancellationToken.None);
            }

            foreach (var ignored in host.Settings.Ignored)
            {
                await session.AppendAsync(new ProjectSettingsIgnored(ignored.File, ignored.Keys), CancellationToken.None);
            }

            // Once per process: an eval runs many sessions with the same settings.
            if (Interlocked.Exchange(ref _trustWarningShown, 1) == 0)
            {
                if (host.Settings.TrustError is { } trustError)
                {
                    await Console.Error.WriteLineAsync($"rein: warning: {trustError}");
                }

                if (Configuration.SettingsResolver.IgnoredWarning(host.Settings) is { } warning)
                {
                    await Console.Error.WriteLineAsync(warning);
                }
            }

            var start = await guards.Hooks.RunSessionStartAsync(session.SessionId, workspace, session.State.Version <= 1 ? "startup" : "resume", cancellationToken);
            await JournalAsync(session, start.Events);
        }

        if (message is not null)
        {
            var prompt = await guards.Hooks.RunUserPromptSubmitAsync(session.SessionId, workspace, message, cancellationToken);
            await JournalAsync(session, prompt.Events);
            if (prompt.Blocked)
            {
                await Console.Error.WriteLineAsync($"rein: a UserPromptSubmit hook blocked the message: {prompt.Reason ?? "no reason given"}");
                return ExitCodes.Error;
            }

            if (prompt.AdditionalContext is { Length: > 0 } extra)
            {
                message = $"{message}\n\n{extra}";
            }
        }

        if (message is not null && host.Memory is { } memory && await memory.RecallAsync(session.State, message, cancellationToken) is { } recalled)
        {
            await session.AppendAsync(recalled, AppendDurability.Written, CancellationToken.None);
        }

        RunStopped? stopped = null;
        // A Stop hook may send the agent back to work (Claude Code's "decision": "block"); a few rounds at most.
        for (var round = 0; round < MaxStopHookRounds; round++)
        {
            stopped = await RunLoopAsync(loop, session, message, renderer, interrupts, cancellationToken);
            var stop = await guards.Hooks.RunStopAsync(session.SessionId, workspace, stopped.Reason, stopHookActive: round > 0, CancellationToken.None);
            await JournalAsync(session, stop.Events);
            if (!stop.Blocked || stopped.Reason != Journal.StopReason.Completed || string.IsNullOrWhiteSpace(stop.Reason))
            {
                break;
            }

            message = stop.Reason;
        }

        renderer.Finish(session.State, stopped!);
        return ExitCodes.ForStopReason(stopped!.Reason);
    }

    private const int MaxStopHookRounds = 4;

    private static int _trustWarningShown;

    private static async Task JournalAsync(SessionWriter session, IReadOnlyList<HookRan> events)
    {
        if (events.Count > 0)
        {
            await session.AppendAsync([.. events], AppendDurability.Written, CancellationToken.None);
        }
    }

    private static async Task<RunStopped> RunLoopAsync(AgentLoop loop, SessionWriter session, string? message, IRunRenderer renderer, Interrupts interrupts, CancellationToken cancellationToken)
    {
        RunStopped? stopped = null;
        using (var run = interrupts.BeginRun(cancellationToken))
        {
            try
            {
                await foreach (var update in loop.RunAsync(session, message, run.Token))
                {
                    renderer.Render(update);
                    stopped = update as RunStopped ?? stopped;
                }
            }
            finally
            {
                interrupts.EndRun();
            }
        }

        return stopped ?? new RunStopped(Journal.StopReason.Cancelled, null);
    }

    /// <summary>
    /// The terminal approval prompt when a person can answer here: standard input is a terminal (or, for
    /// <c>rein chat</c>, the message stream itself); otherwise <see langword="null"/> and an <c>ask</c> suspends the session.
    /// The run's <paramref name="renderer"/> holds its output while a question is open.
    /// </summary>
    /// <remarks>
    /// The question shows what the call will do (<see cref="ApprovalPreview"/>), on a line of its own; diffs are coloured
    /// when standard error is a terminal and <c>NO_COLOR</c> is not set.
    /// </remarks>
    public static PromptingApprovalChannel? CreateApprovalChannel(AgentHost host, IRunRenderer renderer, bool inputIsConversation = false)
    {
        if (Console.IsInputRedirected && !inputIsConversation)
        {
            return null;
        }

        var color = !Console.IsErrorRedirected && !TerminalOutput.NoColor;
        var terminal = new TerminalApprovalChannel(ct => Console.In.ReadLineAsync(ct), Console.Error, host.Approver, async (request, ct) =>
        {
            // Built whole, then written at once, so nothing else lands inside the preview.
            using var block = new StringWriter();
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(block),
                Ansi = color ? AnsiSupport.Yes : AnsiSupport.No,
                ColorSystem = color ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            });
            console.Pipeline.Attach(TerminalOutput.NeutralizingRenderHook.Instance);
            // The terminal wraps a long command itself; nothing is cut or wrapped at a guessed width.
            console.Profile.Width = 100_000;
            console.MarkupLine($"[yellow]approval needed[/] · [bold]{Markup.Escape(request.Tool)}[/]");
            ApprovalPreview.Create(request.Tool, request.Arguments, host.Settings.Workspace, host.Redactor.Redact).Write(console, "    ");
            await TerminalOutput.StandardError.WriteAsync(block.ToString().AsMemory(), ct);
            await TerminalOutput.StandardError.FlushAsync(ct);
        });
        return new PromptingApprovalChannel(terminal, renderer);
    }

    /// <summary>JSON lines (with text deltas when <paramref name="includeDeltas"/>) or human output, plain when <c>NO_COLOR</c> is set.</summary>
    public static IRunRenderer CreateRenderer(bool json, bool includeDeltas = false) =>
        json
            ? new JsonLinesRenderer(Console.Out, includeDeltas)
            : new ConsoleRenderer(Console.Out, TerminalOutput.StandardError, interactive: !Console.IsErrorRedirected, ansi: !TerminalOutput.NoColor);

    /// <summary>Starts a new session and shows its first event.</summary>
    public static async Task<SessionWriter> StartSessionAsync(AgentHost host, string workspace, string model, IRunRenderer renderer, CancellationToken cancellationToken)
    {
        var store = host.Store;
        var session = await SessionWriter.StartAsync(store, new Journal.SessionStarted(NewSessionId(), workspace, model, host.Settings.Profile?.Name, host.Principal, Approvals: host.ApprovalOptions.ToJournal(), RunSettings: Configuration.RecordedRunSettings.From(host.Settings.Values)), cancellationToken);
        var first = await store.ReadAsync(session.SessionId, 0, cancellationToken);
        renderer.Render(new EventAppended(first[0]));
        return session;
    }

    public static string NewSessionId() => Guid.CreateVersion7().ToString("N");
}
