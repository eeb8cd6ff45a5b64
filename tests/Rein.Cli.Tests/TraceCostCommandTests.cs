namespace Rein.Cli.Tests;

[Trait("Category", "e2e")]
public sealed class TraceCostCommandTests : IDisposable
{
    private readonly ReinProcess _rein = new();

    public void Dispose() => _rein.Dispose();

    [Fact]
    public async Task TraceAndCost_AfterARun_ShowTheTreeAndTheSpend()
    {
        var script = _rein.WriteFile("turns.json", """
            {"turns":[
              {"tool_calls":[{"name":"write_file","arguments":{"path":"a.txt","content":"x"}}],"usage":{"input_tokens":1000,"output_tokens":20,"cached_input_tokens":600}},
              {"text":"done","usage":{"input_tokens":1200,"output_tokens":5}}]}
            """);
        var run = await _rein.RunAsync("run", "--model", $"scripted:{script}", "write a");
        Assert.True(run.ExitCode == 0, run.ToString());
        var session = Assert.Single((await _rein.RunAsync("sessions", "list", "--json")).JsonLines()).GetProperty("id").GetString()!;

        var trace = await _rein.RunAsync("trace", session, "--json");
        var text = await _rein.RunAsync("trace", session[..8]);
        var cost = await _rein.RunAsync("cost", "--by", "session", "--json");
        var byModel = await _rein.RunAsync("cost", "--by", "model", "--json");

        Assert.True(trace.ExitCode == 0, trace.ToString());
        var root = Assert.Single(trace.JsonLines());
        Assert.Equal("session", root.GetProperty("kind").GetString());
        Assert.Equal(2200, root.GetProperty("input_tokens").GetInt64());
        var turn = root.GetProperty("children").EnumerateArray().Single(c => c.GetProperty("kind").GetString() == "turn");
        var chat = turn.GetProperty("children")[0];
        Assert.Equal("chat", chat.GetProperty("kind").GetString());
        Assert.Equal("execute_tool write_file", chat.GetProperty("children")[0].GetProperty("name").GetString());
        Assert.Contains("execute_tool write_file", text.Stdout, StringComparison.Ordinal);
        Assert.True(cost.ExitCode == 0, cost.ToString());
        var report = Assert.Single(cost.JsonLines());
        Assert.Equal(session, report.GetProperty("rows")[0].GetProperty("key").GetString());
        Assert.Equal(2, report.GetProperty("total").GetProperty("model_calls").GetInt32());
        Assert.Equal(600, report.GetProperty("total").GetProperty("cached_input_tokens").GetInt64());
        // Named as rein sessions list names it, not as the provider reported it.
        Assert.Equal($"scripted:{script}", Assert.Single(byModel.JsonLines()).GetProperty("rows")[0].GetProperty("key").GetString());
        Assert.Contains($"chat scripted:{script}", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cost_BadSince_IsAUsageError()
    {
        var result = await _rein.RunAsync("cost", "--since", "yesterday-ish");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--since", result.Stderr, StringComparison.Ordinal);
    }
}
