using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rein.Cli.Composition;
using Rein.Cli.Rendering;
using Rein.Hosting.Composition;
using Rein.Hosting.Configuration;
using Rein.Hosting.Sessions;
using Rein.Engine;
using Rein.Guard.Approvals;
using Rein.Journal;
using Rein.Server.Views;
using Spectre.Console;

namespace Rein.Cli.Commands;

/// <summary>Runs one turn of a session through the loop, rendering as it goes.</summary>
internal static class SessionRunner
{
    /// <summary>
    /// Opens the session host a command runs its session through, over the settings' store: the command is a foreground client of
    /// it, which adds the terminal (rendering, the approval prompt, Ctrl-C). Dispose it after the session's handle.
    /// </summary>
    /// <param name="settings">The command's settings (their store is the host's).</param>
    /// <param name="loggerFactory">Where the host and its runs log (<see cref="CliLogging.Create"/>); the caller disposes it after the host.</param>
    public static SessionHost OpenSessionHost(ResolvedSettings settings, ILoggerFactory loggerFactory) =>
        new(Options.Create(new ReinOptions { StorePath = settings.StorePath }), loggerFactory);

    /// <summary>How a command runs its session at this terminal: its settings, the approval prompt, its renderer and Ctrl-C; notices go to standard error.</summary>
    public static SessionRunOptions RunOptions(ResolvedSettings settings, IRunRenderer renderer, Interrupts interrupts, bool inputIsConversation = false) => new()
    {
        Settings = settings,
        Approvals = host => CreateApprovalChannel(host, renderer, inputIsConversation),
        OnUpdate = renderer.Render,
        Interrupts = interrupts,
        Notice = Console.Error.WriteLine,
    };

    /// <summary>Runs a session the session host holds for this terminal until it stops, and renders the outcome.</summary>
    public static async Task<int> RunAsync(SessionHandle session, string? message, IRunRenderer renderer, CancellationToken cancellationToken) =>
        await FinishAsync(await session.RunAsync(message, cancellationToken), session.State, renderer);

    /// <summary>Runs the session until it stops, with the lifecycle hooks around it (<see cref="ReinSession.RunAsync"/>), and renders the outcome (the demo's own composition).</summary>
    public static async Task<int> RunAsync(ReinSession reinSession, SessionWriter session, string? message, IRunRenderer renderer, Interrupts interrupts, CancellationToken cancellationToken) =>
        await FinishAsync(await reinSession.RunAsync(session, message, renderer.Render, interrupts, cancellationToken), session.State, renderer);

    private static async Task<int> FinishAsync(SessionRunOutcome outcome, SessionState state, IRunRenderer renderer)
    {
        if (outcome.BlockedReason is { } blocked)
        {
            await Console.Error.WriteLineAsync($"rein: a UserPromptSubmit hook blocked the message: {blocked}");
            return ExitCodes.Error;
        }

        var stopped = outcome.Stopped ?? new RunStopped(Journal.StopReason.Cancelled, null);
        renderer.Finish(state, stopped);
        return ExitCodes.ForStopReason(stopped.Reason);
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

    /// <summary>Starts a new session and shows its first event (the demo's own composition).</summary>
    public static async Task<SessionWriter> StartSessionAsync(AgentHost host, string workspace, string model, IRunRenderer renderer, CancellationToken cancellationToken)
    {
        var session = await host.StartSessionAsync(workspace, model, origin: null, cancellationToken);
        var first = await host.Store.ReadAsync(session.SessionId, 0, cancellationToken);
        renderer.Render(new EventAppended(first[0]));
        return session;
    }
}
