using System.CommandLine;
using Rein.Cli.Composition;
using Rein.Hosting.Configuration;

namespace Rein.Cli.Commands;

/// <summary><c>rein run</c>: one task, start to finish, then exit.</summary>
internal static class RunCommand
{
    public static Command Create(Interrupts interrupts)
    {
        var prompt = new Argument<string[]>("prompt")
        {
            Description = "The task. Use '-' or pipe it on standard input to read it from there.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var print = new Option<bool>("--print", "-p")
        {
            Description = "Print the answer and exit, which rein run always does (accepted as Claude Code users type it; rein -p \"…\" is rein run).",
        };
        var command = new Command("run", "Run the agent on one task until it finishes, then exit.") { prompt, print, CommonOptions.Json, CommonOptions.IncludeDeltas };
        CommonOptions.AddRunOptions(command);
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            FreeText.RejectOptionLikeWords(parse, prompt);
            var text = await ReadPromptAsync(parse.GetValue(prompt) ?? [], ct);
            await TrustCommand.AskAsync(CommonOptions.WorkspacePath(parse), ct);
            var settings = CommonOptions.Resolve(parse);
            using var loggerFactory = CliLogging.Create(settings.LogLevel);
            await using var sessions = SessionRunner.OpenSessionHost(settings, loggerFactory);
            var json = CommonOptions.JsonOutput(parse);
            using var renderer = SessionRunner.CreateRenderer(json, parse.GetValue(CommonOptions.IncludeDeltas));
            await using var session = await sessions.OpenAsync(SessionRunner.RunOptions(settings, renderer, interrupts), ct);
            await session.StartAsync(origin: null, ct);
            if (!json)
            {
                await Console.Error.WriteLineAsync($"session {session.SessionId} · {session.Model} · {settings.Workspace}");
            }

            return await SessionRunner.RunAsync(session, text, renderer, ct);
        }));
        return command;
    }

    internal static async Task<string> ReadPromptAsync(string[] words, CancellationToken cancellationToken)
    {
        var text = string.Join(' ', words).Trim();
        if (text == "-" || (text.Length == 0 && Console.IsInputRedirected))
        {
            text = (await Console.In.ReadToEndAsync(cancellationToken)).Trim();
        }

        return text.Length > 0 ? text : throw new SettingsException("No task given. Usage: rein run [options] \"what to do\"  (see rein run --help)");
    }
}
