using System.Text;
using System.Text.Json;

namespace Rein.Cli.Tests;

[Trait("Category", "e2e")]
public sealed partial class TrustBoundaryTests
{
    [Fact]
    public async Task Class8_TerminalInjection_NoRawEscapeOrBellPrintedWhileJournalKeepsThem()
    {
        using var rein = new ReinProcess();
        const string Attack = "\u001b]0;pwned\u0007 \u001b[2J \u001b]52;c;cHduZWQ=\u0007";
        File.WriteAllText(Path.Combine(rein.Workspace, "evil.txt"), Attack + " read me\n", new UTF8Encoding(false));
        // The model's text and a command's output both carry a title change, a screen clear and a clipboard write.
        var script = rein.WriteFile("turns.json", """
            {"turns":[
              {"text":"looking \u001b]0;pwned\u0007 \u001b[2J now\n","tool_calls":[
                {"name":"shell","arguments":{"command":"printf '\\033]0;pwned\\007 \\033[2J \\033]52;c;cHduZWQ=\\007\\n'"}},
                {"name":"read_file","arguments":{"path":"evil.txt"}}]},
              {"text":"done \u001b]52;c;cHduZWQ=\u0007"}]}
            """);

        var run = await rein.RunAsync("run", "--model", $"scripted:{script}", "--workspace", rein.Workspace, "go");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("␛]0;pwned␇", run.Stdout, StringComparison.Ordinal);
        AssertNoControls(run.Stdout + run.Stderr, "rein run");
        var id = (await rein.RunAsync("sessions", "list", "--json")).JsonLines()[0].GetProperty("id").GetString()!;
        foreach (var command in new[] { new[] { "sessions", "show", id }, ["trace", id] })
        {
            var shown = await rein.RunAsync(command);
            Assert.True(shown.ExitCode == 0, shown.ToString());
            AssertNoControls(shown.Stdout + shown.Stderr, string.Join(' ', command));
        }

        Assert.Contains("␛]52;c;cHduZWQ=␇", (await rein.RunAsync("sessions", "show", id)).Stdout, StringComparison.Ordinal);

        // The journal keeps the bytes as they were: JSON output escapes them, and they read back unchanged.
        var json = await rein.RunAsync("sessions", "show", id, "--json");
        AssertNoControls(json.Stdout, "sessions show --json");
        var events = json.JsonLines();
        Assert.Contains(events, e => e.GetProperty("type").GetString() == "model_called" && e.GetProperty("text").GetString()!.Contains("\u001b]0;pwned\u0007", StringComparison.Ordinal));
        Assert.Equal(2, events.Count(e => e.GetProperty("type").GetString() == "tool_completed" && e.GetProperty("result").GetString()!.Contains(Attack, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Class9_SecretAtCutBoundaryAndInFile_NoFragmentInJournalOrDiff()
    {
        using var rein = new ReinProcess();
        const string Secret = "zq7Rk2Lm9Xv4Tp8Wn3Yc6Hb1Jd5Gf0Sa";
        var set = await rein.RunWithInputAsync(Secret + "\n", "secrets", "set", "DEPLOY_KEY");
        Assert.True(set.ExitCode == 0, set.ToString());
        // The shell keeps 400,000 characters of head: the secret starts 10 characters before the cut. It is also
        // written to a file, which the checkpoints then hold.
        var script = rein.WriteFile("turns.json", """
            {"turns":[
              {"tool_calls":[{"name":"shell","arguments":{"secrets":["DEPLOY_KEY"],
                "command":"head -c 399990 /dev/zero | tr '\\0' a; printf %s \"$DEPLOY_KEY\"; head -c 700000 /dev/zero | tr '\\0' b; printf %s \"$DEPLOY_KEY\" > notes.txt"}}]},
              {"text":"done"}]}
            """);

        var run = await rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "--workspace", rein.Workspace, "go");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(Secret, File.ReadAllText(Path.Combine(rein.Workspace, "notes.txt")));
        var completed = run.JsonLines().Single(l => l.GetProperty("type").GetString() == "tool_completed");
        Assert.Contains("characters of output omitted", completed.GetProperty("result").GetString(), StringComparison.Ordinal);
        var id = run.JsonLines()[^1].GetProperty("session_id").GetString()!;
        var prefix = Secret[..8];
        AssertAbsent(prefix, run.Stdout + run.Stderr, "the run's output");
        var show = await rein.RunAsync("sessions", "show", id, "--json");
        AssertAbsent(prefix, show.Stdout, "sessions show --json");
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(rein.StorePath)!, "rein.db*"))
        {
            AssertAbsent(prefix, Encoding.UTF8.GetString(File.ReadAllBytes(file)), file);
        }

        foreach (var args in new[] { new[] { "diff", id }, ["diff", id, "--json"] })
        {
            var diff = await rein.RunAsync(args);
            Assert.True(diff.ExitCode == 0, diff.ToString());
            Assert.Contains("notes.txt", diff.Stdout, StringComparison.Ordinal);
            Assert.Contains("[REDACTED:DEPLOY_KEY]", diff.Stdout, StringComparison.Ordinal);
            AssertAbsent(prefix, diff.Stdout + diff.Stderr, string.Join(' ', args));
        }
    }

    [Fact]
    public async Task Class11_LoneSurrogateInToolArguments_SessionCompletesAndResumes()
    {
        using var rein = new ReinProcess();
        // The escape stays in the script's JSON as a model would send it, so it reaches the loop unchanged.
        var script = rein.WriteFile("turns.json", """
            {"turns":[
              {"tool_calls":[{"name":"shell","arguments":{"command":"printf 'a\ud800b' > s.txt"}}]},
              {"text":"done \udc00"},
              {"text":"resumed"}]}
            """);

        var run = await rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "--workspace", rein.Workspace, "go");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("a\ufffdb", File.ReadAllText(Path.Combine(rein.Workspace, "s.txt")));
        var id = run.JsonLines()[^1].GetProperty("session_id").GetString()!;
        var resume = await rein.RunAsync("sessions", "resume", id, "--json");
        Assert.True(resume.ExitCode == 0, resume.ToString());
        Assert.Equal("resumed", resume.JsonLines()[^1].GetProperty("text").GetString());
        var show = await rein.RunAsync("sessions", "show", id, "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains(show.JsonLines(), e => e.GetProperty("type").GetString() == "tool_call_proposed"
            && e.GetProperty("arguments").GetProperty("command").GetString() == "printf 'a\ufffdb' > s.txt");
    }

    private static void AssertNoControls(string text, string where)
    {
        var index = text.IndexOfAny(['\u001b', '\u0007', '\u009b', '\u009d']);
        Assert.True(index < 0, $"{where} printed a raw control character at {index}: …{(index < 0 ? "" : JsonSerializer.Serialize(text[Math.Max(0, index - 40)..Math.Min(text.Length, index + 40)]))}…");
    }

    private static void AssertAbsent(string fragment, string text, string where) =>
        Assert.False(text.Contains(fragment, StringComparison.Ordinal), $"{where} shows a fragment of the secret");
}
