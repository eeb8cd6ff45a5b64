using Rein.Cli.Commands;

namespace Rein.Cli.Tests;

/// <summary>Options that are not known never become part of a prompt; Claude Code's <c>-p</c> works.</summary>
[Trait("Category", "e2e")]
public sealed class CommandLineTests : IDisposable
{
    private readonly ReinProcess _rein = new();

    public void Dispose() => _rein.Dispose();

    private string Script(string json) => _rein.WriteFile("turns.json", json);

    [Theory]
    [InlineData("--max-step", "1", "do it")]
    [InlineData("do it", "--max-step=1")]
    [InlineData("-x", "do it")]
    public async Task Run_UnknownOptionBeforePrompt_ExitsTwoNamingItAndStartsNoSession(params string[] words)
    {
        var script = Script("""{"turns":[{"text":"done"}]}""");

        var result = await _rein.RunAsync(["run", "--model", $"scripted:{script}", .. words]);

        Assert.True(result.ExitCode == 2, result.ToString());
        var option = words.First(w => w.StartsWith('-')).Split('=')[0];
        Assert.Contains($"Unknown option '{option}'", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("'--'", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_rein.StorePath) && (await _rein.RunAsync("sessions", "list", "--json")).JsonLines().Count > 0, "no session was started");
    }

    [Fact]
    public async Task Run_MisspeltOption_NamesTheClosestKnownOne()
    {
        var result = await _rein.RunAsync("run", "--model", "scripted:none.json", "--max-step", "1", "do it");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Did you mean --max-steps?", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_PromptThatStartsWithDashAfterDoubleDash_IsThePrompt()
    {
        var script = Script("""{"turns":[{"text":"done"}]}""");

        var result = await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "--", "-x is a flag", "of ls");

        Assert.True(result.ExitCode == 0, result.ToString());
        var message = Assert.Single(result.JsonLines(), l => l.GetProperty("type").GetString() == "user_message");
        Assert.Equal("-x is a flag of ls", message.GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("-p")]
    [InlineData("--print")]
    public async Task Print_AsClaudeCodeUsersTypeIt_RunsTheTask(string flag)
    {
        var script = Script("""{"turns":[{"text":"the answer"}]}""");

        var atRoot = await _rein.RunAsync(flag, "--model", $"scripted:{script}", "hi");
        var onRun = await _rein.RunAsync("run", flag, "--model", $"scripted:{script}", "hi");

        Assert.True(atRoot.ExitCode == 0, atRoot.ToString());
        Assert.Contains("the answer", atRoot.Stdout, StringComparison.Ordinal);
        Assert.True(onRun.ExitCode == 0, onRun.ToString());
        Assert.Contains("the answer", onRun.Stdout, StringComparison.Ordinal);
        var sessions = (await _rein.RunAsync("sessions", "list", "--json")).JsonLines();
        Assert.Equal(2, sessions.Count);
    }

    [Fact]
    public async Task Resume_UnknownOptionInMessage_ExitsTwo()
    {
        var result = await _rein.RunAsync("sessions", "resume", "0123", "--bogus", "continue");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Unknown option '--bogus'", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--max-step", "--max-steps")]
    [InlineData("--modell", "--model")]
    [InlineData("--workspac", "--workspace")]
    [InlineData("--zzzzzzzzzz", null)]
    public void Closest_Misspelling_NamesTheMeantOptionOrNothing(string given, string? expected)
    {
        var command = new System.CommandLine.Command("run");
        CommonOptions.AddRunOptions(command);

        Assert.Equal(expected, FreeText.Closest(given, command));
    }

    [Fact]
    public async Task Help_TopLevelAndCommands_OneLineSummariesAndNoDoubledDefaults()
    {
        var top = await _rein.RunAsync("--help");
        var commands = top.Stdout.ReplaceLineEndings("\n").Split("Commands:\n")[1].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var helps = new[] { top, await _rein.RunAsync("cost", "--help"), await _rein.RunAsync("eval", "--help"), await _rein.RunAsync("sessions", "list", "--help") };

        Assert.True(commands.Length >= 17, top.Stdout);
        Assert.All(commands, line => Assert.Matches(@"^  [a-z]+( <[a-z-]+>)* +\S.{0,100}$", line));
        Assert.Contains(helps[1].Stdout.Split('\n'), l => l.Contains("--by", StringComparison.Ordinal) && l.Contains("[default: day]", StringComparison.Ordinal));
        foreach (var help in helps)
        {
            Assert.True(help.ExitCode == 0, help.ToString());
            Assert.DoesNotContain(help.Stdout.Split('\n'), l => l.Contains("[default:", StringComparison.Ordinal) && l[..l.IndexOf("[default:", StringComparison.Ordinal)].Contains("default", StringComparison.OrdinalIgnoreCase));
        }
    }
}
