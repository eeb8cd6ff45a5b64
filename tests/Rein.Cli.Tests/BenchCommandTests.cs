using System.Text.Json;

namespace Rein.Cli.Tests;

[Trait("Category", "e2e")]
public sealed class BenchCommandTests
{
    [Fact]
    public async Task BenchTokens_Json_PrintsOneObjectWithTheContractFields()
    {
        using var rein = new ReinProcess();
        var folder = Path.Combine(rein.Workspace, "trajectories");
        Directory.CreateDirectory(folder);
        var steps = Enumerable.Range(1, 30).Select(i => new
        {
            assistant = $"step {i}",
            tool = "shell",
            args = new { command = $"python run.py {i}" },
            observation = string.Join('\n', Enumerable.Range(0, 80).Select(k => $"run {i} line {k}")),
        });
        await File.WriteAllTextAsync(Path.Combine(folder, "t.json"),
            JsonSerializer.Serialize(new { format = "rein-trajectory/1", id = "t", system = "sys", task = "do it", steps }),
            TestContext.Current.CancellationToken);

        var result = await rein.RunAsync("bench", "tokens", "--trajectories", folder, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var report = Assert.Single(result.JsonLines());
        foreach (var field in (string[])["tokens_naive", "tokens_rein", "reduction_percent", "cost_ratio_anthropic", "cost_ratio_openai", "violations"])
        {
            Assert.True(report.TryGetProperty(field, out _), $"missing {field}");
        }

        Assert.Equal(0, report.GetProperty("violations").GetInt32());
        Assert.True(report.GetProperty("tokens_rein").GetInt64() < report.GetProperty("tokens_naive").GetInt64());
        Assert.Equal("o200k_base", report.GetProperty("encoding").GetString());
    }

    [Fact]
    public async Task BenchTokens_MissingFolder_IsAUsageError()
    {
        using var rein = new ReinProcess();

        var result = await rein.RunAsync("bench", "tokens", "--trajectories", Path.Combine(rein.Workspace, "nope"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no such folder", result.Stderr, StringComparison.Ordinal);
    }
}
