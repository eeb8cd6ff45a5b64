using System.CommandLine;
using Rein.Cli.Composition;
using Rein.Hosting.Composition;
using Rein.Engine;

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
            using var host = CliLogging.OpenHost(settings);
            var model = host.RequireModel();
            using var chat = await host.CreateChatClientAsync(model, ct);
            using var renderer = SessionRunner.CreateRenderer(json: false);
            using var approvals = SessionRunner.CreateApprovalChannel(host, renderer, inputIsConversation: true);
            var reinSession = host.CreateSession(chat, settings.Workspace, model, approvals);
            var interactive = !Console.IsInputRedirected;
            SessionWriter? session = null;
            IAsyncDisposable? lease = null;
            var exitCode = ExitCodes.Success;
            await Console.Error.WriteLineAsync($"rein chat · {model} · {settings.Workspace}\n{Help}");
            try
            {
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
                        await CompactAsync(reinSession, session, ct);
                        continue;
                    }

                    if (line == "/session")
                    {
                        await Console.Error.WriteLineAsync(session is null ? "No session yet: send a message to start one." : $"session {session.SessionId} (store {settings.StorePath})");
                        continue;
                    }

                    if (session is null)
                    {
                        session = await SessionRunner.StartSessionAsync(host, settings.Workspace, model, renderer, ct);
                        lease = await host.Store.AcquireWriterAsync(session.SessionId, ct);
                    }

                    exitCode = await SessionRunner.RunAsync(reinSession, session, line, renderer, interrupts, ct);
                }
            }
            finally
            {
                if (lease is not null)
                {
                    await lease.DisposeAsync();
                }

                session?.Dispose();
            }

            return exitCode == ExitCodes.Cancelled ? ExitCodes.Success : exitCode;
        }));
        return command;
    }

    private static async Task CompactAsync(ReinSession reinSession, SessionWriter? session, CancellationToken cancellationToken)
    {
        if (session is null)
        {
            await Console.Error.WriteLineAsync("Nothing to compact yet: send a message to start a session.");
            return;
        }

        await Console.Error.WriteLineAsync("Compacting older turns…");
        var compacted = await reinSession.Context.CompactAsync(session, "manual", cancellationToken);
        await Console.Error.WriteLineAsync(compacted is null
            ? "Nothing to compact: the conversation is too short."
            : $"Compacted steps 1-{compacted.ThroughStep}: context {compacted.TokensBefore:N0} → {compacted.TokensAfter:N0} tokens. The journal keeps everything.");
    }
}
