using Rein.Testing.FakeProviders;

namespace Rein.Cli.Tests;

/// <summary>What a person or a script sees of a run: plain text without a terminal or with NO_COLOR, JSON lines with deltas.</summary>
[Trait("Category", "e2e")]
public sealed class OutputEndToEndTests : IDisposable
{
    private readonly ReinProcess _rein = new();
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    public OutputEndToEndTests()
    {
        // A terminal type that supports colour: escape sequences must still stay out of pipes, and out of NO_COLOR output.
        _rein.Environment["TERM"] = "xterm-256color";
        _rein.Environment["COLORTERM"] = "truecolor";
    }

    public void Dispose() => _rein.Dispose();

    [Fact]
    public async Task Run_TermSetNoColorOrPipes_NoEscapeSequenceAnywhereAndCallsLabelled()
    {
        var script = _rein.WriteFile("turns.json", """
            {"turns":[
              {"text":"Checking.","tool_calls":[
                {"name":"shell","arguments":{"command":"for i in $(seq 1 17); do echo line $i; done; exit 1"}},
                {"name":"shell","arguments":{"command":"echo fine"}}]},
              {"text":"Line 17 fails."}]}
            """);

        var plain = await _rein.RunAsync("run", "--model", $"scripted:{script}", "check");
        _rein.Environment["NO_COLOR"] = "1";
        var noColor = await _rein.RunAsync("run", "--model", $"scripted:{script}", "check");
        _rein.Environment.Remove("NO_COLOR");
        var session = (await _rein.RunAsync("sessions", "list", "--json")).JsonLines()[0].GetProperty("id").GetString()!;
        var others = new[]
        {
            await _rein.RunAsync("sessions", "list"),
            await _rein.RunAsync("sessions", "show", session),
            await _rein.RunAsync("cost", "--by", "model"),
            await _rein.RunAsync("trace", session),
        };

        foreach (var result in others.Prepend(noColor).Prepend(plain))
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.False(result.Stdout.Contains('\u001b', StringComparison.Ordinal) || result.Stderr.Contains('\u001b', StringComparison.Ordinal), result.ToString());
        }

        Assert.Contains("⎿ shell for i in $(seq 1 17); do echo line $i; d…: [exit code 1] (17 lines of output)", noColor.Stderr, StringComparison.Ordinal);
        Assert.Contains("⎿ shell echo fine: [exit code 0]", noColor.Stderr, StringComparison.Ordinal);
        Assert.Contains("    line 5\n    … 7 lines …\n    line 13\n", noColor.Stderr.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("· 2 steps · 2 tool calls ·", noColor.Stderr, StringComparison.Ordinal);
        Assert.Contains($"scripted:{script}", others[2].Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_JsonIncludeDeltas_StreamsTheTextBeforeItsModelCalledLine()
    {
        await using var server = await FakeOpenAIServer.StartAsync(_ct);
        server.Enqueue(FakeReply.Text("The answer is forty-two, as computed by the fake server."));

        var result = await _rein.RunAsync("run", "--json", "--include-deltas", "--model", "openai-compatible:local", "--base-url", server.BaseUrl, "answer");
        var withoutJson = await _rein.RunAsync("run", "--include-deltas", "--model", "openai-compatible:local", "--base-url", server.BaseUrl, "answer");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.JsonLines();
        var types = lines.Select(l => l.GetProperty("type").GetString()).ToList();
        var modelCalled = types.IndexOf("model_called");
        var deltas = lines.Take(modelCalled).Where(l => l.GetProperty("type").GetString() == "text_delta").ToList();
        Assert.True(deltas.Count > 1, result.Stdout);
        Assert.Equal("The answer is forty-two, as computed by the fake server.", string.Concat(deltas.Select(d => d.GetProperty("text").GetString())));
        Assert.All(deltas, d => Assert.Equal(lines[0].GetProperty("session_id").GetString(), d.GetProperty("session_id").GetString()));
        Assert.Equal("run_stopped", types[^1]);
        Assert.Equal(2, withoutJson.ExitCode);
        Assert.Contains("--include-deltas needs --json", withoutJson.Stderr, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }
}
