using System.Text.Json;
using Rein.Journal;

namespace Rein.Core.Tests;

public sealed class JournalJsonTests
{
    public static TheoryData<SessionEvent> Events() =>
    [
        new SessionStarted("s1", "/ws", "scripted:x.json", "coder"),
        new UserMessage("hello"),
        new ModelCalled(1, "m", "hi", [new ModelToolCall("c1", "read_file", JsonDocument.Parse("""{"path":"a.txt"}""").RootElement)], "tool_calls", new TokenUsage(10, 5, 2), 42),
        new ModelCalled(2, null, null, [new ModelToolCall("c2", "x", null, "bad json")], null, TokenUsage.Zero, 0),
        new ModelCallFailed(3, "boom"),
        new ToolCallProposed("c1", "read_file", JsonDocument.Parse("""{"path":"a.txt"}""").RootElement),
        new ToolStarted("c1", "read_file"),
        new ToolCompleted("c1", "read_file", ToolOutcome.Interrupted, "partial", 12, true, 99),
        new SessionSuspended("cancelled"),
        new SessionResumed(2),
        new SessionEnded("completed", "ok"),
        new PolicyDecided("c1", "shell", "ask", "asks in ask mode", null, null, "ask"),
        new ApprovalRequested("c1", "shell", JsonDocument.Parse("""{"command":"npm test"}""").RootElement, "why", null, "shell(npm test*)"),
        new ApprovalDecided("c1", "deny", "alice", "not now"),
        new BudgetWarning("steps", "session", 8, 10),
        new BudgetExceeded("cost", "session", 2.5, 2, "over"),
        new CheckpointTaken("abc", "after", "c1", 1),
        new WorkspaceRewound("abc", 1, "def", 2),
        new ProtectedPathsRestored("c1", ["removed .git/hooks/pre-commit"], []),
        new EgressRefused("example.org", 80),
        new SandboxDisabled("none"),
        new ProjectSettingsIgnored("/ws/.rein/settings.json", ["base_url", "hooks", "sandbox.type"]),
        new HookRan("Stop", "./stop.sh", "ok"),
        new MemoriesRecalled("session_start", [new RecalledMemory("m_0000000001", "user", "preference", "terse")]),
        new ContextCompacted("auto", 12, 5, "summary", 9000, 2000),
        new ObservationsMasked(8, 6, 4100, "pays off"),
        new SessionStarted("s2", "/ws", "scripted:x.json", null, "alice", "s1", "c1"),
        new SessionStarted("s3", "/ws", "scripted:x.json", "coder", "alice", Origin: "eval:20261126-120000-abcd/fix-test#1"),
        new SessionStarted("s4", "/ws", "scripted:x.json", "coder", "alice", Approvals: new SessionApprovals(["alice", "bob"], 7200)),
        new SubAgentStarted("c1", "s2", "explorer", "find the parser"),
        new SubAgentFinished("c1", "s2", "completed", 3, new TokenUsage(100, 20), 0.01m),
        new InstructionsLoaded("src/api/AGENTS.md", "ab12", "Use tabs.", "c1"),
        new SessionStarted("s5", "/ws", "openai-compatible:m", "coder", RunSettings: new SessionRunSettings("http://127.0.0.1:8000/v1", "full-auto", "dev", "none", 5, 1000, 2.5m, 600)),
        new RunSettingsChanged("openai-compatible:m", "coder", new SessionRunSettings(Mode: "ask"), ["mode"]),
    ];

    [Fact]
    public void Events_CoverEveryDeclaredEventType()
    {
        var declared = typeof(SessionEvent).GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonDerivedTypeAttribute), false)
            .Cast<System.Text.Json.Serialization.JsonDerivedTypeAttribute>().Select(a => a.DerivedType);

        Assert.Empty(declared.Except(Events().Select(row => row.Data.GetType())));
    }

    [Theory]
    [MemberData(nameof(Events))]
    public void Serialize_EveryEventType_RoundTripsExactly(SessionEvent sessionEvent)
    {
        var json = JournalJson.Serialize(sessionEvent);
        var back = JournalJson.Deserialize(json);

        Assert.Equal(sessionEvent.GetType(), back.GetType());
        Assert.Equal(json, JournalJson.Serialize(back));
        Assert.StartsWith($$"""{"type":"{{sessionEvent.TypeName}}""", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_SessionStartedWithApprovals_JournalsApproversAndTimeout()
    {
        var json = JournalJson.Serialize(new SessionStarted("s1", "/ws", "m", Principal: "root", Approvals: new SessionApprovals(["alice"], 3600)));

        Assert.Contains(""""approvals":{"approvers":["alice"],"timeout_seconds":3600}"""", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Fold_RunSettingsChanged_ReplacesTheRecordedModelAgentAndSettings()
    {
        var state = SessionState.Fold(
        [
            new RecordedEvent(1, DateTimeOffset.UnixEpoch, new SessionStarted("s1", "/ws", "a:m", "coder", RunSettings: new SessionRunSettings(Mode: "full-auto", MaxSteps: 3))),
            new RecordedEvent(2, DateTimeOffset.UnixEpoch, new RunSettingsChanged("b:n", "reviewer", new SessionRunSettings(Mode: "ask"), ["model", "agent", "mode"])),
        ]);

        Assert.Equal(("b:n", "reviewer", new SessionRunSettings(Mode: "ask")), (state.Model, state.Agent, state.RunSettings));
    }

    [Fact]
    public void Deserialize_SessionStartedWrittenBeforeRunSettingsWereJournaled_HasNone()
    {
        var started = JournalJson.Deserialize("""{"type":"session_started","session_id":"s1","workspace":"/ws","model":"m"}""");

        Assert.Null(Assert.IsType<SessionStarted>(started).RunSettings);
        Assert.Contains(
            """"run_settings":{"base_url":"http://x/v1","mode":"full-auto"}"""",
            JournalJson.Serialize(new SessionStarted("s1", "/ws", "m", RunSettings: new SessionRunSettings("http://x/v1", "full-auto"))),
            StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_SessionStartedWrittenBeforeApprovalsWereJournaled_HasNone()
    {
        var started = JournalJson.Deserialize("""{"type":"session_started","session_id":"s1","workspace":"/ws","model":"m","principal":"alice"}""");

        Assert.Null(Assert.IsType<SessionStarted>(started).Approvals);
        Assert.Null(SessionState.Fold([new RecordedEvent(1, DateTimeOffset.UnixEpoch, started)]).Approvals);
    }

    [Fact]
    public void Serialize_ToolCompleted_UsesSnakeCaseAndStringOutcome()
    {
        var json = JournalJson.Serialize(new ToolCompleted("c1", "shell", ToolOutcome.Error, "exit 1", DurationMs: 5));

        Assert.Contains("\"call_id\":\"c1\"", json, StringComparison.Ordinal);
        Assert.Contains("\"outcome\":\"error\"", json, StringComparison.Ordinal);
        Assert.Contains("\"duration_ms\":5", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_UnknownType_Throws()
    {
        Assert.ThrowsAny<JsonException>(() => JournalJson.Deserialize("""{"type":"no_such_event"}"""));
    }
}
