using Rein.Cli.Rendering;
using Rein.Engine;

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

    public static IRunRenderer CreateRenderer(bool json) =>
        json ? new JsonLinesRenderer(Console.Out) : new ConsoleRenderer(Console.Out, Console.Error, interactive: !Console.IsErrorRedirected);

    /// <summary>Starts a new session and shows its first event.</summary>
    public static async Task<SessionWriter> StartSessionAsync(Journal.ISessionStore store, string workspace, string model, IRunRenderer renderer, CancellationToken cancellationToken)
    {
        var session = await SessionWriter.StartAsync(store, new Journal.SessionStarted(NewSessionId(), workspace, model), cancellationToken);
        var first = await store.ReadAsync(session.SessionId, 0, cancellationToken);
        renderer.Render(new EventAppended(first[0]));
        return session;
    }

    public static string NewSessionId() => Guid.CreateVersion7().ToString("N");
}
