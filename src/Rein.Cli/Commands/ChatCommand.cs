using System.CommandLine;
using Rein.Cli.Composition;
using Rein.Hosting.Sessions;

namespace Rein.Cli.Commands;

/// <summary><c>rein chat</c>: an interactive session, one message per line.</summary>
internal static class ChatCommand
{
    private const string Help = """
        Type a message and press Enter. Ctrl-C interrupts the agent (the session is suspended, not lost).
        Commands: /help  /session (show the session id)  /compact (summarise older turns to free context)  /exit or Ctrl-D (quit)
        """;

    public static Command Create(Interrupts interrupts)
    {
        var command = new Command("chat", "Start an interactive session: type messages, watch the agent work, continue the conversation.");
        CommonOptions.AddRunOptions(command);
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            await TrustCommand.AskAsync(CommonOptions.WorkspacePath(parse), ct);
            var settings = CommonOptions.Resolve(parse);
            using var loggerFactory = CliLogging.Create(settings.LogLevel);
            await using var sessions = SessionRunner.OpenSessionHost(settings, loggerFactory);
            using var renderer = SessionRunner.CreateRenderer(json: false);
            // The session is journaled with its first message; the host holds it from then until chat ends.
            await using var session = await sessions.OpenAsync(SessionRunner.RunOptions(settings, renderer, interrupts, inputIsConversation: true), ct);
            var interactive = !Console.IsInputRedirected;
            var exitCode = ExitCodes.Success;
            await Console.Error.WriteLineAsync($"rein chat · {session.Model} · {settings.Workspace}\n{Help}");
            while (!ct.IsCancellationRequested)
            {
                if (interactive)
                {
                    await Console.Error.WriteAsync("\n› ");
                }

                var line = await Console.In.ReadLineAsync(ct);
                if (line is null || line.Trim() is "/exit" or "/quit")
                {
                    break;
                }

                line = line.Trim();
                if (line.Length == 0)
                {
                    continue;
                }

                if (line == "/help")
                {
                    await Console.Error.WriteLineAsync(Help);
                    continue;
                }

                if (line == "/compact")
                {
                    await CompactAsync(session, ct);
                    continue;
                }

                if (line == "/session")
                {
                    await Console.Error.WriteLineAsync(session.SessionId is null ? "No session yet: send a message to start one." : $"session {session.SessionId} (store {settings.StorePath})");
                    continue;
                }

                exitCode = await SessionRunner.RunAsync(session, line, renderer, ct);
            }

            return exitCode == ExitCodes.Cancelled ? ExitCodes.Success : exitCode;
        }));
        return command;
    }

    private static async Task CompactAsync(SessionHandle session, CancellationToken cancellationToken)
    {
        if (session.SessionId is null)
        {
            await Console.Error.WriteLineAsync("Nothing to compact yet: send a message to start a session.");
            return;
        }

        await Console.Error.WriteLineAsync("Compacting older turns…");
        var compacted = await session.CompactAsync(cancellationToken);
        await Console.Error.WriteLineAsync(compacted is null
            ? "Nothing to compact: the conversation is too short."
            : $"Compacted steps 1-{compacted.ThroughStep}: context {compacted.TokensBefore:N0} → {compacted.TokensAfter:N0} tokens. The journal keeps everything.");
    }
}
