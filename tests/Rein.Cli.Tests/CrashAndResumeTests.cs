using System.Diagnostics;
using System.Text.Json;

namespace Rein.Cli.Tests;

[Trait("Category", "e2e")]
public sealed class CrashAndResumeTests : IDisposable
{
    private readonly ReinProcess _rein = new();

    public void Dispose() => _rein.Dispose();

    // The shell call records that it ran, then blocks long enough to be killed mid-call.
    private const string SlowScript = """
        {"turns":[
          {"tool_calls":[{"name":"shell","arguments":{"command":"echo ran >> runs.txt; sleep 20","timeout_seconds":60}}]},
          {"text":"recovered"}
        ]}
        """;

    /// <summary>Reads a <c>rein run --json</c> process's output until its first tool starts; returns the session id.</summary>
    internal static async Task<string> WaitForToolStartedAsync(Process process)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string? sessionId = null;
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            var json = JsonDocument.Parse(line).RootElement;
            sessionId ??= json.GetProperty("session_id").GetString();
            if (json.GetProperty("type").GetString() == "tool_started")
            {
                return sessionId!;
            }
        }

        throw new InvalidOperationException("rein exited before starting the tool: " + await process.StandardError.ReadToEndAsync());
    }

    /// <summary>Waits until the shell command has really started (tool_started is journaled just before it spawns).</summary>
    private async Task WaitForCommandToRunAsync()
    {
        var marker = Path.Combine(_rein.Workspace, "runs.txt");
        // The redirection creates the file before echo writes to it: wait for the line, or a signal sent at once may beat it.
        for (var i = 0; i < 600 && !(File.Exists(marker) && File.ReadAllText(marker).Contains("ran", StringComparison.Ordinal)); i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.True(File.Exists(marker) && File.ReadAllText(marker).Contains("ran", StringComparison.Ordinal), "the shell command never started");
    }

    private async Task<IReadOnlyList<JsonElement>> JournalAsync(string sessionId)
    {
        var show = await _rein.RunAsync("sessions", "show", sessionId, "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        return show.JsonLines();
    }

    [Fact]
    public async Task KilledMidTool_ResumeReportsInterruptedCallWithoutRerunningOrLosingEvents()
    {
        var script = _rein.WriteFile("slow.json", SlowScript);
        using var process = _rein.Start(["run", "--json", "--model", $"scripted:{script}", "go"]);
        var sessionId = await WaitForToolStartedAsync(process);
        await WaitForCommandToRunAsync();

        // A second writer is refused while the first one is alive.
        var busy = await _rein.RunAsync("sessions", "resume", sessionId);
        Assert.True(busy.ExitCode == 5, busy.ToString());
        Assert.Contains("already being run", busy.Stderr, StringComparison.Ordinal);

        process.Kill();
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        var listed = (await _rein.RunAsync("sessions", "list", "--json")).JsonLines();
        Assert.Equal("interrupted", Assert.Single(listed).GetProperty("status").GetString());
        var beforeResume = await JournalAsync(sessionId);
        Assert.Equal("tool_started", beforeResume[^1].GetProperty("type").GetString());

        var resumed = await _rein.RunAsync("sessions", "resume", sessionId, "--json");

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        var journal = await JournalAsync(sessionId);
        Assert.Equal(Enumerable.Range(1, journal.Count), journal.Select(e => e.GetProperty("seq").GetInt32()));
        Assert.Equal(beforeResume.Select(e => e.GetRawText()), journal.Take(beforeResume.Count).Select(e => e.GetRawText()));
        Assert.Equal(
            ["tool_completed", "session_resumed", "model_called", "session_ended"],
            journal.Skip(beforeResume.Count).Select(e => e.GetProperty("type").GetString()));
        var interrupted = journal[beforeResume.Count];
        Assert.Equal("interrupted", interrupted.GetProperty("outcome").GetString());
        Assert.Single(journal, e => e.GetProperty("type").GetString() == "tool_started");
        Assert.Equal(["ran"], File.ReadAllLines(Path.Combine(_rein.Workspace, "runs.txt")));
        Assert.Equal("recovered", resumed.JsonLines()[^1].GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Signal_SuspendsSessionWithExit130_AndResumeContinues(string signal)
    {
        var script = _rein.WriteFile("slow.json", SlowScript);
        using var process = _rein.Start(["run", "--json", "--model", $"scripted:{script}", "go"]);
        var sessionId = await WaitForToolStartedAsync(process);
        await WaitForCommandToRunAsync();

        using (var kill = Process.Start("kill", $"-{signal} {process.Id}"))
        {
            await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        var result = await ReinProcess.CollectAsync(process);
        Assert.True(result.ExitCode == 130, result.ToString());
        var journal = await JournalAsync(sessionId);
        Assert.Equal("session_suspended", journal[^1].GetProperty("type").GetString());
        Assert.Equal("interrupted", journal[^2].GetProperty("outcome").GetString());
        var list = (await _rein.RunAsync("sessions", "list", "--json")).JsonLines();
        Assert.Equal("suspended", Assert.Single(list).GetProperty("status").GetString());

        var resumed = await _rein.RunAsync("sessions", "resume", sessionId, "--json");

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal("completed", resumed.JsonLines()[^1].GetProperty("reason").GetString());
        Assert.Equal(["ran"], File.ReadAllLines(Path.Combine(_rein.Workspace, "runs.txt")));
    }
}
