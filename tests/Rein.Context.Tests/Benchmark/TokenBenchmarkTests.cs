using System.Text.Json;
using Rein.Context.Benchmark;
using Rein.Context.Tokens;
using Rein.Testing;

namespace Rein.Context.Tests.Benchmark;

public sealed class TokenBenchmarkTests
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    /// <summary>A trajectory like the recorded ones: reads, re-reads, an edit, a repeated test run, many noisy commands.</summary>
    private static object Synthetic()
    {
        var file = Enumerable.Range(1, 60).Select(i => $"def f{i}(x):  # helper number {i}").ToList();
        var edited = new List<string>(file) { [30] = "def f31(x):  # FIXED" };
        string Cat(IEnumerable<string> lines) => $"<returncode>0</returncode><output>{string.Join('\n', lines)}\n</output>";
        var steps = new List<object>
        {
            new { assistant = "Look at the module.", tool = "read_file", args = new { path = "m.py", start_line = 1, end_line = (int?)null, raw = "cat m.py" }, observation = Cat(file), file_view = new { path = "m.py", start_line = 1, lines = file } },
        };
        for (var i = 0; i < 90; i++)
        {
            var output = string.Join('\n', Enumerable.Range(0, 60).Select(k => $"step {i} log line {k} with some detail"));
            steps.Add(new { assistant = $"Run check {i}.", tool = "shell", args = new { command = $"python check.py {i}" }, observation = $"<returncode>0</returncode><output>{output}</output>" });
            if (i == 10)
            {
                steps.Add(new { assistant = "Read it again.", tool = "read_file", args = new { path = "m.py", start_line = 1, end_line = (int?)null, raw = "cat m.py" }, observation = Cat(file), file_view = new { path = "m.py", start_line = 1, lines = file } });
                steps.Add(new { assistant = "Fix it.", tool = "edit_file", args = new { path = "m.py", raw = "sed -i 's/# helper number 31/# FIXED/' m.py" }, observation = "<returncode>0</returncode><output></output>" });
                steps.Add(new { assistant = "Check the fix.", tool = "read_file", args = new { path = "m.py", start_line = 1, end_line = (int?)null, raw = "cat m.py" }, observation = Cat(edited), file_view = new { path = "m.py", start_line = 1, lines = edited } });
            }
        }

        var failing = string.Join('\n', Enumerable.Range(0, 20).Select(k => $"FAILED test_{k} - AssertionError"));
        steps.Add(new { assistant = "Test.", tool = "shell", args = new { command = "pytest" }, observation = failing });
        steps.Add(new { assistant = "Test again.", tool = "shell", args = new { command = "pytest" }, observation = failing });
        return new { format = "rein-trajectory/1", id = "synthetic", system = "You are an agent.", task = "Fix f31.", steps };
    }

    [Fact]
    public async Task Run_SyntheticTrajectory_SavesTokensWithoutViolations()
    {
        using var folder = new TempDirectory();
        await File.WriteAllTextAsync(folder.Combine("synthetic.json"), JsonSerializer.Serialize(Synthetic()), _ct);

        var report = TokenBenchmark.Run(Trajectory.LoadFolder(folder.Path), new QuarterCounter(), new ContextOptions());

        Assert.Equal(0, report.Violations);
        Assert.True(report.TokensRein < report.TokensNaive);
        Assert.True(report.SavingShares[ContextSaving.CodeMemory] > 0, "the re-reads and the repeated test run should be references or diffs");
        Assert.True(report.SavingShares[ContextSaving.Masking] > 0, "a 94-step trajectory with large outputs should mask");
        Assert.True(report.CostRatioAnthropic < 1.0, $"Anthropic cost ratio {report.CostRatioAnthropic:0.000}");
        Assert.True(report.CostRatioOpenAI < 1.0, $"OpenAI cost ratio {report.CostRatioOpenAI:0.000}");
    }

    [Fact]
    public void Load_NotATrajectory_IsAFormatError()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.Combine("x.json"), """{"format":"other"}""");

        var error = Assert.Throws<FormatException>(() => Trajectory.LoadFolder(folder.Path));
        Assert.Contains("rein-trajectory/1", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The recorded trajectories, when this checkout sits beside the shared data (<c>../shared/data/trajectories</c>).</summary>
    [Fact]
    public void Run_RecordedTrajectories_MeetTheTargets()
    {
        var folder = FindTrajectories();
        if (folder is null)
        {
            // Not beside the shared data: the synthetic test above covers the mechanics.
            Assert.Null(Environment.GetEnvironmentVariable("REIN_TRAJECTORIES"));
            return;
        }

        var report = TokenBenchmark.Run(Trajectory.LoadFolder(folder), TokenCounters.ForModel("openai:gpt-5"), new ContextOptions());

        Assert.Equal(0, report.Violations);
        Assert.True(report.ReductionPercent >= 35, $"reduction {report.ReductionPercent:0.0}%");
        Assert.True(report.CostRatioAnthropic <= 1.0, $"Anthropic cost ratio {report.CostRatioAnthropic:0.000}");
        Assert.True(report.CostRatioOpenAI <= 1.0, $"OpenAI cost ratio {report.CostRatioOpenAI:0.000}");
    }

    private static string? FindTrajectories()
    {
        if (Environment.GetEnvironmentVariable("REIN_TRAJECTORIES") is { Length: > 0 } configured)
        {
            return configured;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "trajectories");
            if (File.Exists(Path.Combine(candidate, "README.md")))
            {
                return candidate;
            }
        }

        return null;
    }
}
