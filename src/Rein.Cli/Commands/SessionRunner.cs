using Rein.Cli.Rendering;
using Rein.Hosting.Composition;
using Rein.Engine;
using Rein.Guard.Approvals;
using Rein.Server.Views;
using Spectre.Console;

namespace Rein.Cli.Commands;

/// <summary>Runs one turn of a session through the loop, rendering as it goes.</summary>
internal static class SessionRunner
{
    /// <summary>Runs the session until it stops, with the lifecycle hooks around it (<see cref="ReinSession.RunAsync"/>), and renders the outcome.</summary>
    public static async Task<int> RunAsync(ReinSession reinSession, SessionWriter session, string? message, IRunRenderer renderer, Interrupts interrupts, CancellationToken cancellationToken)
    {
        var outcome = await reinSession.RunAsync(session, message, renderer.Render, interrupts, cancellationToken);
        if (outcome.BlockedReason is { } blocked)
        {
            await Console.Error.WriteLineAsync($"rein: a UserPromptSubmit hook blocked the message: {blocked}");
            return ExitCodes.Error;
        }

        var stopped = outcome.Stopped ?? new RunStopped(Journal.StopReason.Cancelled, null);
        renderer.Finish(session.State, stopped);
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

    /// <summary>Starts a new session and shows its first event.</summary>
    public static async Task<SessionWriter> StartSessionAsync(AgentHost host, string workspace, string model, IRunRenderer renderer, CancellationToken cancellationToken)
    {
        var session = await host.StartSessionAsync(workspace, model, origin: null, cancellationToken);
        var first = await host.Store.ReadAsync(session.SessionId, 0, cancellationToken);
        renderer.Render(new EventAppended(first[0]));
        return session;
    }
}
