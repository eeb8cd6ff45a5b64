using System.Text.Json;
using Rein.Testing.FakeProviders;

namespace Rein.Cli.Tests;

/// <summary>Sessions resume with the settings they were started with; flags given to resume override them and are journaled.</summary>
[Trait("Category", "e2e")]
public sealed class ResumeEndToEndTests : IDisposable
{
    private readonly ReinProcess _rein = new();
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    public void Dispose() => _rein.Dispose();

    private async Task<IReadOnlyList<JsonElement>> JournalAsync(string sessionId)
    {
        var show = await _rein.RunAsync("sessions", "show", sessionId, "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        return show.JsonLines();
    }

    [Fact]
    public async Task ResumeLast_AfterRunWithBaseUrl_ReachesTheSameServerAndJournalsTheOverride()
    {
        await using var server = await FakeOpenAIServer.StartAsync(_ct);
        server.Enqueue(FakeReply.ToolCall("shell", """{"command":"echo one > one.txt"}"""), FakeReply.Text("Done."));
        _rein.Environment["OPENAI_API_KEY"] = "sk-test-secret-456";

        var first = await _rein.RunAsync("run", "--json", "--model", "openai-compatible:local-model", "--base-url", server.BaseUrl, "--max-steps", "1", "write one");
        Assert.True(first.ExitCode == 4, first.ToString());
        var sessionId = first.JsonLines()[0].GetProperty("session_id").GetString()!;

        var resumed = await _rein.RunAsync("resume", "--last", "--max-steps", "3", "--json");

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal("Done.", resumed.JsonLines()[^1].GetProperty("text").GetString());
        var journal = await JournalAsync(sessionId);
        var run = journal[0].GetProperty("run_settings");
        Assert.Equal(server.BaseUrl, run.GetProperty("base_url").GetString());
        Assert.Equal(1, run.GetProperty("max_steps").GetInt32());
        var changed = Assert.Single(journal, e => e.GetProperty("type").GetString() == "run_settings_changed");
        Assert.Equal(["max_steps"], changed.GetProperty("changed").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(3, changed.GetProperty("settings").GetProperty("max_steps").GetInt32());
        Assert.Equal(server.BaseUrl, changed.GetProperty("settings").GetProperty("base_url").GetString());
        Assert.DoesNotContain("sk-test-secret-456", string.Join('\n', journal.Select(e => e.GetRawText())), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resume_FullAutoSessionKilledMidRun_DoesNotStopForApproval()
    {
        _rein.Environment["REIN_MODE"] = null;
        var script = _rein.WriteFile("slow.json", """
            {"turns":[
              {"tool_calls":[{"name":"shell","arguments":{"command":"echo ran >> runs.txt; sleep 20","timeout_seconds":60}}]},
              {"tool_calls":[{"name":"shell","arguments":{"command":"echo after > after.txt"}}]},
              {"text":"recovered"}
            ]}
            """);
        using var process = _rein.Start(["run", "--json", "--mode", "full-auto", "--model", $"scripted:{script}", "go"]);
        var sessionId = await CrashAndResumeTests.WaitForToolStartedAsync(process);
        process.Kill();
        await process.WaitForExitAsync(_ct);

        var resumed = await _rein.RunAsync("sessions", "resume", sessionId, "--json");

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal("after\n", await File.ReadAllTextAsync(Path.Combine(_rein.Workspace, "after.txt"), _ct));
        var journal = await JournalAsync(sessionId);
        Assert.Equal("full-auto", journal[0].GetProperty("run_settings").GetProperty("mode").GetString());
        Assert.DoesNotContain(journal, e => e.GetProperty("type").GetString() is "approval_requested" or "run_settings_changed");
    }

    [Fact]
    public async Task Run_AcceptEditsMode_WritesFilesButAsksBeforeACommand()
    {
        _rein.Environment["REIN_MODE"] = null;
        _rein.WriteFile("ws/.rein/settings.json", """{"permissions": {"defaultmode": "ask"}}""");
        var script = _rein.WriteFile("edits.json", """
            {"turns":[
              {"tool_calls":[{"name":"write_file","arguments":{"path":"a.txt","content":"x"}}]},
              {"tool_calls":[{"name":"shell","arguments":{"command":"echo y > b.txt"}}]},
              {"text":"done"}
            ]}
            """);

        var result = await _rein.RunAsync("run", "--json", "--mode", "acceptEdits", "--model", $"scripted:{script}", "edit");

        Assert.True(result.ExitCode == 6, result.ToString());
        Assert.Equal("x", await File.ReadAllTextAsync(Path.Combine(_rein.Workspace, "a.txt"), _ct));
        Assert.False(File.Exists(Path.Combine(_rein.Workspace, "b.txt")));
        var decisions = result.JsonLines().Where(l => l.GetProperty("type").GetString() == "policy_decided").ToList();
        Assert.Equal(["allow", "ask"], decisions.Select(d => d.GetProperty("decision").GetString()));
        Assert.All(decisions, d => Assert.Equal("accept-edits", d.GetProperty("mode").GetString()));
        Assert.Contains(
            $"rein: unknown setting 'permissions.defaultmode' in {Path.Combine(_rein.Workspace, ".rein", "settings.json")} (did you mean 'permissions.defaultMode'?)",
            result.Stderr.Split('\n'));
    }

    [Fact]
    public async Task BareRein_NotOnATerminal_PrintsHelpInsteadOfStartingAChat()
    {
        var result = await _rein.RunAsync();

        Assert.Contains("Usage:", result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("session ", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_rein.StorePath));
    }
}
