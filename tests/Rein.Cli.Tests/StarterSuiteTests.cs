namespace Rein.Cli.Tests;

/// <summary>The starter suite in <c>evals/starter</c>, run through the real <c>rein eval</c> with each task's scripted solution.</summary>
[Trait("Category", "e2e")]
public sealed class StarterSuiteTests : IDisposable
{
    private static readonly string[] Kinds = ["fix-test", "implement", "refactor", "bug-from-log", "config"];

    private readonly ReinProcess _rein = new();

    public StarterSuiteTests()
    {
        // The rein process gets a throw-away HOME; rustup finds its toolchains from HOME unless told where they are.
        var home = System.Environment.GetEnvironmentVariable("HOME");
        foreach (var (variable, folder) in new[] { ("RUSTUP_HOME", ".rustup"), ("CARGO_HOME", ".cargo") })
        {
            if (home is not null && System.Environment.GetEnvironmentVariable(variable) is null && Directory.Exists(Path.Join(home, folder)))
            {
                _rein.Environment[variable] = Path.Join(home, folder);
            }
        }
    }

    public void Dispose() => _rein.Dispose();

    private static string Suite => SourceTree.Combine("evals", "starter");

    // Sixteen tasks that compile C, Java and Rust twice each: minutes on a busy 2-core machine, so a wider safety net
    // than a single rein command's.
    private const int SuiteTimeoutSeconds = 600;

    private async Task<ReinProcess.Result> EvalAsync(params string[] args)
    {
        using var process = _rein.Start(["eval", Suite, .. args]);
        return await ReinProcess.CollectAsync(process, SuiteTimeoutSeconds);
    }

    [Fact]
    public async Task Eval_StarterSuiteWithScriptedSolutions_EveryTaskPasses()
    {
        var result = await EvalAsync("--model", "scripted", "--parallel", "2", "--out", Path.Combine(_rein.Home, "run"), "--json");

        var summary = Assert.Single(result.JsonLines());
        var tasks = summary.GetProperty("tasks").EnumerateArray().ToList();
        var failures = tasks.Where(t => !t.GetProperty("passed").GetBoolean())
            .Select(t => $"{t.GetProperty("name").GetString()}: {t.GetProperty("results")[0].GetProperty("failure_reason")}");
        Assert.True(result.ExitCode == 0, string.Join('\n', failures) + "\n" + result);
        Assert.True(summary.GetProperty("total").GetInt32() >= 15, summary.ToString());
        Assert.Equal(summary.GetProperty("total").GetInt32(), summary.GetProperty("passed").GetInt32());
        Assert.Equal(0, summary.GetProperty("failed").GetInt32());
        Assert.Equal(1.0, summary.GetProperty("pass_at_1").GetDouble());

        // Several languages and every kind of task the suite promises.
        var tags = tasks.SelectMany(t => t.GetProperty("tags").EnumerateArray().Select(x => x.GetString()!)).ToHashSet(StringComparer.Ordinal);
        Assert.All(Kinds, kind => Assert.Contains(kind, tags));
        Assert.True(new[] { "python", "javascript", "c", "rust", "java", "bash" }.Count(tags.Contains) >= 5, string.Join(", ", tags));
        Assert.All(tasks, t => Assert.True(t.GetProperty("results")[0].GetProperty("steps").GetInt32() >= 2, t.ToString()));
    }

    [Fact]
    public async Task Eval_StarterSuiteWithAModelThatChangesNothing_EveryGraderFails()
    {
        var idle = _rein.WriteFile("idle.json", """{"turns":[{"text":"Nothing to change."}]}""");

        var result = await EvalAsync("--model", $"scripted:{idle}", "--parallel", "2", "--out", Path.Combine(_rein.Home, "idle-run"), "--json");

        Assert.True(result.ExitCode == 7, result.ToString());
        var summary = Assert.Single(result.JsonLines());
        Assert.Equal(0, summary.GetProperty("passed").GetInt32());
        Assert.Equal(summary.GetProperty("total").GetInt32(), summary.GetProperty("failed").GetInt32());
        Assert.All(
            summary.GetProperty("tasks").EnumerateArray(),
            t => Assert.StartsWith("grader command", t.GetProperty("results")[0].GetProperty("failure_reason").GetString(), StringComparison.Ordinal));
    }
}
