using System.Text.Json;
using Microsoft.Extensions.Logging;
using Rein.Hosting.Configuration;

namespace Rein.Cli.Tests;

public sealed class LoggingTests
{
    [Theory]
    [InlineData(null, false, LogLevel.Warning)]
    [InlineData("", false, LogLevel.Warning)]
    [InlineData("Debug", false, LogLevel.Debug)]
    [InlineData(" trace ", false, LogLevel.Trace)]
    [InlineData("info", false, LogLevel.Information)]
    [InlineData("none", false, LogLevel.None)]
    [InlineData(null, true, LogLevel.Debug)]
    [InlineData("error", true, LogLevel.Debug)]
    [InlineData("trace", true, LogLevel.Trace)]
    public void Level_VariableAndVerbose_MoreDetailedWins(string? variable, bool verbose, LogLevel expected) =>
        Assert.Equal(expected, LogLevelSetting.Read(name => name == LogLevelSetting.Variable ? variable : null, verbose));

    [Fact]
    public void Level_UnknownName_SaysWhichVariableAndWhatItTakes()
    {
        var error = Assert.Throws<SettingsException>(() => LogLevelSetting.Read(_ => "loud", verbose: false));

        Assert.Contains("REIN_LOG_LEVEL", error.Message, StringComparison.Ordinal);
        Assert.Contains("'loud'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "e2e")]
    public async Task Run_DebugLevel_LogsOnStandardErrorOnly_AndAnUnknownLevelIsAUsageError()
    {
        using var rein = new ReinProcess();
        var script = rein.WriteFile("turns.json", JsonSerializer.Serialize(new
        {
            turns = new object[] { new { tool_calls = new[] { new { name = "shell", arguments = new { command = "echo hi > out.txt" } } } }, new { text = "done" } },
        }));

        var verbose = await rein.RunAsync("run", "--json", "--verbose", "--mode", "full-auto", "--model", $"scripted:{script}", "write a file");
        rein.Environment["REIN_LOG_LEVEL"] = "loud";
        var unknown = await rein.RunAsync("run", "--model", $"scripted:{script}", "write a file");

        Assert.True(verbose.ExitCode == 0, verbose.ToString());
        Assert.Contains("Checkpoint before shell", verbose.Stderr, StringComparison.Ordinal);
        Assert.Contains("dbug", verbose.Stderr, StringComparison.Ordinal);
        Assert.Equal("run_stopped", verbose.JsonLines()[^1].GetProperty("type").GetString());
        Assert.DoesNotContain("Checkpoint", verbose.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("REIN_LOG_LEVEL must be", unknown.Stderr, StringComparison.Ordinal);
    }
}
