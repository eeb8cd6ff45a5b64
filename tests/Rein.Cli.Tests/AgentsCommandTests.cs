namespace Rein.Cli.Tests;

[Trait("Category", "e2e")]
public sealed class AgentsCommandTests : IDisposable
{
    private readonly ReinProcess _rein = new();

    public void Dispose() => _rein.Dispose();

    [Fact]
    public async Task Agents_NewListShowRun_ProfileIsCreatedListedAndUsed()
    {
        var script = _rein.WriteFile("turns.json", """{"turns":[{"text":"reviewed"}]}""");

        var created = await _rein.RunAsync("agents", "new", "reviewer", "--model", $"scripted:{script}");
        Assert.True(created.ExitCode == 0, created.ToString());
        var path = created.Stdout.Trim();
        Assert.Equal(Path.Combine(_rein.Workspace, ".rein", "agents", "reviewer.md"), path);
        Assert.Contains("name: reviewer", File.ReadAllText(path), StringComparison.Ordinal);

        var list = await _rein.RunAsync("agents", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Equal(["reviewer", "coder"], list.JsonLines().Select(l => l.GetProperty("name").GetString()));
        Assert.Equal("built-in", list.JsonLines()[1].GetProperty("source").GetString());

        var show = await _rein.RunAsync("agents", "show", "reviewer", "--json");
        Assert.Equal($"scripted:{script}", Assert.Single(show.JsonLines()).GetProperty("model").GetString());

        // The profile's model is used when no flag, variable or settings file names one.
        var run = await _rein.RunAsync("run", "--json", "--agent", "reviewer", "review");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("reviewer", run.JsonLines()[0].GetProperty("agent").GetString());
        Assert.Equal("reviewed", run.JsonLines()[^1].GetProperty("text").GetString());

        var again = await _rein.RunAsync("agents", "new", "reviewer");
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already exists", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agents_BuiltInCoder_RunsWithoutAnyFile()
    {
        var script = _rein.WriteFile("turns.json", """{"turns":[{"text":"ok"}]}""");

        var run = await _rein.RunAsync("run", "--json", "--agent", "coder", "--model", $"scripted:{script}", "hi");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("coder", run.JsonLines()[0].GetProperty("agent").GetString());
    }

    [Fact]
    public async Task AgentsList_BrokenProfile_IsShownWithItsErrorAndExitsTwo()
    {
        var agents = Path.Combine(_rein.Workspace, ".rein", "agents");
        Directory.CreateDirectory(agents);
        File.WriteAllText(Path.Combine(agents, "broken.md"), "no front matter here\n");

        var list = await _rein.RunAsync("agents", "list", "--json");

        Assert.Equal(2, list.ExitCode);
        var broken = Assert.Single(list.JsonLines(), l => l.GetProperty("name").GetString() == "broken");
        Assert.Contains("broken.md:1:", broken.GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
