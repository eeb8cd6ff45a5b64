using System.Text.Json;
using Rein.Engine;
using Rein.Guard.Secrets;
using Rein.Journal;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Guard.Tests.Secrets;

public sealed class RedactingSessionStoreTests
{
    private const string Secret = "sk-live-0123456789";
    private static readonly SecretRedactor Redactor = new([new("API_KEY", Secret)]);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    public static TheoryData<SessionEvent> EventsWithSecrets() =>
    [
        new SessionStarted("s1", "/ws", "openai:gpt", Agent: Secret, Principal: Secret),
        new UserMessage($"use {Secret} please"),
        new ModelCalled(1, "m", $"the key is {Secret}", [new ModelToolCall("c1", "shell", Json($$"""{"command":"echo {{Secret}}","secrets":["API_KEY"]}"""))], "stop", TokenUsage.Zero, 5),
        new ModelCallFailed(1, $"401 for key {Secret}"),
        new ToolCallProposed("c1", "shell", Json($$"""{"command":"curl -H 'x: {{Secret}}'","nested":[{"deep":"{{Secret}}"}]}""")),
        new ToolCompleted("c1", "shell", ToolOutcome.Success, $"out {Secret}\n{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Secret))}"),
        new SessionSuspended($"waiting {Secret}"),
        new SessionEnded("completed", $"done {Secret}"),
        new PolicyDecided("c1", "shell", "deny", $"matched {Secret}", Rule: $"shell({Secret})"),
        new ApprovalRequested("c1", "shell", Json($$"""{"command":"{{Secret}}"}"""), $"asks {Secret}"),
        new ApprovalDecided("c1", "deny", "me", Reason: $"no {Secret}"),
        new BudgetExceeded("tokens", "session", 1, 1, $"detail {Secret}"),
        new CheckpointTaken("abc", "before", SkippedFiles: [$"{Secret}.txt"]),
        new SandboxDisabled($"by {Secret}"),
        new HookRan("PreToolUse", $"hook {Secret}", "error", Reason: $"failed {Secret}"),
        new EgressRefused($"{Secret}.example", 443),
    ];

    [Theory]
    [MemberData(nameof(EventsWithSecrets))]
    public async Task AppendAsync_EventWithSecret_StoredWithoutIt(SessionEvent sessionEvent)
    {
        var inner = new InMemorySessionStore();
        var store = new RedactingSessionStore(inner, Redactor);
        var events = sessionEvent is SessionStarted ? [sessionEvent] : new List<SessionEvent> { new SessionStarted("s1", "/ws", "m"), sessionEvent };

        var recorded = await store.AppendAsync("s1", 0, events, cancellationToken: Ct);

        var stored = await inner.ReadAsync("s1", 0, Ct);
        var json = JournalJson.Serialize(stored[^1].Event);
        Assert.DoesNotContain(Secret, json, StringComparison.Ordinal);
        Assert.Contains("[REDACTED:API_KEY]", json, StringComparison.Ordinal);
        Assert.Equal(sessionEvent.GetType(), stored[^1].Event.GetType());
        Assert.DoesNotContain(Secret, JournalJson.Serialize(recorded[^1].Event), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppendAsync_EventWithoutSecret_PassesThroughAsSameInstance()
    {
        SessionEvent started = new SessionStarted("s1", "/ws", "m");
        SessionEvent message = new UserMessage("nothing secret here");
        IReadOnlyList<SessionEvent>? seen = null;
        var inner = new InMemorySessionStore { OnAppend = (_, events) => seen = events };
        var store = new RedactingSessionStore(inner, Redactor);

        await store.AppendAsync("s1", 0, [started, message], cancellationToken: Ct);

        Assert.NotNull(seen);
        Assert.Same(started, seen[0]);
        Assert.Same(message, seen[1]);
    }

    [Fact]
    public async Task ReadAsync_EventsStoredBeforeTheSecretWasKnown_AreScrubbed()
    {
        var inner = new InMemorySessionStore();
        await inner.AppendAsync("s1", 0, [new SessionStarted("s1", "/ws", "m"), new UserMessage($"old {Secret}")], cancellationToken: Ct);
        var store = new RedactingSessionStore(inner, Redactor);

        var events = await store.ReadAsync("s1", 0, Ct);
        var sessions = await store.ListAsync(10, Ct);

        Assert.Equal("old [REDACTED:API_KEY]", Assert.IsType<UserMessage>(events[1].Event).Text);
        Assert.Equal(2, events[1].Sequence);
        Assert.DoesNotContain(Secret, sessions[0].Title ?? "", StringComparison.Ordinal);
    }

    private sealed class LeakyTool(ToolResult result) : ITool
    {
        public ToolDefinition Definition { get; } = new("leak", "Prints a secret.", System.Text.Json.JsonDocument.Parse("""{"type":"object"}""").RootElement.Clone());

        public async ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
        {
            invocation.Context.Progress?.Report($"live output {Secret}");
            // Returns at once: what was reported just before must still reach the run's updates, ahead of the result.
            await Task.Yield();
            return result;
        }
    }

    private static async Task<(List<AgentUpdate> Updates, ToolCompleted Completed)> RunLeakyToolAsync(ToolResult result)
    {
        var store = new InMemorySessionStore();
        var loop = new AgentLoop(
            new Models.ScriptedChatClient(Models.ScriptedTurn.ParseScript("""{"turns":[{"tool_calls":[{"name":"leak","arguments":{}}]},{"text":"ok"}]}""")),
            new ToolSet([new LeakyTool(result)]),
            new AppendOnlyContextBuilder("t"),
            configurePipeline: pipeline => pipeline.UseSecretRedaction(Redactor));
        using var session = await SessionWriter.StartAsync(store, new SessionStarted("s1", "/ws", "scripted:t"), Ct);
        var updates = new List<AgentUpdate>();
        await foreach (var update in loop.RunAsync(session, "go", Ct))
        {
            updates.Add(update);
        }

        var completed = (await store.ReadAsync("s1", 0, Ct)).Select(e => e.Event).OfType<ToolCompleted>().Single();
        return (updates, completed);
    }

    [Fact]
    public async Task UseSecretRedaction_Observation_IsRedactedBeforeTheModelSeesIt()
    {
        var (_, completed) = await RunLeakyToolAsync(new ToolResult($"token={Secret}\n[exit code 0]"));

        Assert.Equal("token=[REDACTED:API_KEY]\n[exit code 0]", completed.Result);
    }

    [Fact]
    public async Task UseSecretRedaction_LiveProgress_IsRedactedToo()
    {
        var (updates, _) = await RunLeakyToolAsync(ToolResult.Ok("clean"));

        // The end of the stream is held back until the call ends (a secret may still be arriving), then reported.
        var messages = updates.OfType<ToolProgress>().Select(p => p.Message).ToList();
        Assert.All(messages, m => Assert.Contains(m, "live output [REDACTED:API_KEY]", StringComparison.Ordinal));
        Assert.Equal("live output [REDACTED:API_KEY]".Length, messages.Sum(m => m.Length));
    }

    [Fact]
    public async Task UseSecretRedaction_ProgressReportedJustBeforeTheCallReturns_ArrivesBeforeItsResult()
    {
        var (updates, _) = await RunLeakyToolAsync(ToolResult.Ok("clean"));

        var progress = updates.FindIndex(u => u is ToolProgress);
        var completed = updates.FindIndex(u => u is EventAppended { Recorded.Event: ToolCompleted });
        Assert.InRange(progress, 0, completed - 1);
    }

    [Fact]
    public async Task UseSecretRedaction_CleanObservation_ReturnedUnchanged()
    {
        var (_, completed) = await RunLeakyToolAsync(ToolResult.Ok("clean"));

        Assert.Equal("clean", completed.Result);
    }
}
