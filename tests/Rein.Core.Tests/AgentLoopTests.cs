using System.Text.Json;
using Microsoft.Extensions.AI;
using Rein.Engine;
using Rein.Journal;
using Rein.Models;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Core.Tests;

public sealed class AgentLoopTests
{
    private readonly InMemorySessionStore _store = new();
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    private static ScriptedChatClient Script(string json) => new(ScriptedTurn.ParseScript(json));

    private async Task<SessionWriter> StartAsync(string id = "s1") =>
        await SessionWriter.StartAsync(_store, new SessionStarted(id, "/ws", "scripted:test"), _ct);

    private static async Task<List<AgentUpdate>> DrainAsync(IAsyncEnumerable<AgentUpdate> updates)
    {
        var list = new List<AgentUpdate>();
        await foreach (var u in updates)
        {
            list.Add(u);
        }

        return list;
    }

    private async Task<List<SessionEvent>> JournalAsync(string id = "s1") =>
        [.. (await _store.ReadAsync(id, 0, _ct)).Select(e => e.Event)];

    private static AgentLoop Loop(IChatClient client, AgentLoopOptions? options = null, params ITool[] tools) =>
        new(client, new ToolSet(tools), new AppendOnlyContextBuilder("You are a test agent."), options);

    [Fact]
    public async Task RunAsync_FinalAnswer_EndsCompletedAndStreamsText()
    {
        var session = await StartAsync();
        var updates = await DrainAsync(Loop(Script("""{"turns":[{"text":"All done, nothing to change here."}]}""")).RunAsync(session, "hi", _ct));

        Assert.Equal("All done, nothing to change here.", string.Concat(updates.OfType<TextDelta>().Select(t => t.Text)));
        Assert.True(updates.OfType<TextDelta>().Count() > 1, "text should stream in pieces");
        Assert.Equal(StopReason.Completed, Assert.IsType<RunStopped>(updates[^1]).Reason);
        Assert.Collection(await JournalAsync(),
            e => Assert.IsType<SessionStarted>(e),
            e => Assert.Equal("hi", Assert.IsType<UserMessage>(e).Text),
            e => Assert.Equal("All done, nothing to change here.", Assert.IsType<ModelCalled>(e).Text),
            e => Assert.Equal(StopReason.Completed, Assert.IsType<SessionEnded>(e).Reason));
    }

    [Fact]
    public async Task RunAsync_ToolCall_JournalsProposedStartedCompletedAndFeedsResultBack()
    {
        var echo = FakeTool.Echo();
        var seen = new List<IList<ChatMessage>>();
        var scripted = Script("""{"turns":[{"tool_calls":[{"name":"echo","arguments":{"text":"ping"}}]},{"text":"done"}]}""");
        using var spy = new SpyChatClient(scripted, seen);
        var session = await StartAsync();

        await DrainAsync(Loop(spy, null, echo).RunAsync(session, "go", _ct));

        var journal = await JournalAsync();
        Assert.Equal(
            ["session_started", "user_message", "model_called", "tool_call_proposed", "tool_started", "tool_completed", "model_called", "session_ended"],
            journal.Select(e => e.TypeName));
        var completed = journal.OfType<ToolCompleted>().Single();
        Assert.Equal(ToolOutcome.Success, completed.Outcome);
        Assert.Equal("echo: ping", completed.Result);
        var secondCall = seen[1];
        Assert.Equal(ChatRole.System, secondCall[0].Role);
        var result = secondCall.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single();
        Assert.Equal("echo: ping", result.Result);
        Assert.Equal(1, echo.Calls);
    }

    [Fact]
    public async Task RunAsync_ParallelReadOnlyToolCalls_RunConcurrently()
    {
        using var bothStarted = new CountdownEvent(2);
        var tool = new FakeTool("wait", async (inv, ct) =>
        {
            bothStarted.Signal();
            // Only completes if the other call runs at the same time.
            var ok = await Task.Run(() => bothStarted.Wait(TimeSpan.FromSeconds(20), ct), ct);
            return ok ? ToolResult.Ok("together") : ToolResult.Error("ran alone");
        }, readOnly: true);
        var session = await StartAsync();
        var script = Script("""{"turns":[{"tool_calls":[{"name":"wait","arguments":{"text":"a"}},{"name":"wait","arguments":{"text":"b"}}]},{"text":"done"}]}""");

        await DrainAsync(Loop(script, null, tool).RunAsync(session, "go", _ct));

        var results = (await JournalAsync()).OfType<ToolCompleted>().ToList();
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal("together", r.Result));
    }

    [Fact]
    public async Task RunAsync_ToolCallsThatMayWrite_RunOneAtATimeInTheModelsOrder()
    {
        var trace = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var write = new FakeTool("write", async (inv, ct) =>
        {
            var text = inv.Arguments.GetProperty("text").GetString();
            trace.Enqueue(text + ">");
            await Task.Delay(20, ct);
            trace.Enqueue(text + "<");
            return ToolResult.Ok(text!);
        });
        var read = new FakeTool("read", async (inv, ct) =>
        {
            var text = inv.Arguments.GetProperty("text").GetString();
            trace.Enqueue(text + ">");
            await Task.Delay(20, ct);
            trace.Enqueue(text + "<");
            return ToolResult.Ok(text!);
        }, readOnly: true);
        var session = await StartAsync();
        var script = Script("""{"turns":[{"tool_calls":[{"name":"write","arguments":{"text":"a"}},{"name":"write","arguments":{"text":"b"}},{"name":"read","arguments":{"text":"c"}},{"name":"write","arguments":{"text":"d"}}]},{"text":"done"}]}""");

        await DrainAsync(Loop(script, null, write, read).RunAsync(session, "go", _ct));

        Assert.Equal(["a>", "a<", "b>", "b<", "c>", "c<", "d>", "d<"], trace);
        Assert.Equal(["a", "b", "c", "d"], (await JournalAsync()).OfType<ToolCompleted>().Select(r => r.Result));
    }

    [Fact]
    public async Task RunAsync_UnknownTool_ReturnsErrorToModelAndContinues()
    {
        var session = await StartAsync();
        var script = Script("""{"turns":[{"tool_calls":[{"name":"no_such_tool","arguments":{}}]},{"text":"ok"}]}""");

        var updates = await DrainAsync(Loop(script, null, FakeTool.Echo()).RunAsync(session, "go", _ct));

        var completed = (await JournalAsync()).OfType<ToolCompleted>().Single();
        Assert.Equal(ToolOutcome.Error, completed.Outcome);
        Assert.Contains("Unknown tool 'no_such_tool'", completed.Result, StringComparison.Ordinal);
        Assert.Contains("echo", completed.Result, StringComparison.Ordinal);
        Assert.Equal(StopReason.Completed, updates.OfType<RunStopped>().Single().Reason);
    }

    [Fact]
    public async Task RunAsync_MalformedArgumentsJson_ReturnsClearErrorWithoutRunningTool()
    {
        var echo = FakeTool.Echo();
        var session = await StartAsync();
        var script = Script("""{"turns":[{"tool_calls":[{"name":"echo","arguments_raw":"{\"text\": \"unterminated"}]},{"text":"ok"}]}""");

        await DrainAsync(Loop(script, null, echo).RunAsync(session, "go", _ct));

        var journal = await JournalAsync();
        var completed = journal.OfType<ToolCompleted>().Single();
        Assert.Equal(ToolOutcome.Error, completed.Outcome);
        Assert.Contains("not valid JSON", completed.Result, StringComparison.Ordinal);
        Assert.Empty(journal.OfType<ToolStarted>());
        Assert.Equal(0, echo.Calls);
    }

    [Fact]
    public async Task RunAsync_ArgumentsViolateSchema_NamesTheProblem()
    {
        var echo = FakeTool.Echo();
        var session = await StartAsync();
        var script = Script("""{"turns":[{"tool_calls":[{"name":"echo","arguments":{"txt":"typo"}}]},{"text":"ok"}]}""");

        await DrainAsync(Loop(script, null, echo).RunAsync(session, "go", _ct));

        var completed = (await JournalAsync()).OfType<ToolCompleted>().Single();
        Assert.Equal(ToolOutcome.Error, completed.Outcome);
        Assert.Contains("Invalid arguments for 'echo'", completed.Result, StringComparison.Ordinal);
        Assert.Contains("text", completed.Result, StringComparison.Ordinal);
        Assert.Equal(0, echo.Calls);
    }

    [Fact]
    public async Task RunAsync_ToolThrows_ReportsErrorWithoutExceptionDetailByDefault()
    {
        var tool = new FakeTool("boom", (_, _) => throw new InvalidOperationException("secret internals"));
        var session = await StartAsync();
        var script = Script("""{"turns":[{"tool_calls":[{"name":"boom","arguments":{"text":"x"}}]},{"text":"ok"}]}""");

        await DrainAsync(Loop(script, null, tool).RunAsync(session, "go", _ct));

        var completed = (await JournalAsync()).OfType<ToolCompleted>().Single();
        Assert.Equal(ToolOutcome.Error, completed.Outcome);
        Assert.Contains("InvalidOperationException", completed.Result, StringComparison.Ordinal);
        Assert.DoesNotContain("secret internals", completed.Result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_LongObservation_IsCutHeadAndTail()
    {
        var big = string.Join('\n', Enumerable.Range(1, 5000).Select(i => $"line {i}"));
        var tool = new FakeTool("big", (_, _) => ValueTask.FromResult(ToolResult.Ok(big)));
        var session = await StartAsync();
        var script = Script("""{"turns":[{"tool_calls":[{"name":"big","arguments":{"text":"x"}}]},{"text":"ok"}]}""");

        await DrainAsync(Loop(script, new AgentLoopOptions { MaxObservationChars = 1000 }, tool).RunAsync(session, "go", _ct));

        var completed = (await JournalAsync()).OfType<ToolCompleted>().Single();
        Assert.True(completed.Truncated);
        Assert.Equal(big.Length, completed.OriginalLength);
        Assert.StartsWith("line 1\n", completed.Result, StringComparison.Ordinal);
        Assert.EndsWith("line 5000", completed.Result, StringComparison.Ordinal);
        Assert.Contains("omitted", completed.Result, StringComparison.Ordinal);
        Assert.True(completed.Result.Length < 1200);
    }

    [Fact]
    public async Task RunAsync_StepLimit_StopsWithMaxSteps()
    {
        var session = await StartAsync();
        var turn = """{"tool_calls":[{"name":"echo","arguments":{"text":"again"}}]}""";
        var script = Script($$"""{"turns":[{{turn}},{{turn}},{{turn}},{{turn}}]}""");

        var updates = await DrainAsync(Loop(script, new AgentLoopOptions { MaxSteps = 2 }, FakeTool.Echo()).RunAsync(session, "go", _ct));

        Assert.Equal(StopReason.MaxSteps, updates.OfType<RunStopped>().Single().Reason);
        var journal = await JournalAsync();
        Assert.Equal(2, journal.OfType<ModelCalled>().Count());
        Assert.Equal(StopReason.MaxSteps, journal.OfType<SessionEnded>().Single().Reason);
    }

    [Fact]
    public async Task RunAsync_ScriptExhausted_EndsWithClearReason()
    {
        var session = await StartAsync();
        var script = Script("""{"turns":[{"tool_calls":[{"name":"echo","arguments":{"text":"x"}}]}]}""");

        var updates = await DrainAsync(Loop(script, null, FakeTool.Echo()).RunAsync(session, "go", _ct));

        var stopped = updates.OfType<RunStopped>().Single();
        Assert.Equal(StopReason.ScriptExhausted, stopped.Reason);
        Assert.Contains("has no turn 2", stopped.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ModelThrows_JournalsFailureAndStopsWithModelError()
    {
        using var failing = new SpyChatClient(new ThrowingChatClient(new HttpRequestException("connection refused")), []);
        var session = await StartAsync();

        var updates = await DrainAsync(Loop(failing).RunAsync(session, "go", _ct));

        Assert.Equal(StopReason.ModelError, updates.OfType<RunStopped>().Single().Reason);
        var journal = await JournalAsync();
        Assert.Contains("connection refused", journal.OfType<ModelCallFailed>().Single().Error, StringComparison.Ordinal);
        Assert.Equal(SessionStatus.Stopped, (await _store.GetAsync("s1", _ct))!.Status);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RunAsync_ModelThrows_JournalsMessageWithoutTypeName(bool modelCallException)
    {
        Exception error = modelCallException
            ? new ModelCallException("The openai server answered without a model response.")
            : new InvalidOperationException("The openai server answered without a model response.");
        using var failing = new ThrowingChatClient(error);
        var session = await StartAsync();

        var updates = await DrainAsync(Loop(failing).RunAsync(session, "go", _ct));

        Assert.Equal(StopReason.ModelError, updates.OfType<RunStopped>().Single().Reason);
        Assert.Equal("The openai server answered without a model response.", (await JournalAsync()).OfType<ModelCallFailed>().Single().Error);
    }

    [Fact]
    public async Task RunAsync_ClientReportsRetry_UpdateCarriesItAndJournalDoesNot()
    {
        using var retrying = new RetryReportingChatClient(Script("""{"turns":[{"text":"ok"}]}"""));
        var session = await StartAsync();

        var updates = await DrainAsync(Loop(retrying).RunAsync(session, "go", _ct));

        var retry = Assert.Single(updates.OfType<ModelRetrying>());
        Assert.Equal("retrying: HTTP 500, attempt 2 of 5", retry.Text);
        Assert.True(updates.IndexOf(retry) < updates.FindIndex(u => u is TextDelta), "the retry is reported before the answer streams");
        Assert.Equal(StopReason.Completed, updates.OfType<RunStopped>().Single().Reason);
        Assert.Equal(4, (await JournalAsync()).Count);
    }

    [Fact]
    public async Task RunAsync_CancelledDuringTool_InterruptsCallAndSuspends()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        var tool = new FakeTool("hang", async (_, ct) =>
        {
            await cts.CancelAsync();
            await Task.Delay(Timeout.Infinite, ct);
            return ToolResult.Ok("never");
        });
        var session = await StartAsync();
        var script = Script("""{"turns":[{"tool_calls":[{"name":"hang","arguments":{"text":"x"}}]},{"text":"resumed and done"}]}""");
        var loop = Loop(script, null, tool);

        var updates = await DrainAsync(loop.RunAsync(session, "go", cts.Token));

        Assert.Equal(StopReason.Cancelled, updates.OfType<RunStopped>().Single().Reason);
        var journal = await JournalAsync();
        Assert.Equal(ToolOutcome.Interrupted, journal.OfType<ToolCompleted>().Single().Outcome);
        Assert.Equal(StopReason.Cancelled, Assert.IsType<SessionSuspended>(journal[^1]).Reason);

        // Resume: a new writer folds the journal and continues with the next scripted turn.
        using var resumed = await SessionWriter.OpenAsync(_store, "s1", _ct);
        var again = await DrainAsync(loop.RunAsync(resumed, null, _ct));

        Assert.Equal(StopReason.Completed, again.OfType<RunStopped>().Single().Reason);
        Assert.Equal(1, tool.Calls);
        var final = await JournalAsync();
        Assert.Equal(["session_suspended", "session_resumed", "model_called", "session_ended"], final.Skip(journal.Count - 1).Select(e => e.TypeName));
    }

    [Fact]
    public async Task RunAsync_CancelledModelStreamSurfacingAsIOException_SuspendsInsteadOfFailing()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        using var client = new SpyChatClient(new ThrowingChatClient(new IOException("stream closed")), []) { BeforeCall = cts.Cancel };
        var session = await StartAsync();

        var updates = await DrainAsync(Loop(client).RunAsync(session, "go", cts.Token));

        Assert.Equal(StopReason.Cancelled, updates.OfType<RunStopped>().Single().Reason);
        var journal = await JournalAsync();
        Assert.Empty(journal.OfType<ModelCallFailed>());
        Assert.IsType<SessionSuspended>(journal[^1]);
    }

    [Fact]
    public async Task RunAsync_ResumeAfterCrashWithStartedCall_ReportsInterruptedAndNeverReruns()
    {
        var echo = FakeTool.Echo();
        var args = JsonDocument.Parse("""{"text":"x"}""").RootElement;
        using (var crashed = await StartAsync())
        {
            await crashed.AppendAsync(
            [
                new UserMessage("go"),
                new ModelCalled(1, "m", null, [new ModelToolCall("c1", "echo", args), new ModelToolCall("c2", "echo", args)], "tool_calls", TokenUsage.Zero, 1),
                new ToolCallProposed("c1", "echo", args),
                new ToolCallProposed("c2", "echo", args),
                new ToolStarted("c1", "echo"),
            ], cancellationToken: _ct);
        }

        var seen = new List<IList<ChatMessage>>();
        var script = Script("""{"turns":[{"tool_calls":[{"name":"echo","arguments":{"text":"x"}}]},{"text":"recovered"}]}""");
        using var spy = new SpyChatClient(script, seen);
        using var session = await SessionWriter.OpenAsync(_store, "s1", _ct);

        var updates = await DrainAsync(Loop(spy, null, echo).RunAsync(session, null, _ct));

        Assert.Equal(StopReason.Completed, updates.OfType<RunStopped>().Single().Reason);
        Assert.Equal(0, echo.Calls);
        var journal = await JournalAsync();
        var interrupted = journal.OfType<ToolCompleted>().ToList();
        Assert.Equal(2, interrupted.Count);
        Assert.All(interrupted, c => Assert.Equal(ToolOutcome.Interrupted, c.Outcome));
        Assert.Contains("not re-run", interrupted[0].Result, StringComparison.Ordinal);
        Assert.Equal(2, journal.OfType<SessionResumed>().Single().InterruptedCalls);
        var toolResults = seen[0].SelectMany(m => m.Contents).OfType<FunctionResultContent>().ToList();
        Assert.Equal(["c1", "c2"], toolResults.Select(r => r.CallId));
    }

    [Fact]
    public async Task RunAsync_ReplayOfRecordedSession_MakesSameToolCalls()
    {
        var session = await StartAsync("original");
        var script = Script("""{"turns":[{"tool_calls":[{"name":"echo","arguments":{"text":"a"}}]},{"text":"finished"}]}""");
        await DrainAsync(Loop(script, null, FakeTool.Echo()).RunAsync(session, "go", _ct));

        var replay = await ReplayChatClient.FromSessionAsync(_store, "original", _ct);
        using var copy = await SessionWriter.StartAsync(_store, new SessionStarted("copy", "/ws", "replay:original"), _ct);
        await DrainAsync(Loop(replay, null, FakeTool.Echo()).RunAsync(copy, "go", _ct));

        // Everything but the session id, provider model name and timings must match.
        static string Normalize(SessionEvent e) => JournalJson.Serialize(e switch
        {
            ModelCalled m => m with { Model = null, LatencyMs = 0 },
            ToolCompleted t => t with { DurationMs = 0 },
            _ => e,
        });
        Assert.Equal((await JournalAsync("original")).Skip(1).Select(Normalize), (await JournalAsync("copy")).Skip(1).Select(Normalize));
    }

    [Fact]
    public async Task RunAsync_SecondWriterOnSameSession_IsRefused()
    {
        using var first = await StartAsync();
        using var second = await SessionWriter.OpenAsync(_store, "s1", _ct);
        await first.AppendAsync(new UserMessage("from first"), cancellationToken: _ct);

        await Assert.ThrowsAsync<ConcurrencyConflictException>(async () => await second.AppendAsync(new UserMessage("from second"), cancellationToken: _ct));
        Assert.Equal(["session_started", "user_message"], (await JournalAsync()).Select(e => e.TypeName));
    }

    private sealed class SpyChatClient(IChatClient inner, List<IList<ChatMessage>> seen) : DelegatingChatClient(inner)
    {
        public Action? BeforeCall { get; init; }

        public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            BeforeCall?.Invoke();
            seen.Add([.. messages]);
            return base.GetStreamingResponseAsync(messages, options, cancellationToken);
        }
    }

    private sealed class ThrowingChatClient(Exception exception) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw exception;

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw exception;

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    private sealed class RetryReportingChatClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            ModelRetries.Report(new ModelRetrying(2, 5, "HTTP 500", TimeSpan.FromSeconds(1)));
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken))
            {
                yield return update;
            }
        }
    }
}
