namespace Rein.Cli.Tests;

/// <summary>The context layer through the real <c>rein</c> process: <c>/compact</c>, context sizes and read_output.</summary>
[Trait("Category", "e2e")]
public sealed class ContextEndToEndTests : IDisposable
{
    private readonly ReinProcess _rein = new();

    public void Dispose() => _rein.Dispose();

    [Fact]
    public async Task Chat_Compact_JournalsTheCompactionKeepsTheRequestVerbatimAndTheChatGoesOn()
    {
        _rein.WriteFile("ws/notes.txt", "remember the milk\n");
        var script = _rein.WriteFile("turns.json", """
            {"turns":[
              {"tool_calls":[{"name":"read_file","arguments":{"path":"notes.txt"}}]},
              {"text":"first done"},
              {"text":"second answer"},
              {"text":"third answer"}]}
            """);

        var result = await _rein.RunWithInputAsync("please read my notes\nsecond\n/compact\nthird\n/exit\n", "chat", "--model", $"scripted:{script}");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Compacted steps 1-1", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("third answer", result.Stdout, StringComparison.Ordinal);
        var session = Assert.Single((await _rein.RunAsync("sessions", "list", "--json")).JsonLines()).GetProperty("id").GetString()!;
        var events = (await _rein.RunAsync("sessions", "show", session, "--json")).JsonLines();
        var compacted = Assert.Single(events, e => e.GetProperty("type").GetString() == "context_compacted");
        Assert.Equal("manual", compacted.GetProperty("trigger").GetString());
        Assert.Contains("please read my notes", compacted.GetProperty("summary").GetString(), StringComparison.Ordinal);

        // The journal keeps what was replaced.
        Assert.Contains(events, e => e.GetProperty("type").GetString() == "tool_completed" && e.GetProperty("result").GetString()!.Contains("remember the milk", StringComparison.Ordinal));
        Assert.All(events.Where(e => e.GetProperty("type").GetString() == "model_called"), e => Assert.True(e.GetProperty("context_tokens").GetInt64() > 0));
    }

    [Fact]
    public async Task Run_LargeOutput_IsCutForTheModelKeptWholeInTheJournalAndReadBackWithReadOutput()
    {
        var lines = string.Join('\n', Enumerable.Range(1, 3_000).Select(i => $"log line {i}"));
        _rein.WriteFile("ws/big.log", lines + "\n");
        var script = _rein.WriteFile("turns.json", """
            {"turns":[
              {"tool_calls":[{"name":"shell","arguments":{"command":"cat big.log"}}]},
              {"tool_calls":[{"name":"read_output","arguments":{"step":1,"start_line":1500,"max_lines":3}}]},
              {"text":"done"}]}
            """);

        var result = await _rein.RunAsync("run", "--json", "--sandbox", "none", "--model", $"scripted:{script}", "look at the log");

        Assert.True(result.ExitCode == 0, result.ToString());
        var session = Assert.Single((await _rein.RunAsync("sessions", "list", "--json")).JsonLines()).GetProperty("id").GetString()!;
        var completed = (await _rein.RunAsync("sessions", "show", session, "--json")).JsonLines()
            .Where(e => e.GetProperty("type").GetString() == "tool_completed").ToList();
        Assert.Contains("log line 1500\n", completed[0].GetProperty("result").GetString(), StringComparison.Ordinal);
        Assert.Contains("log line 3000", completed[0].GetProperty("result").GetString(), StringComparison.Ordinal);
        var page = completed[1].GetProperty("result").GetString()!;
        Assert.Contains("log line 1500\nlog line 1501\nlog line 1502\n", page, StringComparison.Ordinal);
        Assert.Contains("continue with start_line=1503", page, StringComparison.Ordinal);
    }
}
