using System.CommandLine;
using System.Reflection;
using Rein.Cli.Composition;
using Rein.Models;

namespace Rein.Cli.Commands;

/// <summary>
/// <c>rein demo</c>: an offline, scripted session that reads, edits and tests a small bundled
/// project in a temporary workspace, with the real tools and the real journal.
/// </summary>
internal static class DemoCommand
{
    private const string ResourcePrefix = "Rein.Cli.Demo.";

    public static Command Create(Interrupts interrupts)
    {
        var keep = new Option<bool>("--keep") { Description = "Keep the temporary workspace after the demo (it is printed either way)." };
        var command = new Command("demo", "Run an offline scripted session on a small bundled project: it reads code, runs the tests, fixes a bug and re-runs them.")
        {
            CommonOptions.Store, CommonOptions.Json, keep,
        };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var workspace = Directory.CreateTempSubdirectory("rein-demo-").FullName;
            ExtractProject(workspace);
            var settings = CommonOptions.Resolve(parse, workspaceOverride: workspace);
            using var host = AgentHost.Open(settings);
            using var chat = new ScriptedChatClient(ScriptedTurn.ParseScript(ReadResource("script.json"), "demo script"), "scripted:demo");
            var loop = host.CreateLoop(chat, settings.Workspace, "scripted:demo", approvals: null, modeOverride: Guard.Policy.PermissionModes.WorkspaceWrite);
            var json = parse.GetValue(CommonOptions.Json);
            using var renderer = SessionRunner.CreateRenderer(json);
            using var session = await SessionRunner.StartSessionAsync(host, settings.Workspace, "scripted:demo", renderer, ct);
            await using var lease = await host.Store.AcquireWriterAsync(session.SessionId, ct);
            if (!json)
            {
                await Console.Error.WriteLineAsync($"rein demo — an offline scripted agent fixes a bug in a small Python project in {workspace}\n");
                // On a bare machine the session still runs, but its test commands would fail deep in the transcript: say why first.
                var missing = new[] { ("python3", "python3"), ("bwrap", "bubblewrap") }
                    .Where(p => !IsOnPath(p.Item1, Environment.GetEnvironmentVariable("PATH"))).Select(p => p.Item2).ToList();
                if (missing.Count > 0)
                {
                    await Console.Error.WriteLineAsync(
                        $"Note: the demo runs python3 in the bubblewrap sandbox; not installed here: {string.Join(", ", missing)}. " +
                        $"Its commands will fail until you install them: sudo apt-get install {string.Join(' ', missing)}   (./build.sh deps installs everything the tests need)\n");
                }
            }

            var exitCode = await SessionRunner.RunAsync(host, loop, session, "The inventory tests fail. Find the bug, fix it and make sure all tests pass.", renderer, interrupts, ct);
            if (!json)
            {
                var state = session.State;
                var rein = ReinCommandLine(Environment.GetEnvironmentVariable("PATH"));
                Console.Out.WriteLine($"""

                    What happened: {state.Steps} model steps, {state.ToolCalls} tool calls, {state.Version} journal events.
                    Workspace: {workspace}
                    Journal: session {state.SessionId} in {settings.StorePath}
                    Inspect it with: {rein} sessions show {state.SessionId}   (add --json for the raw events)
                    Run your own task: {rein} run --model openai:gpt-5.5 "…"   (needs OPENAI_API_KEY; other providers: README, "Use")
                    """);
                if (rein != "rein")
                {
                    Console.Out.WriteLine($"""
                        rein is not on your PATH, so the commands above run it from the repository root. To install it as `rein`:
                          {InstallCommandLine}
                        (then put ~/.dotnet/tools on PATH if it is not there yet)
                        """);
                }

                if (!parse.GetValue(keep))
                {
                    Console.Out.WriteLine("(The demo workspace is removed; pass --keep to keep it.)");
                }
            }

            if (!parse.GetValue(keep))
            {
                Directory.Delete(workspace, recursive: true);
            }

            return exitCode;
        }));
        return command;
    }

    /// <summary>How the README installs rein as a .NET tool.</summary>
    internal const string InstallCommandLine = "dotnet pack src/Rein.Cli -o ./feed && dotnet tool install --global rein --add-source ./feed";

    /// <summary>
    /// The command that runs rein for the user: <c>rein</c> when an executable of that name is on
    /// <paramref name="searchPath"/>, otherwise <c>dotnet run</c> from the repository, which is how the README starts the demo.
    /// </summary>
    internal static string ReinCommandLine(string? searchPath) =>
        IsOnPath("rein", searchPath) ? "rein" : "dotnet run --project src/Rein.Cli --";

    /// <summary>Whether an executable file named <paramref name="program"/> is in a folder of <paramref name="searchPath"/>.</summary>
    internal static bool IsOnPath(string program, string? searchPath) =>
        (searchPath ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => new FileInfo(Path.Join(directory, program)))
            .Any(file => file.Exists && (OperatingSystem.IsWindows()
                || (file.UnixFileMode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0));

    private static void ExtractProject(string workspace)
    {
        const string ProjectPrefix = ResourcePrefix + "project/";
        var assembly = Assembly.GetExecutingAssembly();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ProjectPrefix, StringComparison.Ordinal)))
        {
            var target = Path.Combine(workspace, name[ProjectPrefix.Length..]);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            using var source = assembly.GetManifestResourceStream(name)!;
            using var file = File.Create(target);
            source.CopyTo(file);
        }
    }

    private static string ReadResource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourcePrefix + name)
            ?? throw new InvalidOperationException($"Demo resource {name} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
