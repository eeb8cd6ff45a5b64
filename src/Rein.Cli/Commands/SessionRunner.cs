using Rein.Cli.Rendering;
using Rein.Cli.Composition;
using Rein.Engine;
using Rein.Guard.Approvals;

namespace Rein.Cli.Commands;

/// <summary>Runs one turn of a session through the loop, rendering as it goes.</summary>
internal static class SessionRunner
{
    public static async Task<int> RunAsync(AgentLoop loop, SessionWriter session, string? message, IRunRenderer renderer, Interrupts interrupts, CancellationToken cancellationToken)
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

        stopped ??= new RunStopped(Journal.StopReason.Cancelled, null);
        renderer.Finish(session.State, stopped);
        return ExitCodes.ForStopReason(stopped.Reason);
    }

    /// <summary>
    /// The terminal approval prompt when a person can answer here: standard input is a terminal (or, for
    /// <c>rein chat</c>, the message stream itself); otherwise <see langword="null"/> and an <c>ask</c> suspends the session.
    /// </summary>
    public static TerminalApprovalChannel? CreateApprovalChannel(AgentHost host, bool json, bool inputIsConversation = false) =>
        Console.IsInputRedirected && !inputIsConversation
            ? null
            : new TerminalApprovalChannel(ct => Console.In.ReadLineAsync(ct), json ? Console.Error : Console.Error, host.Principal);

    public static IRunRenderer CreateRenderer(bool json) =>
        json ? new JsonLinesRenderer(Console.Out) : new ConsoleRenderer(Console.Out, Console.Error, interactive: !Console.IsErrorRedirected);

    /// <summary>Starts a new session and shows its first event.</summary>
    public static async Task<SessionWriter> StartSessionAsync(AgentHost host, string workspace, string model, IRunRenderer renderer, CancellationToken cancellationToken)
    {
        var store = host.Store;
        var session = await SessionWriter.StartAsync(store, new Journal.SessionStarted(NewSessionId(), workspace, model, Principal: host.Principal), cancellationToken);
        var first = await store.ReadAsync(session.SessionId, 0, cancellationToken);
        renderer.Render(new EventAppended(first[0]));
        return session;
    }

    public static string NewSessionId() => Guid.CreateVersion7().ToString("N");
}
