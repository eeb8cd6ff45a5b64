using System.Text.Json;
using Rein.Cli.Commands;

namespace Rein.Cli.Tests;

[Trait("Category", "e2e")]
public sealed class RunCommandTests : IDisposable
{
    private readonly ReinProcess _rein = new();

    public void Dispose() => _rein.Dispose();

    private string Script(string json) => _rein.WriteFile("turns.json", json);

    [Fact]
    public async Task Run_ScriptedWriteFile_WritesFileAndJournalsSession()
    {
        var script = Script("""{"turns":[{"tool_calls":[{"name":"write_file","arguments":{"path":"a.txt","content":"x"}}]},{"text":"done"}]}""");

        var result = await _rein.RunAsync("run", "--model", $"scripted:{script}", "--workspace", _rein.Workspace, "write a.txt");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("x", File.ReadAllText(Path.Combine(_rein.Workspace, "a.txt")));
        Assert.Contains("done", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("write_file", result.Stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(_rein.StorePath), "the default store lives under XDG_DATA_HOME");
    }

    [Fact]
    public async Task Run_Json_PrintsOneEventPerLineThenResult()
    {
        var script = Script("""{"turns":[{"tool_calls":[{"name":"write_file","arguments":{"path":"a.txt","content":"x"}}]},{"text":"done"}]}""");

        var result = await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "write a.txt");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.JsonLines();
        Assert.Equal(
            ["session_started", "user_message", "model_called", "tool_call_proposed", "policy_decided", "checkpoint_taken", "tool_started", "checkpoint_taken", "tool_completed", "model_called", "session_ended", "run_stopped"],
            lines.Select(l => l.GetProperty("type").GetString()));
        Assert.Equal(Enumerable.Range(1, 11), lines.Take(11).Select(l => l.GetProperty("seq").GetInt32()));
        var last = lines[^1];
        Assert.Equal("completed", last.GetProperty("reason").GetString());
        Assert.Equal("done", last.GetProperty("text").GetString());
        var sessionId = last.GetProperty("session_id").GetString()!;

        var list = await _rein.RunAsync("sessions", "list", "--json");
        var session = Assert.Single(list.JsonLines());
        Assert.Equal(sessionId, session.GetProperty("id").GetString());
        Assert.Equal("completed", session.GetProperty("status").GetString());
        Assert.Equal(_rein.Workspace, session.GetProperty("workspace").GetString());
        Assert.True(session.GetProperty("started_at").GetDateTimeOffset() > DateTimeOffset.UnixEpoch);

        var show = await _rein.RunAsync("sessions", "show", sessionId[..8], "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Equal(lines.Take(11).Select(l => l.GetRawText()), show.JsonLines().Select(l => l.GetRawText()));
    }

    [Fact]
    public async Task Run_ReplayOfEarlierSession_MakesTheSameCallsThenStopsWhenRecordingEnds()
    {
        var script = Script("""{"turns":[{"tool_calls":[{"name":"write_file","arguments":{"path":"a.txt","content":"x"}}]},{"text":"done"}]}""");
        var original = await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "write a.txt");
        var sessionId = original.JsonLines()[^1].GetProperty("session_id").GetString()!;
        File.Delete(Path.Combine(_rein.Workspace, "a.txt"));

        var replay = await _rein.RunAsync("run", "--json", "--model", $"replay:{sessionId}", "write a.txt");

        Assert.True(replay.ExitCode == 0, replay.ToString());
        Assert.Equal("x", File.ReadAllText(Path.Combine(_rein.Workspace, "a.txt")));
        static IEnumerable<string> Calls(ReinProcess.Result r) => r.JsonLines()
            .Where(l => l.GetProperty("type").GetString() == "tool_call_proposed")
            .Select(l => l.GetProperty("name").GetString() + l.GetProperty("arguments").GetRawText());
        Assert.Equal(Calls(original), Calls(replay));

        var again = await _rein.RunWithInputAsync(null, "sessions", "resume", replay.JsonLines()[^1].GetProperty("session_id").GetString()!, "--json", "one more thing");
        Assert.Equal(4, again.ExitCode);
        Assert.Equal("replay_exhausted", again.JsonLines()[^1].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Run_FlagsBeatEnvironmentBeatProjectSettingsBeatUserSettings()
    {
        var userScript = Script("""{"turns":[{"text":"from user settings"}]}""");
        var projectScript = _rein.WriteFile("project.json", """{"turns":[{"text":"from project settings"}]}""");
        var envScript = _rein.WriteFile("env.json", """{"turns":[{"text":"from environment"}]}""");
        var flagScript = _rein.WriteFile("flag.json", """{"turns":[{"text":"from flag"}]}""");
        _rein.WriteFile("config/rein/settings.json", JsonSerializer.Serialize(new { model = $"scripted:{userScript}" }));

        Assert.Contains("from user settings", (await _rein.RunAsync("run", "go")).Stdout, StringComparison.Ordinal);

        _rein.WriteFile("ws/.rein/settings.json", JsonSerializer.Serialize(new { model = $"scripted:{projectScript}" }));
        Assert.Contains("from project settings", (await _rein.RunAsync("run", "go")).Stdout, StringComparison.Ordinal);

        _rein.Environment["REIN_MODEL"] = $"scripted:{envScript}";
        Assert.Contains("from environment", (await _rein.RunAsync("run", "go")).Stdout, StringComparison.Ordinal);

        Assert.Contains("from flag", (await _rein.RunAsync("run", "--model", $"scripted:{flagScript}", "go")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CorruptSettings_ExitsTwoNamingFileAndLine()
    {
        var settings = _rein.WriteFile("ws/.rein/settings.json", "{\n  \"model\": \"scripted:x.json\",\n  oops\n}");

        var result = await _rein.RunAsync("run", "go");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{settings}:3", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NoModel_ExitsTwoExplainingHowToSetOne()
    {
        var result = await _rein.RunAsync("run", "go");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--model", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("REIN_MODEL", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_OpenAIWithoutKey_ExitsThreeNamingVariable()
    {
        var result = await _rein.RunAsync("run", "--model", "openai:gpt-5.5", "go");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("OPENAI_API_KEY", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ScriptExhausted_ExitsFourWithReason()
    {
        var script = Script("""{"turns":[{"tool_calls":[{"name":"list_files","arguments":{}}]}]}""");

        var result = await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "go");

        Assert.Equal(4, result.ExitCode);
        Assert.Equal("script_exhausted", result.JsonLines()[^1].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Run_PromptFromStdin_IsUsed()
    {
        var script = Script("""{"turns":[{"text":"ok"}]}""");

        var result = await _rein.RunWithInputAsync("task from stdin", "run", "--json", "--model", $"scripted:{script}");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("task from stdin", result.JsonLines()[1].GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("run", "--help")]
    [InlineData("chat", "--help")]
    [InlineData("sessions", "--help")]
    [InlineData("sessions", "list", "--help")]
    [InlineData("sessions", "show", "--help")]
    [InlineData("sessions", "resume", "--help")]
    [InlineData("demo", "--help")]
    public async Task Help_EveryCommand_ExplainsItself(params string[] args)
    {
        var result = await _rein.RunAsync(args);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Usage:", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Options:", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("no-such-command")]
    [InlineData("run", "--no-such-option", "x")]
    [InlineData("sessions", "show")]
    public async Task BadCommandLine_ExitsTwoWithError(params string[] args)
    {
        var result = await _rein.RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.False(string.IsNullOrWhiteSpace(result.Stderr), "the parse error is explained on stderr");
    }

    [Fact]
    public async Task Sessions_ShowUnknownId_ExitsFive()
    {
        var result = await _rein.RunAsync("sessions", "show", "nope");

        Assert.Equal(5, result.ExitCode);
        Assert.Contains("nope", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_TwoMessagesOnStdin_RunsTwoTurnsInOneSession()
    {
        var script = Script("""{"turns":[{"text":"first answer"},{"text":"second answer"}]}""");

        var result = await _rein.RunWithInputAsync("hello\nand again\n/exit\n", "chat", "--model", $"scripted:{script}");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("first answer", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("second answer", result.Stdout, StringComparison.Ordinal);
        var sessions = (await _rein.RunAsync("sessions", "list", "--json")).JsonLines();
        var session = Assert.Single(sessions);
        var events = (await _rein.RunAsync("sessions", "show", session.GetProperty("id").GetString()!, "--json")).JsonLines();
        Assert.Equal(2, events.Count(e => e.GetProperty("type").GetString() == "user_message"));
    }

    [Fact]
    public async Task Demo_RunsOfflineFixesBugAndPointsAtJournal()
    {
        // As on a fresh machine: no rein on PATH, so the demo says how to run it from the repository and install it.
        var path = System.Environment.GetEnvironmentVariable("PATH") ?? "";
        _rein.Environment["PATH"] = string.Join(Path.PathSeparator, path.Split(Path.PathSeparator).Where(d => !File.Exists(Path.Join(d, "rein"))));

        var result = await _rein.RunAsync("demo", "--keep");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Inspect it with: dotnet run --project src/Rein.Cli -- sessions show", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(DemoCommand.InstallCommandLine, result.Stdout, StringComparison.Ordinal);
        var workspaceLine = result.Stdout.Split('\n').First(l => l.StartsWith("Workspace:", StringComparison.Ordinal));
        var workspace = workspaceLine["Workspace:".Length..].Trim();
        Assert.Contains("total += price[i] * quantity[i]", File.ReadAllText(Path.Combine(workspace, "inventory.awk")), StringComparison.Ordinal);
        Directory.Delete(workspace, recursive: true);

        var id = Assert.Single((await _rein.RunAsync("sessions", "list", "--json")).JsonLines()).GetProperty("id").GetString()!;
        var shellResults = (await _rein.RunAsync("sessions", "show", id, "--json")).JsonLines()
            .Where(e => e.GetProperty("type").GetString() == "tool_completed" && e.GetProperty("name").GetString() == "shell")
            .Select(e => e.GetProperty("result").GetString()!)
            .ToList();
        Assert.Equal(2, shellResults.Count);
        Assert.Contains("Ran 3 tests: 2 passed, 1 failed", shellResults[0], StringComparison.Ordinal);
        Assert.Contains("Ran 3 tests: 3 passed, 0 failed\n[exit code 0]", shellResults[1], StringComparison.Ordinal);
    }
}
