using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Rein.Context.Compaction;
using Rein.Engine;
using Rein.Journal;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Context.Tests;

public sealed class ContextEngineTests
{
    private const string Goal = "Add a CSV exporter to the reports module. Keep the public API unchanged and make `make test` pass.";
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;
    private readonly InMemorySessionStore _store = new();

    [Fact]
    public async Task LongSession_Compacts_CarryingGoalTodosInstructionsAndModifiedFilesVerbatim()
    {
        using var workspace = new TempDirectory();
        var model = new ScriptModel(step => step switch
        {
            1 => Call("todo_write", new { todos = new object[] { new { content = "Write exporter in reports/csv.py", status = "in_progress" }, new { content = "Run make test", status = "pending" } } }),
            2 => Call("instructions", new { }),
            < 40 => Call("write_file", new { path = $"reports/part_{step}.py", content = string.Join('\n', Enumerable.Range(0, 30).Select(i => $"value_{step}_{i} = {i}")) }),
            _ => Answer("All parts written."),
        });
        var options = new ContextOptions { ContextWindow = 6_000, CompactionThreshold = 0.8, Masking = false };
        var engine = new ContextEngine("You are a test agent.", new QuarterCounter(), options, new Compactor(model));
        var loop = new AgentLoop(model, new ToolSet([new TodoWriteTool(), new WriteFileTool(), new InstructionsTool()]), engine, new AgentLoopOptions { MaxSteps = 60 });
        var session = await SessionWriter.StartAsync(_store, new SessionStarted("s1", workspace.Path, "test"), _ct);

        await foreach (var _ in loop.RunAsync(session, Goal, _ct))
        {
        }

        var journal = (await _store.ReadAsync("s1", 0, _ct)).Select(e => e.Event).ToList();
        var compactions = journal.OfType<ContextCompacted>().ToList();
        Assert.NotEmpty(compactions);
        Assert.All(compactions, c => Assert.Equal("auto", c.Trigger));
        Assert.Equal(39, journal.OfType<ToolCompleted>().Count());

        // Every request after the first compaction still carries the task, word for word.
        var afterCompaction = model.Requests.Where(r => r.Any(m => m.Text.Contains("[Context compacted", StringComparison.Ordinal))).ToList();
        Assert.NotEmpty(afterCompaction);
        foreach (var request in afterCompaction)
        {
            var text = string.Join("\n", request.Select(m => m.Text));
            Assert.Contains(Goal, text, StringComparison.Ordinal);
            Assert.Contains("- [in_progress] Write exporter in reports/csv.py\n- [pending] Run make test", text, StringComparison.Ordinal);
            Assert.Contains(InstructionsTool.Block, text, StringComparison.Ordinal);
            Assert.Contains("- reports/part_3.py", text, StringComparison.Ordinal);
            Assert.Contains("## Goal\nThe model's summary.", text, StringComparison.Ordinal);
            Assert.True(request.Sum(m => m.Text.Length + m.Contents.OfType<FunctionResultContent>().Sum(r => r.Result?.ToString()?.Length ?? 0)) < 6_000 * 4);
        }

        var last = model.Requests[^1];
        var files = last.SelectMany(m => m.Contents).OfType<FunctionResultContent>().ToList();
        Assert.DoesNotContain(files, r => r.CallId == "call_3_0");
    }

    [Fact]
    public async Task Resume_RebuildsTheSameContextFromTheJournal()
    {
        var model = new ScriptModel(step => step < 40
            ? Call("echo", new { text = new string('x', 1_500) + step })
            : Answer("done"));
        var engine = new ContextEngine("sys", new QuarterCounter(), new ContextOptions { MinMaskTokens = 0 });
        var loop = new AgentLoop(model, new ToolSet([new EchoTool()]), engine, new AgentLoopOptions { MaxSteps = 60 });
        var session = await SessionWriter.StartAsync(_store, new SessionStarted("s2", "/ws", "test"), _ct);
        await foreach (var _ in loop.RunAsync(session, "go", _ct))
        {
        }

        var journal = (await _store.ReadAsync("s2", 0, _ct)).Select(e => e.Event).ToList();
        Assert.NotEmpty(journal.OfType<ObservationsMasked>());

        // A new process: a fresh engine folds the journal and must show what the last call was shown.
        var reopened = await SessionWriter.OpenAsync(_store, "s2", _ct);
        var rebuilt = await new ContextEngine("sys", new QuarterCounter(), new ContextOptions { MinMaskTokens = 0 }).BuildAsync(reopened.State, _ct);
        var lastRequest = model.Requests[^1];
        Assert.Equal(Describe(lastRequest), Describe(rebuilt.Take(lastRequest.Count).ToList()));
    }

    [Fact]
    public async Task ReadOutput_MaskedStep_ReturnsTheWholeOutputByStep()
    {
        var model = new ScriptModel(step => step < 40 ? Call("echo", new { text = $"output of {step}\n" + new string('y', 1_500) }) : Answer("done"));
        var engine = new ContextEngine("sys", new QuarterCounter(), new ContextOptions { MinMaskTokens = 0 });
        var loop = new AgentLoop(model, new ToolSet([new EchoTool()]), engine, new AgentLoopOptions { MaxSteps = 60 });
        var session = await SessionWriter.StartAsync(_store, new SessionStarted("s3", "/ws", "test"), _ct);
        await foreach (var _ in loop.RunAsync(session, "go", _ct))
        {
        }

        var stub = model.Requests[^1].SelectMany(m => m.Contents).OfType<FunctionResultContent>().First(r => r.Result?.ToString()?.StartsWith("[Output of step 2 elided", StringComparison.Ordinal) == true);
        Assert.Contains("read_output(step=2)", stub.Result!.ToString(), StringComparison.Ordinal);

        var tool = new ReadOutputTool(engine);
        var result = await tool.InvokeAsync(new ToolInvocation("r1", JsonSerializer.SerializeToElement(new { step = 2 }), new ToolContext("s3", "/ws")), _ct);
        Assert.False(result.IsError, result.Content);
        Assert.Contains("output of 2\n" + new string('y', 1_500), result.Content, StringComparison.Ordinal);

        var missing = await tool.InvokeAsync(new ToolInvocation("r2", JsonSerializer.SerializeToElement(new { step = 999 }), new ToolContext("s3", "/ws")), _ct);
        Assert.True(missing.IsError);
    }

    [Fact]
    public async Task CompactAsync_OnDemand_JournalsAManualCompactionAndKeepsTheLatestTurns()
    {
        var model = new ScriptModel(step => step < 6 ? Call("echo", new { text = "out " + step + new string('z', 2_000) }) : Answer("done"));
        var engine = new ContextEngine("sys", new QuarterCounter(), new ContextOptions(), new Compactor(model));
        var loop = new AgentLoop(model, new ToolSet([new EchoTool()]), engine, new AgentLoopOptions { MaxSteps = 60 });
        var session = await SessionWriter.StartAsync(_store, new SessionStarted("s4", "/ws", "test"), _ct);
        await foreach (var _ in loop.RunAsync(session, Goal, _ct))
        {
        }

        var compacted = await engine.CompactAsync(session, "manual", _ct);

        Assert.NotNull(compacted);
        Assert.Equal("manual", compacted.Trigger);
        Assert.True(compacted.TokensAfter < compacted.TokensBefore);
        var messages = await engine.BuildAsync(session.State, _ct);
        Assert.StartsWith("[Context compacted", messages[1].Text, StringComparison.Ordinal);
        Assert.Contains(Goal, messages[1].Text, StringComparison.Ordinal);
        Assert.Equal("done", messages[^1].Text);
        Assert.Contains((await _store.ReadAsync("s4", 0, _ct)).Select(e => e.Event), e => e is ContextCompacted);
    }

    private static string Describe(IList<ChatMessage> messages) => string.Join("\n", messages.Select(m =>
        m.Role + ":" + m.Text + string.Concat(m.Contents.OfType<FunctionResultContent>().Select(r => "|" + r.CallId + "=" + r.Result))
        + string.Concat(m.Contents.OfType<FunctionCallContent>().Select(c => "|" + c.Name))));

    private static ChatResponseUpdate[] Call(string name, object arguments) =>
    [
        new ChatResponseUpdate(ChatRole.Assistant, [new FunctionCallContent("", name, JsonSerializer.SerializeToElement(arguments).EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone()))]),
    ];

    private static ChatResponseUpdate[] Answer(string text) => [new ChatResponseUpdate(ChatRole.Assistant, text)];

    /// <summary>A model that answers by step, writes summaries when asked to compact, and records every request.</summary>
    private sealed class ScriptModel(Func<int, ChatResponseUpdate[]> turns) : IChatClient
    {
        private int _step;

        public List<IList<ChatMessage>> Requests { get; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "## Goal\nThe model's summary.")));

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            Requests.Add([.. messages]);
            var step = Interlocked.Increment(ref _step);
            await Task.Yield();
            foreach (var update in turns(step))
            {
                yield return update;
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    private sealed class EchoTool : ITool
    {
        public ToolDefinition Definition { get; } = new("echo", "Echo.", JsonDocument.Parse("""{"type":"object","properties":{"text":{"type":"string"}}}""").RootElement, ReadOnly: true);

        public ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(ToolResult.Ok(invocation.Arguments.GetProperty("text").GetString()!));
    }

    /// <summary>Stands for a tool call that brought a nested AGENTS.md into the context.</summary>
    private sealed class InstructionsTool : ITool
    {
        public const string Block = "<instructions source=\"reports/AGENTS.md\">\nAlways run `make test` before finishing.\n</instructions>";

        public ToolDefinition Definition { get; } = new("instructions", "Load.", JsonDocument.Parse("""{"type":"object"}""").RootElement, ReadOnly: true);

        public ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(ToolResult.Ok("listing\n\n" + Block));
    }
}
