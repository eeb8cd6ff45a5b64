using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Rein.Journal;
using Rein.Telemetry;
using Rein.Testing;

namespace Rein.Core.Tests.Telemetry;

public sealed class TelemetrySessionStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T0);
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;
    private readonly string _session = "sess-" + Guid.NewGuid().ToString("N");
    private readonly InMemorySessionStore _inner;
    private long _version;

    public TelemetrySessionStoreTests()
    {
        _inner = new InMemorySessionStore(_time);
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ReinTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>The spans of this test's sessions (other tests may run in parallel and use the same source).</summary>
    private List<Activity> Spans(params string[] sessions) =>
        [.. _stopped.Where(a => sessions.Append(_session).Contains(a.GetTagItem("gen_ai.conversation.id") as string))];

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private async Task AppendAsync(ISessionStore store, TimeSpan after, params SessionEvent[] events)
    {
        _time.Advance(after);
        var recorded = await store.AppendAsync(_session, _version, events, cancellationToken: TestContext.Current.CancellationToken);
        _version = recorded[^1].Sequence;
    }

    private async Task RunTurnAsync(ISessionStore store, string userText = "list the files", string? policyDecision = PolicyDecisions.Allow)
    {
        var call = new ModelToolCall("call_1", "shell", Json("""{"command":"ls -la"}"""));
        await AppendAsync(store, TimeSpan.Zero, new SessionStarted(_session, "/ws", "openai:gpt-5.5", "coder", "ana"));
        await AppendAsync(store, TimeSpan.FromSeconds(1), new UserMessage(userText));
        await AppendAsync(
            store,
            TimeSpan.FromSeconds(2),
            new ModelCalled(1, "gpt-5.5-2026-01-01", "Let me look.", [call], "tool_calls", new TokenUsage(1000, 20, 600), 1500, 0.0125m, 950),
            new ToolCallProposed("call_1", "shell", call.Arguments),
            new PolicyDecided("call_1", "shell", policyDecision ?? PolicyDecisions.Allow, "rule matched", "shell(ls*)", "project", "ask"));
        if (policyDecision == PolicyDecisions.Deny)
        {
            await AppendAsync(store, TimeSpan.FromMilliseconds(5), new ToolCompleted("call_1", "shell", ToolOutcome.Error, "Denied by policy.", 5));
        }
        else
        {
            await AppendAsync(store, TimeSpan.FromMilliseconds(10), new ToolStarted("call_1", "shell"));
            await AppendAsync(store, TimeSpan.FromMilliseconds(250), new ToolCompleted("call_1", "shell", ToolOutcome.Success, "a.txt\nb.txt", 250));
        }

        await AppendAsync(store, TimeSpan.FromSeconds(1), new ModelCalled(2, "gpt-5.5-2026-01-01", "Two files.", [], "stop", new TokenUsage(1100, 5), 800, 0.01m));
        await AppendAsync(store, TimeSpan.FromMilliseconds(1), new SessionEnded(StopReason.Completed));
    }

    [Fact]
    public async Task AppendAsync_ATurnWithAToolCall_BuildsTheGenAiSpanTree()
    {
        using var store = new TelemetrySessionStore(_inner);

        await RunTurnAsync(store);

        var spans = Spans();
        Assert.Equal(["chat gpt-5.5", "execute_tool shell", "chat gpt-5.5", "invoke_agent coder"], spans.Select(s => s.DisplayName));
        var turn = spans[^1];
        Assert.Equal(default, turn.ParentSpanId);
        Assert.All(spans[..^1], s => Assert.Equal(turn.SpanId, s.ParentSpanId));
        Assert.All(spans, s => Assert.Equal(turn.TraceId, s.TraceId));
        Assert.Equal("invoke_agent", turn.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("coder", turn.GetTagItem("gen_ai.agent.name"));
        Assert.Equal("completed", turn.GetTagItem("rein.stop_reason"));

        var chat = spans[0];
        Assert.Equal(ActivityKind.Client, chat.Kind);
        Assert.Equal("chat", chat.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("openai", chat.GetTagItem("gen_ai.provider.name"));
        Assert.Equal("gpt-5.5", chat.GetTagItem("gen_ai.request.model"));
        Assert.Equal("gpt-5.5-2026-01-01", chat.GetTagItem("gen_ai.response.model"));
        Assert.Equal(1000L, chat.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(20L, chat.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(600L, chat.GetTagItem("gen_ai.usage.cache_read.input_tokens"));
        Assert.Equal(["tool_calls"], Assert.IsType<string[]>(chat.GetTagItem("gen_ai.response.finish_reasons")));
        Assert.Equal(0.0125, chat.GetTagItem("rein.cost_usd"));

        var tool = spans[1];
        Assert.Equal("execute_tool", tool.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("shell", tool.GetTagItem("gen_ai.tool.name"));
        Assert.Equal("call_1", tool.GetTagItem("gen_ai.tool.call.id"));
        Assert.Equal("function", tool.GetTagItem("gen_ai.tool.type"));
        Assert.Equal("allow", tool.GetTagItem("rein.policy.decision"));
        Assert.Equal("shell(ls*)", tool.GetTagItem("rein.policy.rule"));
        Assert.Equal("enabled", tool.GetTagItem("rein.sandbox"));
        Assert.Equal(ActivityStatusCode.Unset, tool.Status);
    }

    [Fact]
    public async Task AppendAsync_ATurn_UsesTheJournalsTimes()
    {
        using var store = new TelemetrySessionStore(_inner);

        await RunTurnAsync(store);

        var spans = Spans();
        var (chat, tool, turn) = (spans[0], spans[1], spans[^1]);
        var modelAnswered = T0.AddSeconds(3).UtcDateTime;
        Assert.Equal(T0.AddSeconds(1).UtcDateTime, turn.StartTimeUtc);
        Assert.Equal(modelAnswered.AddMilliseconds(-1500), chat.StartTimeUtc);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), chat.Duration);
        Assert.Equal(modelAnswered.AddMilliseconds(10), tool.StartTimeUtc);
        Assert.Equal(TimeSpan.FromMilliseconds(250), tool.Duration);
        Assert.Equal(T0.AddSeconds(4.261).UtcDateTime, turn.StartTimeUtc + turn.Duration);
    }

    [Fact]
    public async Task AppendAsync_WithoutContentOptIn_PutsNoMessageContentOnSpans()
    {
        using var store = new TelemetrySessionStore(_inner);

        await RunTurnAsync(store, "say the word pelican");

        var spans = Spans();
        Assert.Equal(4, spans.Count);
        var values = spans.SelectMany(s => s.TagObjects).Select(t => t.Value?.ToString() ?? "").ToList();
        Assert.DoesNotContain(values, v => v.Contains("pelican", StringComparison.Ordinal) || v.Contains("ls -la", StringComparison.Ordinal) || v.Contains("a.txt", StringComparison.Ordinal) || v.Contains("Two files", StringComparison.Ordinal));
        Assert.DoesNotContain(spans.SelectMany(s => s.TagObjects), t => t.Key is "gen_ai.input.messages" or "gen_ai.output.messages" or "gen_ai.tool.call.arguments" or "gen_ai.tool.call.result");
    }

    [Fact]
    public async Task AppendAsync_WithContentOptIn_PutsMessagesArgumentsAndResultsOnSpans()
    {
        using var store = new TelemetrySessionStore(_inner, new TelemetryOptions { CaptureMessageContent = true });

        await RunTurnAsync(store, "say the word pelican");

        var spans = Spans();
        var (chat, tool, turn) = (spans[0], spans[1], spans[^1]);
        var input = JsonDocument.Parse((string)turn.GetTagItem("gen_ai.input.messages")!).RootElement[0];
        Assert.Equal("user", input.GetProperty("role").GetString());
        Assert.Equal("say the word pelican", input.GetProperty("parts")[0].GetProperty("content").GetString());
        var output = JsonDocument.Parse((string)chat.GetTagItem("gen_ai.output.messages")!).RootElement[0];
        Assert.Equal("Let me look.", output.GetProperty("parts")[0].GetProperty("content").GetString());
        Assert.Equal("tool_call", output.GetProperty("parts")[1].GetProperty("type").GetString());
        Assert.Equal("ls -la", output.GetProperty("parts")[1].GetProperty("arguments").GetProperty("command").GetString());
        Assert.Equal("""{"command":"ls -la"}""", tool.GetTagItem("gen_ai.tool.call.arguments"));
        Assert.Equal("a.txt\nb.txt", tool.GetTagItem("gen_ai.tool.call.result"));
        Assert.Contains("Two files.", (string)turn.GetTagItem("gen_ai.output.messages")!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppendAsync_BehindAStoreThatRedacts_NeverSeesTheSecretEvenWithContent()
    {
        const string secret = "hunter2-XYZ-0042";
        using var store = new TelemetrySessionStore(new ScrubbingStore(_inner, secret), new TelemetryOptions { CaptureMessageContent = true });

        await RunTurnAsync(store, $"use the token {secret} please");

        var spans = Spans();
        Assert.Equal(4, spans.Count);
        var values = spans.SelectMany(s => s.TagObjects).Select(t => t.Value as string ?? "").ToList();
        Assert.Contains(values, v => v.Contains("[REDACTED]", StringComparison.Ordinal));
        Assert.DoesNotContain(values, v => v.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AppendAsync_PolicyDeniesTheCall_ToolSpanIsAnErrorWithTheDecision()
    {
        using var store = new TelemetrySessionStore(_inner);

        await RunTurnAsync(store, policyDecision: PolicyDecisions.Deny);

        var tool = Assert.Single(Spans(), s => s.DisplayName == "execute_tool shell");
        Assert.Equal("deny", tool.GetTagItem("rein.policy.decision"));
        Assert.Equal("policy_denied", tool.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, tool.Status);
        Assert.Equal(TimeSpan.FromMilliseconds(5), tool.Duration);
    }

    [Fact]
    public async Task AppendAsync_SubAgentSession_ItsTurnIsAChildOfTheTaskCall()
    {
        using var store = new TelemetrySessionStore(_inner);
        var ct = TestContext.Current.CancellationToken;
        var child = _session + "-child";
        var task = new ModelToolCall("call_task", "task", Json("""{"description":"look"}"""));
        await AppendAsync(store, TimeSpan.Zero, new SessionStarted(_session, "/ws", "anthropic:claude-sonnet-4-5"));
        await AppendAsync(store, TimeSpan.FromSeconds(1), new UserMessage("delegate"));
        await AppendAsync(store, TimeSpan.FromSeconds(1), new ModelCalled(1, null, null, [task], "tool_calls", TokenUsage.Zero, 100), new ToolCallProposed("call_task", "task", task.Arguments), new ToolStarted("call_task", "task"));
        await store.AppendAsync(child, 0, [new SessionStarted(child, "/ws", "anthropic:claude-sonnet-4-5", "explorer", null, _session, "call_task"), new UserMessage("look")], cancellationToken: ct);
        await store.AppendAsync(child, 2, [new ModelCalled(1, null, "found it", [], "stop", TokenUsage.Zero, 50), new SessionEnded(StopReason.Completed)], cancellationToken: ct);
        await AppendAsync(store, TimeSpan.FromSeconds(1), new ToolCompleted("call_task", "task", ToolOutcome.Success, "found it", 900), new SessionEnded(StopReason.Completed));

        var spans = Spans(child);
        var taskSpan = Assert.Single(spans, s => s.DisplayName == "execute_tool task");
        var childTurn = Assert.Single(spans, s => s.DisplayName == "invoke_agent explorer");
        Assert.Equal(taskSpan.SpanId, childTurn.ParentSpanId);
        Assert.Equal(taskSpan.TraceId, childTurn.TraceId);
        Assert.Equal(_session, childTurn.GetTagItem("rein.parent_session_id"));
        Assert.Equal("anthropic", childTurn.GetTagItem("gen_ai.provider.name"));
    }

    [Fact]
    public async Task AppendAsync_SessionResumedByAnotherStore_NamesTheAgentFromTheJournal()
    {
        await AppendAsync(_inner, TimeSpan.Zero, new SessionStarted(_session, "/ws", "ollama:qwen3:8b", "reviewer"), new UserMessage("hi"), new SessionSuspended(StopReason.Cancelled));
        using var store = new TelemetrySessionStore(_inner);

        await AppendAsync(store, TimeSpan.FromMinutes(5), new SessionResumed());
        await AppendAsync(store, TimeSpan.FromSeconds(2), new ModelCalled(1, "qwen3:8b", "hello", [], "stop", new TokenUsage(10, 2), 300), new SessionEnded(StopReason.Completed));

        var spans = Spans();
        Assert.Equal(["chat qwen3:8b", "invoke_agent reviewer"], spans.Select(s => s.DisplayName));
        Assert.Equal("ollama", spans[0].GetTagItem("gen_ai.provider.name"));
    }

    [Fact]
    public void JournalSpans_SessionEnds_ForgetsItAndASecondTurnStillNamesTheAgentFromTheJournal()
    {
        var spans = new JournalSpans(new TelemetryOptions { TimeProvider = _time });
        RecordedEvent At(long seq, SessionEvent e) => new(seq, T0.AddSeconds(seq), e);
        spans.Observe(_session, At(1, new SessionStarted(_session, "/ws", "anthropic:claude-sonnet-4-5", "coder")));
        spans.Observe(_session, At(2, new UserMessage("first")));
        spans.Observe(_session, At(3, new ModelCalled(1, null, "one", [], "stop", new TokenUsage(10, 1), 100)));
        spans.Observe(_session, At(4, new SessionEnded(StopReason.Completed)));

        Assert.False(spans.Knows(_session));

        // The store replays the first event for a session it does not know, then the new turn.
        spans.Observe(_session, At(1, new SessionStarted(_session, "/ws", "anthropic:claude-sonnet-4-5", "coder")));
        spans.Observe(_session, At(5, new UserMessage("second")));
        spans.Observe(_session, At(6, new ModelCalled(2, null, "two", [], "stop", new TokenUsage(12, 1), 100)));
        spans.Observe(_session, At(7, new SessionEnded(StopReason.Completed)));

        var turns = Spans().Where(s => s.DisplayName.StartsWith("invoke_agent", StringComparison.Ordinal)).ToList();
        Assert.Equal(["invoke_agent coder", "invoke_agent coder"], turns.Select(t => t.DisplayName));
        Assert.All(Spans().Where(s => s.DisplayName.StartsWith("chat", StringComparison.Ordinal)), c => Assert.Equal("anthropic", c.GetTagItem("gen_ai.provider.name")));
    }

    [Fact]
    public async Task Dispose_WithATurnStillOpen_EndsItAsIncomplete()
    {
        var store = new TelemetrySessionStore(_inner, new TelemetryOptions { TimeProvider = _time });
        await AppendAsync(store, TimeSpan.Zero, new SessionStarted(_session, "/ws", "openai:gpt-5.5"), new UserMessage("go"));
        await AppendAsync(store, TimeSpan.FromSeconds(1), new ToolStarted("call_9", "shell"));
        Assert.Empty(Spans());

        _time.Advance(TimeSpan.FromSeconds(3));
        store.Dispose();

        var spans = Spans();
        Assert.Equal(["execute_tool shell", "invoke_agent"], spans.Select(s => s.DisplayName));
        Assert.All(spans, s => Assert.Equal(true, s.GetTagItem("rein.incomplete")));
        Assert.Equal(TimeSpan.FromSeconds(4), spans[1].Duration);
    }

    [Fact]
    public async Task AppendAsync_ModelCalls_RecordTokenUsageAndDurationHistograms()
    {
        var model = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        var measurements = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ReinTelemetry.SourceName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        meterListener.SetMeasurementEventCallback<long>((i, v, tags, _) => measurements.Enqueue((i.Name, v, Tags(tags))));
        meterListener.SetMeasurementEventCallback<double>((i, v, tags, _) => measurements.Enqueue((i.Name, v, Tags(tags))));
        meterListener.Start();
        using var store = new TelemetrySessionStore(_inner);

        await AppendAsync(store, TimeSpan.Zero, new SessionStarted(_session, "/ws", "openai:" + model), new UserMessage("go"));
        await AppendAsync(store, TimeSpan.FromSeconds(2), new ModelCalled(1, model, "ok", [], "stop", new TokenUsage(1234, 56), 2500), new SessionEnded(StopReason.Completed));

        var ours = measurements.Where(m => Equals(m.Tags.GetValueOrDefault("gen_ai.request.model"), model)).ToList();
        var tokens = ours.Where(m => m.Instrument == "gen_ai.client.token.usage").ToList();
        Assert.Equal(1234, Assert.Single(tokens, t => Equals(t.Tags["gen_ai.token.type"], "input")).Value);
        Assert.Equal(56, Assert.Single(tokens, t => Equals(t.Tags["gen_ai.token.type"], "output")).Value);
        Assert.All(tokens, t => Assert.Equal("openai", t.Tags["gen_ai.provider.name"]));
        Assert.Equal(2.5, Assert.Single(ours, m => m.Instrument == "gen_ai.client.operation.duration").Value);

        static Dictionary<string, object?> Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var result = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (key, value) in tags)
            {
                result[key] = value;
            }

            return result;
        }
    }

    /// <summary>Stands in for the guard's redacting store: replaces one secret in every event before storing it.</summary>
    private sealed class ScrubbingStore(ISessionStore inner, string secret) : ISessionStore
    {
        public ValueTask<IReadOnlyList<RecordedEvent>> AppendAsync(string sessionId, long expectedVersion, IReadOnlyList<SessionEvent> events, AppendDurability durability = AppendDurability.Flushed, CancellationToken cancellationToken = default) =>
            inner.AppendAsync(sessionId, expectedVersion, [.. events.Select(e => JournalJson.Deserialize(JournalJson.Serialize(e).Replace(secret, "[REDACTED]", StringComparison.Ordinal)))], durability, cancellationToken);

        public ValueTask<IReadOnlyList<RecordedEvent>> ReadAsync(string sessionId, long afterSequence = 0, CancellationToken cancellationToken = default) => inner.ReadAsync(sessionId, afterSequence, cancellationToken);

        public ValueTask<IReadOnlyList<SessionSummary>> ListAsync(int limit = 100, CancellationToken cancellationToken = default) => inner.ListAsync(limit, cancellationToken);

        public ValueTask<SessionSummary?> GetAsync(string sessionId, CancellationToken cancellationToken = default) => inner.GetAsync(sessionId, cancellationToken);

        public ValueTask<IAsyncDisposable> AcquireWriterAsync(string sessionId, CancellationToken cancellationToken = default) => inner.AcquireWriterAsync(sessionId, cancellationToken);

        public ValueTask ImportAsync(string sessionId, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken = default) => inner.ImportAsync(sessionId, events, cancellationToken);
    }
}
