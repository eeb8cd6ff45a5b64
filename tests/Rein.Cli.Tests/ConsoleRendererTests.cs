using System.Text.Json;
using Rein.Cli.Rendering;
using Rein.Engine;
using Rein.Journal;

namespace Rein.Cli.Tests;

public sealed class ConsoleRendererTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();
    private readonly List<RecordedEvent> _journal = [];

    public void Dispose()
    {
        _out.Dispose();
        _err.Dispose();
    }

    private void Render(ConsoleRenderer renderer, params SessionEvent[] events)
    {
        foreach (var e in events)
        {
            var recorded = new RecordedEvent(_journal.Count + 1, At, e);
            _journal.Add(recorded);
            renderer.Render(new EventAppended(recorded));
        }
    }

    private static ModelCalled Step(int step, params ModelToolCall[] calls) =>
        new(step, "gpt-5.5", null, calls, calls.Length > 0 ? "tool_calls" : "stop", new TokenUsage(10, 2), 5);

    private static ModelToolCall Shell(string id, string command) =>
        new(id, "shell", JsonSerializer.SerializeToElement(new { command }));

    private static SessionEvent[] Proposed(params ModelToolCall[] calls) =>
        [.. calls.Select(c => (SessionEvent)new ToolCallProposed(c.Id, c.Name, c.Arguments))];

    [Fact]
    public void Render_NoColorOnATerminal_WritesNoEscapeSequence()
    {
        var call = Shell("c1", "make test");
        using (var renderer = new ConsoleRenderer(_out, _err, interactive: true, ansi: false))
        {
            renderer.Render(new ModelCallStarted(1));
            renderer.Render(new TextDelta("Running the tests."));
            Render(renderer, [new SessionStarted("s1", "/ws", "openai:gpt-5.5"), Step(1, call), .. Proposed(call)]);
            Render(renderer, new PolicyDecided("c1", "shell", PolicyDecisions.Deny, "denied by rule"), new ToolStarted("c1", "shell"));
            renderer.Render(new ToolProgress("c1", "compiling"));
            Render(renderer, new ToolCompleted("c1", "shell", ToolOutcome.Success, "error: x\n[exit code 2]"), new BudgetWarning("tokens", "session", 80, 100));
            renderer.Finish(SessionState.Fold(_journal), new RunStopped(StopReason.Completed, null));
        }

        Assert.DoesNotContain('\u001b', _err.ToString());
        Assert.DoesNotContain('\u001b', _out.ToString());
        Assert.Contains("⎿ [exit code 2]", _err.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Tick_SpinnerWithoutAnsi_DrawsWithCarriageReturnsOnly()
    {
        var output = new StringWriter();
        using (var spinner = new Spinner(output, enabled: true, ansi: false))
        {
            spinner.Start("Thinking…");
            spinner.Tick();
            spinner.Start("Running shell…");
            spinner.Tick();
            spinner.Stop();
        }

        var text = output.ToString();
        Assert.Contains("Thinking…", text, StringComparison.Ordinal);
        Assert.Contains("Running shell…", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', text);
        Assert.EndsWith("\r", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_SpinnerNotOnATerminal_WritesNothing()
    {
        var output = new StringWriter();
        using (var spinner = new Spinner(output, enabled: false))
        {
            spinner.Start("Thinking…");
            spinner.Stop();
        }

        Assert.Empty(output.ToString());
    }

    [Fact]
    public void Render_SeveralCallsInOneStep_LabelsEachResultWithItsCall()
    {
        var (build, lint) = (Shell("c1", "make build"), Shell("c2", "make lint"));
        using var renderer = new ConsoleRenderer(_out, _err, interactive: false);

        Render(renderer, [Step(1, build, lint), .. Proposed(build, lint)]);
        Render(renderer,
            new ToolCompleted("c2", "shell", ToolOutcome.Success, "lint ok\n[exit code 0]"),
            new ToolCompleted("c1", "shell", ToolOutcome.Success, "built\n[exit code 0]"));

        var lines = _err.ToString().Split('\n');
        Assert.Contains(lines, l => l.Contains("⎿ shell make lint: [exit code 0]", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("⎿ shell make build: [exit code 0]", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_OneCallInAStep_ResultIsNotLabelled()
    {
        var test = Shell("c1", "make test");
        using var renderer = new ConsoleRenderer(_out, _err, interactive: false);

        Render(renderer, [Step(1, test), .. Proposed(test), new ToolCompleted("c1", "shell", ToolOutcome.Success, "ok\n[exit code 0]")]);

        Assert.Contains("  ⎿ [exit code 0] (2 lines)", _err.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Render_FailedShellCall_ShowsHeadAndTailOfItsOutput()
    {
        var output = string.Join('\n', Enumerable.Range(1, 17).Select(i => $"line {i}"));
        using var renderer = new ConsoleRenderer(_out, _err, interactive: false);

        Render(renderer, new ToolCompleted("c1", "shell", ToolOutcome.Success, $"{output}\n[exit code 1]"));

        var lines = _err.ToString().TrimEnd().Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.Equal(
            ["  ⎿ [exit code 1] (17 lines of output)", "    line 1", "    line 2", "    line 3", "    line 4", "    line 5", "    … 7 lines …",
             "    line 13", "    line 14", "    line 15", "    line 16", "    line 17"],
            lines);
    }

    [Fact]
    public void Render_FailedShellCallWithShortOutput_ShowsAllOfIt()
    {
        using var renderer = new ConsoleRenderer(_out, _err, interactive: false);

        Render(renderer, new ToolCompleted("c1", "shell", ToolOutcome.Success, "FAIL test_parse\nexpected 1, got 2\n[exit code 1]\n[network: the sandbox refused example.com:443 (not on the allow-list)]"));

        var text = _err.ToString();
        Assert.Contains("⎿ [exit code 1] (3 lines of output)", text, StringComparison.Ordinal);
        Assert.Contains("    FAIL test_parse\n    expected 1, got 2\n", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 1, "1 step · 1 tool call · 12 tokens")]
    [InlineData(2, 0, "2 steps · 0 tool calls · 24 tokens")]
    public void Finish_Counts_SingularAndPluralRight(int steps, int calls, string expected)
    {
        using var renderer = new ConsoleRenderer(_out, _err, interactive: false);
        _journal.Add(new RecordedEvent(1, At, new SessionStarted("s1", "/ws", "openai:gpt-5.5")));
        for (var step = 1; step <= steps; step++)
        {
            var call = step <= calls ? [Shell($"c{step}", "ls")] : Array.Empty<ModelToolCall>();
            _journal.Add(new RecordedEvent(_journal.Count + 1, At, Step(step, call)));
            foreach (var c in call)
            {
                _journal.Add(new RecordedEvent(_journal.Count + 1, At, new ToolCompleted(c.Id, c.Name, ToolOutcome.Success, "x")));
            }
        }

        renderer.Finish(SessionState.Fold(_journal), new RunStopped(StopReason.Completed, null));

        Assert.Contains(expected, _err.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void BeginPrompt_AnswerMidLine_EndsTheLineAndHoldsOtherOutputUntilAnswered()
    {
        var call = Shell("c1", "rm -rf build");
        using var renderer = new ConsoleRenderer(_out, _err, interactive: false);
        renderer.Render(new TextDelta("I will clean the build"));

        renderer.BeginPrompt();
        Render(renderer, new ApprovalRequested("c1", "shell", call.Arguments, "shell needs approval"), new ToolStarted("c1", "shell"),
            new ToolCompleted("c1", "shell", ToolOutcome.Success, "[exit code 0]"));
        var duringPrompt = _err.ToString();
        renderer.EndPrompt();

        Assert.Equal("I will clean the build\n", _out.ToString().ReplaceLineEndings("\n"));
        Assert.Empty(duringPrompt);
        Assert.Contains("⎿ [exit code 0]", _err.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("waiting for approval", _err.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "0 steps")]
    [InlineData(1, "1 step")]
    [InlineData(2, "2 steps")]
    [InlineData(1234, "1,234 steps")]
    public void Of_Count_PicksTheNounsNumber(long count, string expected) => Assert.Equal(expected, Plural.Of(count, "step"));

    [Fact]
    public void Of_IrregularPlural_UsesIt() => Assert.Equal("3 entries", Plural.Of(3, "entry", "entries"));
}
