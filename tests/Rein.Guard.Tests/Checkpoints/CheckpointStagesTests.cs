using System.Text.Json;
using Rein.Engine;
using Rein.Guard.Checkpoints;
using Rein.Journal;
using Rein.Models;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Guard.Tests.Checkpoints;

public sealed class CheckpointStagesTests : IDisposable
{
    private readonly TempDirectory _workspace = new("rein-ws");
    private readonly TempDirectory _data = new("rein-data");
    private readonly InMemorySessionStore _store = new();
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _workspace.Dispose();
        _data.Dispose();
    }

    private async Task<List<SessionEvent>> RunAsync(string script, CheckpointOptions options, params ITool[] tools)
    {
        var loop = new AgentLoop(
            new ScriptedChatClient(ScriptedTurn.ParseScript(script)),
            new ToolSet(tools),
            new AppendOnlyContextBuilder("You are a test agent."),
            configurePipeline: pipeline => pipeline.UseCheckpoints(options));
        using var session = await SessionWriter.StartAsync(_store, new SessionStarted("s1", _workspace.Path, "scripted:test"), _ct);
        await foreach (var _ in loop.RunAsync(session, "go", _ct))
        {
        }

        return [.. (await _store.ReadAsync("s1", 0, _ct)).Select(e => e.Event)];
    }

    private CheckpointOptions Options(string git = "git") => new() { Folder = _data.Combine("checkpoints"), GitExecutable = git };

    [Fact]
    public async Task UseCheckpoints_MutatingTool_JournalsBeforeAndAfterAroundTheCall()
    {
        _workspace.Write("a.txt", "original\n");
        var write = new WriteTool();
        var events = await RunAsync(
            """{"turns":[{"tool_calls":[{"name":"write","arguments":{"text":"changed\n"}}]},{"text":"done"}]}""", Options(), write);

        var names = events.Select(e => e.TypeName).ToList();
        Assert.Equal(
            ["checkpoint_taken", "tool_started", "checkpoint_taken", "tool_completed"],
            names.Where(n => n is "checkpoint_taken" or "tool_started" or "tool_completed"));
        var checkpoints = events.OfType<CheckpointTaken>().ToList();
        Assert.Equal(["before", "after"], checkpoints.Select(c => c.Phase));
        Assert.All(checkpoints, c => Assert.Equal(1, c.Step));
        Assert.All(checkpoints, c => Assert.Equal(events.OfType<ToolStarted>().Single().CallId, c.CallId));
        Assert.All(checkpoints, c => Assert.Null(c.SkippedFiles));

        var repository = new ShadowRepository(_workspace.Path, Options());
        var diff = await repository.DiffAsync(checkpoints[0].Commit, checkpoints[1].Commit, _ct);
        Assert.Equal(new FileChange("a.txt", FileChangeStatus.Modified, 1, 1), Assert.Single(diff.Files));
        await repository.RestoreAsync(checkpoints[0].Commit, "s1", _ct);
        Assert.Equal("original\n", File.ReadAllText(_workspace.Combine("a.txt")));
    }

    [Fact]
    public async Task UseCheckpoints_ReadOnlyTool_NoCheckpoint()
    {
        _workspace.Write("a.txt", "original\n");
        var events = await RunAsync(
            """{"turns":[{"tool_calls":[{"name":"peek","arguments":{"text":"x"}}]},{"text":"done"}]}""", Options(), new PeekTool());

        Assert.Contains(events, e => e is ToolCompleted { Outcome: ToolOutcome.Success });
        Assert.DoesNotContain(events, e => e is CheckpointTaken);
        Assert.False(Directory.Exists(_data.Combine("checkpoints")));
    }

    [Fact]
    public async Task UseCheckpoints_ParallelMutatingCalls_EachBracketed()
    {
        var events = await RunAsync(
            """{"turns":[{"tool_calls":[{"name":"write","arguments":{"text":"one"}},{"name":"write","arguments":{"text":"two"}}]},{"text":"done"}]}""",
            Options(), new WriteTool());

        var checkpoints = events.OfType<CheckpointTaken>().ToList();
        Assert.Equal(4, checkpoints.Count);
        Assert.All(checkpoints.GroupBy(c => c.CallId), g => Assert.Equal(["before", "after"], g.Select(c => c.Phase)));
    }

    [Fact]
    public async Task UseCheckpoints_GitMissing_CallStillRunsWithoutCheckpoints()
    {
        var write = new WriteTool();
        var events = await RunAsync(
            """{"turns":[{"tool_calls":[{"name":"write","arguments":{"text":"changed\n"}}]},{"text":"done"}]}""",
            Options(git: _data.Combine("no-such-git")), write);

        Assert.DoesNotContain(events, e => e is CheckpointTaken);
        Assert.Equal(ToolOutcome.Success, events.OfType<ToolCompleted>().Single().Outcome);
        Assert.Equal("changed\n", File.ReadAllText(_workspace.Combine("a.txt")));
    }

    [Fact]
    public async Task UseCheckpoints_LargeFile_ReportedInCheckpoint()
    {
        File.WriteAllBytes(_workspace.Combine("big.bin"), new byte[3000]);
        var options = Options();
        options.MaxFileBytes = 1000;

        var events = await RunAsync(
            """{"turns":[{"tool_calls":[{"name":"write","arguments":{"text":"x"}}]},{"text":"done"}]}""", options, new WriteTool());

        Assert.All(events.OfType<CheckpointTaken>(), c => Assert.Equal(["big.bin"], c.SkippedFiles!));
        Assert.Equal(2, events.OfType<CheckpointTaken>().Count());
    }

    private static JsonElement Schema() =>
        JsonDocument.Parse("""{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}""").RootElement.Clone();

    /// <summary>Writes its text argument to a.txt (or, for parallel calls, a file named after the text).</summary>
    private sealed class WriteTool : ITool
    {
        public ToolDefinition Definition { get; } = new("write", "Writes a file.", Schema());

        public async ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
        {
            var text = invocation.Arguments.GetProperty("text").GetString()!;
            var name = text is "one" or "two" ? text + ".txt" : "a.txt";
            await File.WriteAllTextAsync(Path.Combine(invocation.Context.WorkspaceRoot, name), text, cancellationToken);
            return ToolResult.Ok("written");
        }
    }

    private sealed class PeekTool : ITool
    {
        public ToolDefinition Definition { get; } = new("peek", "Reads.", Schema(), ReadOnly: true);

        public ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(ToolResult.Ok("peeked"));
    }
}
