using System.Text.Json;
using Rein.Cli.Commands;
using Rein.Journal;
using Rein.Testing;

namespace Rein.Cli.Tests;

/// <summary>
/// The demo names the command that runs rein on this machine (<c>rein</c> once installed, <c>dotnet run</c> before),
/// needs only sh and awk, and succeeds only when its commands really ran and its tests really passed.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DemoCommandTests : IDisposable
{
    private readonly TempDirectory _bin = new("rein-path");
    private readonly TempDirectory _other = new("rein-path-other");

    public void Dispose()
    {
        _bin.Dispose();
        _other.Dispose();
    }

    private string SearchPath => string.Join(Path.PathSeparator, _other.Path, _bin.Path);

    [Fact]
    public void ReinCommandLine_NoReinOnPath_RunsItFromTheRepository()
    {
        Assert.Equal("dotnet run --project src/Rein.Cli --", DemoCommand.ReinCommandLine(SearchPath));
    }

    [Fact]
    public void ReinCommandLine_NoPath_RunsItFromTheRepository()
    {
        Assert.Equal("dotnet run --project src/Rein.Cli --", DemoCommand.ReinCommandLine(null));
    }

    [Fact]
    public void ReinCommandLine_ExecutableReinOnPath_IsRein()
    {
        var rein = _bin.Write("rein", "#!/bin/sh\n");
        File.SetUnixFileMode(rein, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        Assert.Equal("rein", DemoCommand.ReinCommandLine(SearchPath));
    }

    [Fact]
    public void ReinCommandLine_ReinOnPathIsNotExecutable_RunsItFromTheRepository()
    {
        var rein = _bin.Write("rein", "not a program\n");
        File.SetUnixFileMode(rein, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Equal("dotnet run --project src/Rein.Cli --", DemoCommand.ReinCommandLine(SearchPath));
    }

    [Fact]
    public void IsOnPath_ProgramInALaterFolder_IsFound()
    {
        var python = _bin.Write("python3", "#!/bin/sh\n");
        File.SetUnixFileMode(python, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        Assert.True(DemoCommand.IsOnPath("python3", SearchPath));
        Assert.False(DemoCommand.IsOnPath("bwrap", SearchPath));
    }

    [Fact]
    [Trait("Category", "e2e")]
    public async Task Demo_NoPythonNoBubblewrapOnPath_RunsUnsandboxedAndItsTestsPass()
    {
        // A fresh Debian machine: POSIX sh and awk, no python3, no bubblewrap (the sandbox finds bwrap through PATH too).
        using var rein = new ReinProcess();
        rein.Environment["PATH"] = PathOf("sh", "awk");

        var result = await rein.RunAsync("demo");

        Assert.True(result.ExitCode == 0, result.ToString());
        var warning = Assert.Single(result.Stderr.Split('\n'), l => l.Contains("WITHOUT the sandbox", StringComparison.Ordinal));
        Assert.Contains("bubblewrap (bwrap) is not installed", warning, StringComparison.Ordinal);
        var events = await JournalAsync(rein);
        var disabled = Assert.Single(events, e => e.GetProperty("type").GetString() == "sandbox_disabled");
        Assert.Contains("the demo runs its own fixed commands", disabled.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var shellResults = ShellResults(events);
        Assert.Equal(2, shellResults.Count);
        Assert.EndsWith("Ran 3 tests: 2 passed, 1 failed\n[exit code 1]", shellResults[0], StringComparison.Ordinal);
        Assert.EndsWith("Ran 3 tests: 3 passed, 0 failed\n[exit code 0]", shellResults[1], StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "e2e")]
    public async Task Demo_ItsTestsCannotRun_ExitsOneAndSaysWhy()
    {
        // No awk: the scripted model still claims the tests pass; the demo must not.
        using var rein = new ReinProcess();
        rein.Environment["PATH"] = PathOf("sh");

        var result = await rein.RunAsync("demo");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(
            "rein demo: failed: `sh test.sh` exited with code 1, not 0 (its tests must pass); its output is above",
            result.Stderr.TrimEnd().Split('\n')[^1]);
        Assert.Contains("awk: not found", ShellResults(await JournalAsync(rein))[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Failure_CompletedAndEachCommandExitedAsExpected_IsNull()
    {
        Assert.Null(DemoCommand.Failure(StopReason.Completed, ShellJournal(ToolOutcome.Success, "[exit code 1]", "Ran 3 tests\n[exit code 0]"), [1, 0]));
    }

    [Fact]
    public void Failure_LastTestRunFailed_NamesTheCommandAndItsExitCode()
    {
        var failure = DemoCommand.Failure(StopReason.Completed, ShellJournal(ToolOutcome.Success, "[exit code 1]", "[exit code 127]"), [1, 0]);

        Assert.Equal("`sh test.sh` exited with code 127, not 0 (its tests must pass); its output is above", failure);
    }

    [Fact]
    public void Failure_FirstTestRunDidNotFindTheBug_IsAFailure()
    {
        var failure = DemoCommand.Failure(StopReason.Completed, ShellJournal(ToolOutcome.Success, "[exit code 0]", "[exit code 0]"), [1, 0]);

        Assert.Equal("`sh test.sh` exited with code 0, not 1; its output is above", failure);
    }

    [Fact]
    public void Failure_CommandCouldNotStart_SaysWhy()
    {
        var failure = DemoCommand.Failure(StopReason.Completed, ShellJournal(ToolOutcome.Error, "The command could not be started: bwrap is not installed."), [1]);

        Assert.Equal("`sh test.sh` did not run to an end: The command could not be started: bwrap is not installed.", failure);
    }

    [Fact]
    public void Failure_FewerCommandsThanTheScript_IsAFailure()
    {
        var failure = DemoCommand.Failure(StopReason.Completed, ShellJournal(ToolOutcome.Success, "[exit code 1]"), [1, 0]);

        Assert.Equal("it ran 1 shell commands, not the 2 of its script", failure);
    }

    [Fact]
    public void Failure_SessionDidNotComplete_SaysHowItStopped()
    {
        var failure = DemoCommand.Failure(StopReason.ScriptExhausted, ShellJournal(ToolOutcome.Success, "[exit code 1]", "[exit code 0]"), [1, 0]);

        Assert.Equal($"the session stopped before it finished ({StopReason.ScriptExhausted})", failure);
    }

    /// <summary>A folder of links to only <paramref name="programs"/>, to use as PATH.</summary>
    private string PathOf(params string[] programs)
    {
        foreach (var program in programs)
        {
            var target = (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
                .Select(d => Path.Join(d, program)).First(File.Exists);
            File.CreateSymbolicLink(_bin.Combine(program), target);
        }

        return _bin.Path;
    }

    private static async Task<IReadOnlyList<JsonElement>> JournalAsync(ReinProcess rein)
    {
        var id = Assert.Single((await rein.RunAsync("sessions", "list", "--json")).JsonLines()).GetProperty("id").GetString()!;
        return (await rein.RunAsync("sessions", "show", id, "--json")).JsonLines();
    }

    private static List<string> ShellResults(IReadOnlyList<JsonElement> events) =>
        [.. events.Where(e => e.GetProperty("type").GetString() == "tool_completed" && e.GetProperty("name").GetString() == "shell")
            .Select(e => e.GetProperty("result").GetString()!.TrimEnd())];

    /// <summary>A journal of <c>sh test.sh</c> calls that ended with <paramref name="outcome"/> and these results, in order.</summary>
    private static List<RecordedEvent> ShellJournal(ToolOutcome outcome, params string[] results)
    {
        var events = new List<RecordedEvent>();
        using var arguments = JsonDocument.Parse("""{"command":"sh test.sh"}""");
        foreach (var (result, index) in results.Select((r, i) => (r, i)))
        {
            var id = $"call_{index}";
            events.Add(new RecordedEvent(events.Count + 1, DateTimeOffset.UnixEpoch, new ToolCallProposed(id, "shell", arguments.RootElement.Clone())));
            events.Add(new RecordedEvent(events.Count + 1, DateTimeOffset.UnixEpoch, new ToolCompleted(id, "shell", outcome, result)));
        }

        return events;
    }
}
