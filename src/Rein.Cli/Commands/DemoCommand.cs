using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rein.Cli.Composition;
using Rein.Journal;
using Rein.Models;

namespace Rein.Cli.Commands;

/// <summary>
/// <c>rein demo</c>: an offline, scripted session that reads, edits and tests a small bundled
/// project in a temporary workspace, with the real tools and the real journal.
/// </summary>
internal static partial class DemoCommand
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
            // The demo runs only its own fixed commands on a temporary copy, so on a machine without a working sandbox
            // it runs them unsandboxed (and says so) rather than failing; rein run and chat never fall back like this.
            if (settings.Values.Sandbox != "none" && SandboxUnavailable(Environment.GetEnvironmentVariable("PATH")) is { } unavailable)
            {
                settings = settings with
                {
                    Values = settings.Values with { Sandbox = "none" },
                    SandboxOffReason = $"{unavailable}: the demo runs its own fixed commands WITHOUT the sandbox, in its temporary workspace (rein run and chat need the sandbox).",
                };
            }

            var script = ReadResource("script.json");
            using var host = CliLogging.OpenHost(settings);
            using var chat = new ScriptedChatClient(ScriptedTurn.ParseScript(script, "demo script"), "scripted:demo");
            var reinSession = host.CreateSession(chat, settings.Workspace, "scripted:demo", approvals: null, modeOverride: Guard.Policy.PermissionModes.WorkspaceWrite);
            var json = parse.GetValue(CommonOptions.Json);
            using var renderer = SessionRunner.CreateRenderer(json);
            using var session = await SessionRunner.StartSessionAsync(host, settings.Workspace, "scripted:demo", renderer, ct);
            await using var lease = await host.Store.AcquireWriterAsync(session.SessionId, ct);
            if (!json)
            {
                await Console.Error.WriteLineAsync($"rein demo — an offline scripted agent fixes a bug in a small awk project (tested with sh) in {workspace}\n");
            }

            var exitCode = await SessionRunner.RunAsync(reinSession, session, "The inventory tests fail. Find the bug, fix it and make sure all tests pass.", renderer, interrupts, ct);
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

            // The scripted model claims success whatever its commands did: the journal says whether they really ran and passed.
            using var scriptDocument = JsonDocument.Parse(script);
            int[] expectedExitCodes = [.. scriptDocument.RootElement.GetProperty("expected_exit_codes").EnumerateArray().Select(code => code.GetInt32())];
            var failure = Failure(session.State.StopReason, await host.Store.ReadAsync(session.SessionId, 0, ct), expectedExitCodes);
            if (failure is null)
            {
                return exitCode;
            }

            await Console.Error.WriteLineAsync($"rein demo: failed: {failure}");
            return exitCode == ExitCodes.Success ? ExitCodes.Error : exitCode;
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

    /// <summary>
    /// Why the demo's commands cannot run in the sandbox here, or null when they can: <c>bwrap</c> must be on
    /// <paramref name="searchPath"/> (like every other program the demo runs) and able to create a sandbox.
    /// </summary>
    internal static string? SandboxUnavailable(string? searchPath)
    {
        if (!IsOnPath("bwrap", searchPath))
        {
            return "bubblewrap (bwrap) is not installed (Debian/Ubuntu: apt-get install bubblewrap)";
        }

        var (available, reason) = Guard.Sandbox.Bubblewrap.Probe();
        return available ? null : reason?.TrimEnd('.') ?? "bubblewrap cannot create a sandbox here";
    }

    /// <summary>
    /// Why the demo session did not show what its model claims, or null when it did: it completed, and each of its
    /// shell calls ran and exited with the code the script expects (its first test run finds the bug, the last one passes).
    /// </summary>
    /// <param name="stopReason">Why the session stopped.</param>
    /// <param name="events">The session's journal.</param>
    /// <param name="expectedExitCodes">The exit code of each shell call of the script, in order.</param>
    internal static string? Failure(string? stopReason, IReadOnlyList<RecordedEvent> events, IReadOnlyList<int> expectedExitCodes)
    {
        if (stopReason != StopReason.Completed)
        {
            return $"the session stopped before it finished ({stopReason ?? "no stop reason"})";
        }

        var commands = events.Select(e => e.Event).OfType<ToolCallProposed>()
            .Where(p => p.Name == "shell" && p.Arguments is { ValueKind: JsonValueKind.Object } a && a.TryGetProperty("command", out _))
            .ToDictionary(p => p.CallId, p => p.Arguments!.Value.GetProperty("command").GetString() ?? "", StringComparer.Ordinal);
        var shells = events.Select(e => e.Event).OfType<ToolCompleted>().Where(c => c.Name == "shell").ToList();
        if (shells.Count != expectedExitCodes.Count)
        {
            return $"it ran {shells.Count} shell commands, not the {expectedExitCodes.Count} of its script";
        }

        foreach (var (shell, expected) in shells.Zip(expectedExitCodes))
        {
            var command = commands.GetValueOrDefault(shell.CallId, "a command");
            var exit = ExitCodeLine().Match(shell.Result);
            if (shell.Outcome != ToolOutcome.Success || !exit.Success)
            {
                var detail = shell.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? shell.Outcome.ToString();
                return $"`{command}` did not run to an end: {detail}";
            }

            var code = int.Parse(exit.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
            if (code != expected)
            {
                return $"`{command}` exited with code {code}, not {expected}{(expected == 0 ? " (its tests must pass)" : "")}; its output is above";
            }
        }

        return null;
    }

    [GeneratedRegex(@"\[exit code (-?\d+)\]\s*$")]
    private static partial Regex ExitCodeLine();

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
