using System.Text.Json;

namespace Rein.Cli.Tests;

/// <summary>
/// Class 6: budgets with sub-agents. A parent delegates four tasks in one turn; each child's scripted model spends all it is
/// allowed to. Whatever the children do, parent and children together stay within the parent's limits, counted from the journal.
/// </summary>
[Trait("Category", "e2e")]
public sealed class TrustBoundaryBudgetsTests
{
    private const string Class6Task = """{"name":"task","arguments":{"description":"spend","prompt":"Read notes.txt again and again.","agent":"spender"}}""";

    /// <summary>
    /// Writes user settings, the <c>spender</c> profile (in the user's agents folder) whose scripted model reads a file forty times,
    /// each turn reporting <paramref name="usage"/>, and the parent's script: four <c>task</c> calls in one turn, then a final answer.
    /// </summary>
    /// <returns>The parent's script.</returns>
    private static string Class6Scripts(ReinProcess rein, string settings, string usage)
    {
        var config = Path.Combine(rein.Home, "config", "rein");
        Directory.CreateDirectory(Path.Combine(config, "agents"));
        File.WriteAllText(Path.Combine(config, "settings.json"), settings);
        File.WriteAllText(Path.Combine(rein.Workspace, "notes.txt"), "one line\n");
        var turn = """{"tool_calls":[{"name":"read_file","arguments":{"path":"notes.txt"}}]""" + usage + "}";
        var child = rein.WriteFile("child.json", """{"turns":[""" + string.Join(",", Enumerable.Repeat(turn, 40)) + "]}");
        File.WriteAllText(Path.Combine(config, "agents", "spender.md"), $"---\nname: spender\ndescription: Spends.\nmodel: \"scripted:{child}\"\n---\nDo the work.\n");
        var tasks = string.Join(",", Enumerable.Repeat(Class6Task, 4));
        return rein.WriteFile("parent.json", """{"turns":[{"tool_calls":[""" + tasks + "]" + usage + "},{\"text\":\"done\"" + usage + "}]}");
    }

    /// <summary>Every session's journal, as <c>rein sessions show --json</c> prints it.</summary>
    private static async Task<List<(string Id, string? Parent, List<JsonElement> Events)>> Class6JournalsAsync(ReinProcess rein)
    {
        var list = await rein.RunAsync("sessions", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        var journals = new List<(string, string?, List<JsonElement>)>();
        foreach (var line in list.JsonLines())
        {
            var id = line.GetProperty("id").GetString()!;
            var show = await rein.RunAsync("sessions", "show", id, "--json");
            Assert.True(show.ExitCode == 0, show.ToString());
            journals.Add((id, line.TryGetProperty("parent_session_id", out var p) ? p.GetString() : null, [.. show.JsonLines()]));
        }

        return journals;
    }

    private static IEnumerable<JsonElement> Class6Events(IEnumerable<JsonElement> events, string type) =>
        events.Where(e => e.GetProperty("type").GetString() == type);

    [Fact]
    public async Task Class6_FourParallelSubAgents_TogetherNeverSpendMoreThanTheParentsCostLimit()
    {
        using var rein = new ReinProcess();
        // $10 per million tokens: each turn (500 in, 4,000 out) costs $0.045, within the guard's estimate of a call
        // (the request's size plus a 4,096-token output cap). Each child alone could spend far more than the parent's $1.
        var parent = Class6Scripts(rein, """{"prices": {"scripted:*": {"input": 10, "output": 10}}}""", ""","usage":{"input_tokens":500,"output_tokens":4000}""");

        var run = await rein.RunAsync("run", "--json", "--max-cost", "1", "--model", $"scripted:{parent}", "spend");

        Assert.True(run.ExitCode is 0 or 4, run.ToString());
        var cost = await rein.RunAsync("cost", "--json", "--by", "session");
        Assert.True(cost.ExitCode == 0, cost.ToString());
        var total = JsonDocument.Parse(cost.Stdout).RootElement.GetProperty("total");
        var spent = total.GetProperty("cost_usd").GetDecimal();
        Assert.True(spent <= 1.00m, $"parent and children spent ${spent} under a $1.00 limit\n{cost.Stdout}");
        // The children did spend: the limit held because their shares were reserved, not because nothing ran.
        Assert.True(spent > 0.50m, $"only ${spent} was spent\n{cost.Stdout}");

        var journals = await Class6JournalsAsync(rein);
        var top = Assert.Single(journals, j => j.Parent is null);
        var children = journals.Where(j => j.Parent == top.Id).ToList();
        Assert.Equal(4, children.Count);
        Assert.Contains(children, c => Class6Events(c.Events, "session_ended").Last().GetProperty("reason").GetString() == "budget_exceeded");
        // The parent's own accounting (its calls plus what each child reported) is what the journals hold.
        var counted = Class6Events(top.Events, "model_called").Sum(e => e.GetProperty("cost_usd").GetDecimal())
            + Class6Events(top.Events, "subagent_finished").Sum(e => e.GetProperty("cost_usd").GetDecimal());
        Assert.Equal(spent, counted);
        var results = Class6Events(top.Events, "tool_completed").Select(e => e.GetProperty("result").GetString()!).ToList();
        Assert.Contains(results, r => r.Contains("budget_exceeded", StringComparison.Ordinal) && r.Contains("sub-agent's share of the cost budget", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Class6_FourParallelSubAgents_TheirStepsAndToolCallsCountTowardTheParentsLimits()
    {
        using var rein = new ReinProcess();
        var parent = Class6Scripts(rein, """{"budgets": {"session": {"max_steps": 10, "max_tool_calls": 12}}}""", "");

        var run = await rein.RunAsync("run", "--json", "--model", $"scripted:{parent}", "spend");

        Assert.True(run.ExitCode is 0 or 4, run.ToString());
        var journals = await Class6JournalsAsync(rein);
        Assert.Equal(5, journals.Count);
        var steps = journals.Sum(j => Class6Events(j.Events, "model_called").Count());
        var toolsRun = journals.Sum(j => Class6Events(j.Events, "tool_started").Count());
        Assert.True(steps <= 10, $"{steps} model calls under max_steps 10");
        Assert.True(toolsRun <= 12, $"{toolsRun} tool calls ran under max_tool_calls 12");
        // Without the children's steps the parent would have room for far more; the children did run.
        Assert.True(steps > 4, $"only {steps} model calls were made");
        var top = Assert.Single(journals, j => j.Parent is null);
        Assert.Equal(4, Class6Events(top.Events, "subagent_finished").Count());
    }
}
