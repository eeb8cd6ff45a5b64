using Rein.Journal;
using Rein.Testing;

namespace Rein.Tools.Tests;

public sealed class TaskToolTests : IDisposable
{
    private readonly TempDirectory _workspace = new("rein-task");

    public void Dispose() => _workspace.Dispose();

    private sealed class FakeRunner : ISubAgentRunner
    {
        public Func<SubAgentRequest, SubAgentReport> OnRun { get; init; } = r => Report(StopReason.Completed, "all good");

        public List<SubAgentRequest> Requests { get; } = [];

        public ValueTask<SubAgentReport> RunAsync(SubAgentRequest request, CancellationToken cancellationToken = default)
        {
            Requests.Add(request);
            return ValueTask.FromResult(OnRun(request));
        }
    }

    private static SubAgentReport Report(string reason, string? text, string? detail = null) =>
        new("child-1", "explorer", reason, detail, 3, new TokenUsage(1200, 34), 0m, text);

    [Fact]
    public async Task InvokeAsync_Completed_ReturnsHeaderAndFinalTextWithFacts()
    {
        var runner = new FakeRunner();
        var tool = new TaskTool(runner);

        var result = await tool.InvokeAsync(_workspace, new { description = "find parser", prompt = "Where is the parser?", agent = "explorer" }, sessionId: "parent-1");

        Assert.False(result.IsError, result.Content);
        var lines = result.Content.Split('\n');
        Assert.StartsWith("[sub-agent session child-1 (explorer): completed, 3 steps, 1,234 tokens", lines[0], StringComparison.Ordinal);
        Assert.Contains("rein sessions show child-1", lines[0], StringComparison.Ordinal);
        Assert.Equal("all good", lines[1]);
        var request = Assert.Single(runner.Requests);
        Assert.Equal(("parent-1", "call-1", "find parser", "Where is the parser?", "explorer"), (request.ParentSessionId, request.ParentCallId, request.Description, request.Prompt, request.Agent));
        var started = Assert.IsType<SubAgentStarted>(result.Facts[0]);
        Assert.Equal(("call-1", "child-1", "find parser"), (started.CallId, started.ChildSessionId, started.Description));
        var finished = Assert.IsType<SubAgentFinished>(result.Facts[1]);
        Assert.Equal((StopReason.Completed, 3, 1234L), (finished.StopReason, finished.Steps, finished.Usage.InputTokens + finished.Usage.OutputTokens));
    }

    [Fact]
    public async Task InvokeAsync_LongReport_IsCutWithANote()
    {
        var tool = new TaskTool(new FakeRunner { OnRun = _ => Report(StopReason.Completed, new string('x', 500)) }, maxReportChars: 100);

        var result = await tool.InvokeAsync(_workspace, new { description = "d", prompt = "p" });

        Assert.Contains(new string('x', 100) + "\n[report cut at 100 of 500 characters", result.Content, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('x', 101), result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_ChildAwaitsApproval_IsAnErrorNamingWhatToDo()
    {
        var tool = new TaskTool(new FakeRunner { OnRun = _ => Report(StopReason.AwaitingApproval, "partial", "1 tool call(s) wait for approval; then continue with: rein sessions resume child-1") });

        var result = await tool.InvokeAsync(_workspace, new { description = "d", prompt = "p" });

        Assert.True(result.IsError);
        Assert.Contains("awaiting_approval", result.Content, StringComparison.Ordinal);
        Assert.Contains("rein sessions resume child-1", result.Content, StringComparison.Ordinal);
        Assert.Contains("Its last message:\npartial", result.Content, StringComparison.Ordinal);
        Assert.Equal(StopReason.AwaitingApproval, Assert.IsType<SubAgentFinished>(result.Facts[1]).StopReason);
    }

    [Fact]
    public async Task InvokeAsync_RunnerCannotStart_ReturnsItsMessageWithoutFacts()
    {
        var tool = new TaskTool(new FakeRunner { OnRun = _ => throw new SubAgentException("The agent profile 'nope' cannot be used.") });

        var result = await tool.InvokeAsync(_workspace, new { description = "d", prompt = "p", agent = "nope" });

        Assert.True(result.IsError);
        Assert.Equal("The agent profile 'nope' cannot be used.", result.Content);
        Assert.Empty(result.Facts);
    }

    [Fact]
    public async Task InvokeAsync_MissingPrompt_IsAnArgumentError()
    {
        var runner = new FakeRunner();

        var result = await new TaskTool(runner).InvokeAsync(_workspace, new { description = "d" });

        Assert.True(result.IsError);
        Assert.Contains("prompt", result.Content, StringComparison.Ordinal);
        Assert.Empty(runner.Requests);
    }

    [Fact]
    public void Definition_IsReadOnlyAndShort()
    {
        var definition = new TaskTool(new FakeRunner()).Definition;

        Assert.Equal("task", definition.Name);
        Assert.True(definition.ReadOnly, "delegating changes nothing; the child's calls are judged one by one");
        Assert.True(definition.Description.Length + definition.ParametersSchema.GetRawText().Length < 800, "every declaration is sent on every request");
    }
}
