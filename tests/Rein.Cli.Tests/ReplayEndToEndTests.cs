using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rein.Cli.Tests;

/// <summary>
/// The sessions the replay tests replay, recorded and exported once for the class: each recording is a rein run that
/// takes seconds of CPU, and every test only reads them (tests that change an archive change their own copy).
/// </summary>
public sealed class ReplayRecordings : IAsyncLifetime
{
    /// <summary>The home of the session that writes out.txt, then cats input.txt and out.txt in a shell.</summary>
    internal ReinProcess Rein { get; } = new();

    /// <summary>The home of the session whose observations carry a test runner's duration, timestamps and the workspace's path.</summary>
    internal ReinProcess Noisy { get; } = new();

    public string SessionId { get; private set; } = "";

    public string NoisySessionId { get; private set; } = "";

    /// <summary>The session's exported archive, alone in its suite folder (which export created).</summary>
    public string Archive { get; private set; } = "";

    public string NoisyArchive { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        File.WriteAllText(Path.Combine(Rein.Workspace, "input.txt"), "hello from the starting workspace\n");
        var run = await ReplayEndToEndTests.RunWriteAndReadAsync(Rein);
        Assert.True(run.ExitCode == 0, run.ToString());
        SessionId = run.JsonLines()[^1].GetProperty("session_id").GetString()!;

        // The recorded workspace moves on after the session; a replay starts from the first checkpoint, not from this.
        File.WriteAllText(Path.Combine(Rein.Workspace, "input.txt"), "changed after the session\n");
        Archive = await ExportAsync(Rein, SessionId, "write-and-read.rein.json");

        File.WriteAllText(Path.Combine(Noisy.Workspace, "test_math.py"), """
            import time
            import unittest

            class MathTest(unittest.TestCase):
                def test_add(self):
                    time.sleep(0.003)
                    self.assertEqual(2, 1 + 1)
            """);
        var script = Noisy.WriteFile("noisy.json", """
            {"turns":[
              {"tool_calls":[{"name":"write_file","arguments":{"path":"notes.txt","content":"checked\n"}}]},
              {"tool_calls":[{"name":"shell","arguments":{"command":"python3 -m unittest test_math 2>&1; echo took 0.$(date +%N)s; pwd; ls $PWD; date -u +%Y-%m-%dT%H:%M:%S.%NZ"}}]},
              {"text":"done"}
            ]}
            """);
        var noisy = await Noisy.RunAsync("run", "--json", "--model", $"scripted:{script}", "run the tests");
        Assert.True(noisy.ExitCode == 0, noisy.ToString());
        NoisySessionId = noisy.JsonLines()[^1].GetProperty("session_id").GetString()!;
        NoisyArchive = await ExportAsync(Noisy, NoisySessionId, "noisy.rein.json");
    }

    private static async Task<string> ExportAsync(ReinProcess rein, string sessionId, string name)
    {
        // The suite folder does not exist yet: export creates it.
        var file = Path.Combine(rein.Home, "suite", name);
        var export = await rein.RunAsync("sessions", "export", sessionId, "-o", file, "--json");
        Assert.True(export.ExitCode == 0, export.ToString());
        var report = export.JsonLines()[0];
        Assert.Equal("checkpoint", report.GetProperty("starting_workspace").GetString());
        return file;
    }

    public ValueTask DisposeAsync()
    {
        Rein.Dispose();
        Noisy.Dispose();
        return ValueTask.CompletedTask;
    }
}

[Trait("Category", "e2e")]
public sealed class ReplayEndToEndTests(ReplayRecordings recordings) : IClassFixture<ReplayRecordings>
{
    private readonly ReinProcess _rein = recordings.Rein;

    /// <summary>Runs the script that writes out.txt, then cats input.txt and out.txt in a shell.</summary>
    internal static Task<ReinProcess.Result> RunWriteAndReadAsync(ReinProcess rein)
    {
        var script = rein.WriteFile("turns.json", """
            {"turns":[
              {"tool_calls":[{"name":"write_file","arguments":{"path":"out.txt","content":"written\n"}}]},
              {"tool_calls":[{"name":"shell","arguments":{"command":"cat input.txt out.txt"}}]},
              {"text":"done"}
            ]}
            """);
        return rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "write and read");
    }

    /// <summary>A suite folder of this test's own holding a copy of <paramref name="archive"/> changed by <paramref name="change"/>.</summary>
    private static string SuiteWith(string archive, Action<JsonNode> change)
    {
        var suite = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(archive))!, "suites", TestContext.Current.Test!.UniqueID[..12]);
        Directory.CreateDirectory(suite);
        var copy = JsonNode.Parse(File.ReadAllText(archive))!;
        change(copy);
        File.WriteAllText(Path.Combine(suite, Path.GetFileName(archive)), copy.ToJsonString());
        return suite;
    }

    /// <summary>A path under the recorded home that no other test uses.</summary>
    private string Fresh(string name) => Path.Combine(_rein.Home, "fresh", TestContext.Current.Test!.UniqueID[..12], name);

    private static JsonElement Single(ReinProcess.Result result) => Assert.Single(result.JsonLines());

    [Fact]
    public async Task Replay_RecordedSession_MatchesWithNoDivergence()
    {
        var sessionId = recordings.SessionId;

        var replay = await _rein.RunAsync("replay", sessionId, "--json");

        Assert.True(replay.ExitCode == 0, replay.ToString());
        var report = Single(replay);
        Assert.True(report.GetProperty("passed").GetBoolean(), replay.ToString());
        Assert.Equal(sessionId, report.GetProperty("session_id").GetString());
        Assert.NotEqual(sessionId, report.GetProperty("replay_session_id").GetString());
        Assert.Equal(3, report.GetProperty("steps").GetInt32());
        Assert.Equal(0, report.GetProperty("divergences").GetArrayLength());

        // The replay ran in a throw-away store: the user's store still has only the recorded session.
        var list = await _rein.RunAsync("sessions", "list", "--json");
        Assert.Equal(sessionId, Assert.Single(list.JsonLines()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task ExportImportCheck_FreshStore_ReplaysTheSuiteAndPasses()
    {
        var sessionId = recordings.SessionId;
        var file = recordings.Archive;
        var suite = Path.GetDirectoryName(file)!;
        var fresh = Fresh("rein.db");

        var import = await _rein.RunAsync("sessions", "import", file, "--store", fresh, "--json");
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Equal(sessionId, Single(import).GetProperty("session_id").GetString());

        // The imported journal is the recorded one: same sequence numbers, timestamps and events.
        var original = await _rein.RunAsync("sessions", "show", sessionId, "--json");
        var copy = await _rein.RunAsync("sessions", "show", sessionId, "--json", "--store", fresh);
        Assert.Equal(original.Stdout, copy.Stdout);

        var replayImported = await _rein.RunAsync("replay", sessionId, "--store", fresh, "--json");
        Assert.True(replayImported.ExitCode == 0, replayImported.ToString());

        var check = await _rein.RunAsync("replay", "--check", suite, "--json");
        Assert.True(check.ExitCode == 0, check.ToString());
        var summary = Single(check);
        Assert.Equal((1, 1, 0), (summary.GetProperty("total").GetInt32(), summary.GetProperty("passed").GetInt32(), summary.GetProperty("failed").GetInt32()));

        var human = await _rein.RunAsync("replay", "--check", suite);
        Assert.True(human.ExitCode == 0, human.ToString());
        Assert.Contains("1 of 1 session replayed without divergence", human.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_StartingWorkspaceDiffers_FailsNamingTheStepAndKind()
    {
        var suite = SuiteWith(recordings.Archive, archive =>
        {
            var input = archive["workspace"]!["files"]!.AsArray().Single(f => (string)f!["path"]! == "input.txt")!;
            input["content_base64"] = Convert.ToBase64String("a different environment\n"u8);
        });

        var check = await _rein.RunAsync("replay", "--check", suite, "--json");

        Assert.True(check.ExitCode == 8, check.ToString());
        var session = Assert.Single(Single(check).GetProperty("sessions").EnumerateArray());
        var divergence = Assert.Single(session.GetProperty("divergences").EnumerateArray());
        Assert.Equal(2, divergence.GetProperty("step").GetInt32());
        Assert.Equal("observation", divergence.GetProperty("kind").GetString());
        Assert.Equal("call_2_1", divergence.GetProperty("call_id").GetString());
        Assert.Contains("hello from the starting workspace", divergence.GetProperty("expected").GetString(), StringComparison.Ordinal);
        Assert.Contains("a different environment", divergence.GetProperty("actual").GetString(), StringComparison.Ordinal);

        var human = await _rein.RunAsync("replay", "--check", suite);
        Assert.Equal(8, human.ExitCode);
        Assert.Contains("step 2 observation call_2_1", human.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_RecordedObservationEdited_FailsNamingTheStep()
    {
        var suite = SuiteWith(recordings.Archive, archive =>
        {
            var completed = archive["events"]!.AsArray()
                .Select(e => e!["event"]!)
                .First(e => (string)e["type"]! == "tool_completed" && (string)e["name"]! == "write_file");
            completed["result"] = "an observation the tool never gave";
        });

        var check = await _rein.RunAsync("replay", "--check", suite, "--json");

        Assert.True(check.ExitCode == 8, check.ToString());
        var divergence = Assert.Single(Assert.Single(Single(check).GetProperty("sessions").EnumerateArray()).GetProperty("divergences").EnumerateArray());
        Assert.Equal((1, "observation"), (divergence.GetProperty("step").GetInt32(), divergence.GetProperty("kind").GetString()));
    }

    [Fact]
    public async Task Replay_DurationsTimestampsAndWorkspacePathDiffer_PassesAndVerboseShowsWhatWasNormalised()
    {
        var sessionId = recordings.NoisySessionId;

        var replay = await recordings.Noisy.RunAsync("replay", sessionId, "--verbose");

        Assert.True(replay.ExitCode == 0, replay.ToString());
        Assert.Contains("no divergence", replay.Stdout, StringComparison.Ordinal);
        Assert.Contains("duration", replay.Stderr, StringComparison.Ordinal);
        Assert.Contains("workspace", replay.Stderr, StringComparison.Ordinal);
        Assert.Contains("timestamp", replay.Stderr, StringComparison.Ordinal);

        var json = await recordings.Noisy.RunAsync("replay", sessionId, "--json", "--verbose");
        Assert.True(json.ExitCode == 0, json.ToString());
        var rules = Single(json).GetProperty("normalized").EnumerateArray().Select(n => n.GetProperty("rule").GetString()).ToHashSet();
        Assert.Contains("duration", rules);
        Assert.Contains("workspace", rules);
    }

    [Fact]
    public async Task Check_NoisySessionWithAChangedFile_StillDivergesShowingTheOriginalTexts()
    {
        var suite = SuiteWith(recordings.NoisyArchive, archive =>
        {
            var test = archive["workspace"]!["files"]!.AsArray().Single(f => (string)f!["path"]! == "test_math.py")!;
            var broken = Encoding.UTF8.GetString(Convert.FromBase64String((string)test["content_base64"]!)).Replace("2, 1 + 1", "3, 1 + 1", StringComparison.Ordinal);
            test["content_base64"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(broken));
        });

        var check = await recordings.Noisy.RunAsync("replay", "--check", suite, "--json");

        Assert.True(check.ExitCode == 8, check.ToString());
        var divergence = Assert.Single(Assert.Single(Single(check).GetProperty("sessions").EnumerateArray()).GetProperty("divergences").EnumerateArray());
        Assert.Equal((2, "observation"), (divergence.GetProperty("step").GetInt32(), divergence.GetProperty("kind").GetString()));
        Assert.StartsWith("success: .⏎", divergence.GetProperty("expected").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("success: F⏎", divergence.GetProperty("actual").GetString(), StringComparison.Ordinal);
        Assert.Matches(@"Ran 1 test in 0\.\d+s", divergence.GetProperty("expected").GetString());
    }

    [Fact]
    public async Task Replay_StricterPermissionMode_ReportsPolicyDecisions()
    {
        var replay = await _rein.RunAsync("replay", recordings.SessionId, "--mode", "read-only", "--json");

        Assert.True(replay.ExitCode == 8, replay.ToString());
        var kinds = Single(replay).GetProperty("divergences").EnumerateArray()
            .Select(d => (d.GetProperty("step").GetInt32(), d.GetProperty("kind").GetString())).ToList();
        Assert.Contains((1, "policy_decision"), kinds);
        Assert.Contains((2, "policy_decision"), kinds);
    }

    [Fact]
    public async Task Replay_ApprovalsAnsweredWhileSuspended_AnswersThemAgainAndMatches()
    {
        using var rein = new ReinProcess();
        rein.Environment["REIN_MODE"] = "ask";
        File.WriteAllText(Path.Combine(rein.Workspace, "input.txt"), "hello\n");
        var run = await RunWriteAndReadAsync(rein);
        Assert.True(run.ExitCode == 6, run.ToString());
        var sessionId = run.JsonLines()[^1].GetProperty("session_id").GetString()!;
        Assert.Equal(6, (await rein.RunAsync("approvals", "approve", "call_1_1", "--resume")).ExitCode);
        var last = await rein.RunAsync("approvals", "deny", "call_2_1", "--reason", "not today", "--resume");
        Assert.True(last.ExitCode == 0, last.ToString());

        var replay = await rein.RunAsync("replay", sessionId, "--json");

        Assert.True(replay.ExitCode == 0, replay.ToString());
        Assert.True(Single(replay).GetProperty("passed").GetBoolean());
    }

    [Fact]
    public async Task Import_ExistingOrCorruptFile_RefusesAndLosesNothing()
    {
        var sessionId = recordings.SessionId;
        var file = recordings.Archive;
        var before = await _rein.RunAsync("sessions", "show", sessionId, "--json");

        var again = await _rein.RunAsync("sessions", "import", file);
        Assert.True(again.ExitCode != 0, again.ToString());
        Assert.Contains("already exists", again.Stderr, StringComparison.Ordinal);
        Assert.Equal(before.Stdout, (await _rein.RunAsync("sessions", "show", sessionId, "--json")).Stdout);

        var corrupt = _rein.WriteFile("corrupt.rein.json", File.ReadAllText(file)[..200]);
        var fresh = Fresh("rein.db");
        var broken = await _rein.RunAsync("sessions", "import", corrupt, "--store", fresh);
        Assert.True(broken.ExitCode == 2, broken.ToString());
        Assert.Contains("corrupt.rein.json", broken.Stderr, StringComparison.Ordinal);

        var newer = _rein.WriteFile("newer.rein.json", File.ReadAllText(file).Replace("\"version\": 1", "\"version\": 2", StringComparison.Ordinal));
        var unsupported = await _rein.RunAsync("sessions", "import", newer, "--store", fresh);
        Assert.True(unsupported.ExitCode == 2, unsupported.ToString());
        Assert.Contains("version 2 is not supported", unsupported.Stderr, StringComparison.Ordinal);
        Assert.Empty((await _rein.RunAsync("sessions", "list", "--json", "--store", fresh)).JsonLines());
    }

    [Fact]
    public async Task Check_MissingOrEmptyFolder_IsAUsageError()
    {
        var missing = await _rein.RunAsync("replay", "--check", Fresh("nope"));
        var suite = Fresh("empty-suite");
        Directory.CreateDirectory(suite);
        var empty = await _rein.RunAsync("replay", "--check", suite);
        var neither = await _rein.RunAsync("replay");

        Assert.Equal((2, 2, 2), (missing.ExitCode, empty.ExitCode, neither.ExitCode));
        Assert.Contains("does not exist", missing.Stderr, StringComparison.Ordinal);
        Assert.Contains("no session files", empty.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_ToStandardOutput_WritesTheSessionFile()
    {
        var sessionId = recordings.SessionId;

        var export = await _rein.RunAsync("sessions", "export", sessionId, "-o", "-");

        Assert.True(export.ExitCode == 0, export.ToString());
        using var document = JsonDocument.Parse(export.Stdout);
        Assert.Equal("rein-session", document.RootElement.GetProperty("format").GetString());
        Assert.Equal(sessionId, document.RootElement.GetProperty("session_id").GetString());
        var input = document.RootElement.GetProperty("workspace").GetProperty("files").EnumerateArray().Single(f => f.GetProperty("path").GetString() == "input.txt");
        Assert.Equal("hello from the starting workspace\n", System.Text.Encoding.UTF8.GetString(input.GetProperty("content_base64").GetBytesFromBase64()));
    }
}
