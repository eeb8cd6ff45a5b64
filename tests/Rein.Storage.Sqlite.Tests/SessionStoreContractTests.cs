using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Time.Testing;
using Rein.Journal;

namespace Rein.Storage.Sqlite.Tests;

/// <summary>
/// The behaviour every <see cref="ISessionStore"/> must have. A store subclasses this and supplies the factory
/// and a way to plant a foreign writer's lease row.
/// </summary>
public abstract class SessionStoreContractTests
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    /// <summary>Creates a store over this test's database; several calls share the same database.</summary>
    protected abstract ISessionStore CreateStore(TimeProvider timeProvider);

    /// <summary>Writes a writer lease row as if another writer held the session.</summary>
    protected abstract ValueTask PlantWriterAsync(string sessionId, int pid, string host, DateTimeOffset? processStartedAt, DateTimeOffset heartbeatAt);

    protected ISessionStore CreateStore() => CreateStore(Time);

    protected static SessionStarted Started(string id) => new(id, "/work/ws", "scripted:turns.json", "coder");

    protected static async Task<ISessionStore> WithSessionAsync(ISessionStore store, string id)
    {
        await store.AppendAsync(id, 0, [Started(id)], cancellationToken: Ct);
        return store;
    }

    [Fact]
    public async Task AppendAsync_EveryEventType_RoundTripsExactly()
    {
        var store = CreateStore();
        var args = JsonDocument.Parse("""{"path":"src/A.cs","lines":[1,2.5],"nested":{"CamelCase":true,"none":null},"text":"é \" \n"}""").RootElement.Clone();
        SessionEvent[] events =
        [
            Started("s1") with { Principal = "alice" },
            new UserMessage("Fix the bug\nplease"),
            new ModelCalled(1, "gpt-x", "Let me look.", [new ModelToolCall("call_1", "read_file", args), new ModelToolCall("call_2", "broken", null, "Unexpected token")], "tool_calls", new TokenUsage(100, 20, 50), 1234),
            new ModelCalled(2, null, null, [], null, TokenUsage.Zero, 0),
            new ModelCallFailed(3, "rate limited"),
            new ToolCallProposed("call_1", "read_file", args),
            new ToolCallProposed("call_2", "broken", null),
            new ToolStarted("call_1", "read_file"),
            new ToolCompleted("call_1", "read_file", ToolOutcome.Success, "contents", 12, Truncated: true, OriginalLength: 5000),
            new ToolCompleted("call_2", "broken", ToolOutcome.Error, "invalid arguments"),
            new ToolCompleted("call_3", "shell", ToolOutcome.Interrupted, ""),
            new SessionSuspended(StopReason.Cancelled),
            new SessionResumed(1),
            new SessionEnded(StopReason.Completed, "done"),
            new SessionEnded(StopReason.MaxSteps),
            new ModelCalled(4, "gpt-x", "priced", [], "stop", new TokenUsage(10, 2), 5, 0.00125m),
            new PolicyDecided("call_1", "shell", PolicyDecisions.Deny, "denied by rule shell(rm *) (project)", "shell(rm *)", "project", "ask"),
            new ApprovalRequested("call_1", "shell", args, "asks in ask mode", DateTimeOffset.Parse("2026-11-26T10:00:00+00:00", System.Globalization.CultureInfo.InvariantCulture), "shell(npm test*)"),
            new ApprovalDecided("call_1", ApprovalDecisions.ApproveSession, "alice", "fine", "shell(npm test*)"),
            new BudgetWarning("cost", "session", 1.6, 2),
            new BudgetExceeded("tokens", "principal_day", 1200, 1000, "over"),
            new CheckpointTaken("0123abcd", "before", "call_1", 4, ["big.bin"]),
            new WorkspaceRewound("0123abcd", 2, "4567ef01", 3),
            new EgressRefused("evil.example", 443, "call_1"),
            new SandboxDisabled("--sandbox none"),
            new HookRan("PreToolUse", "./check.sh", "deny", "no", "call_1", 12),
            new ContextCompacted("auto", 12, 5, "summary", 9000, 2000),
            new ObservationsMasked(8, 6, 4100, "pays off"),
            new MemoriesRecalled("session_start", [new RecalledMemory("m_0000000001", "user", "preference", "terse")]),
            new SubAgentStarted("call_1", "s2", "explorer", "find the parser"),
            new SubAgentFinished("call_1", "s2", "completed", 3, new TokenUsage(100, 20, 5, 7), 0.01m),
            new InstructionsLoaded("src/api/AGENTS.md", "ab12", "Use tabs.", "call_1"),
            new ProtectedPathsRestored("call_1", ["removed .git/hooks/pre-commit"], ["moved .git back"]),
            new ProjectSettingsIgnored("/ws/.rein/settings.json", ["base_url", "hooks"]),
            new RunSettingsChanged("openai-compatible:m", "coder", new SessionRunSettings("http://127.0.0.1:8000/v1", "full-auto", "dev", "none", 20, 5000, 1.5m, 600), ["mode", "base_url"]),
        ];

        var appended = await store.AppendAsync("s1", 0, events, cancellationToken: Ct);
        var read = await store.ReadAsync("s1", cancellationToken: Ct);

        var declared = typeof(SessionEvent).GetCustomAttributes<JsonDerivedTypeAttribute>().Select(a => a.DerivedType);
        Assert.Empty(declared.Except(events.Select(e => e.GetType())));
        Assert.Equal(events.Length, read.Count);
        for (var i = 0; i < events.Length; i++)
        {
            AssertSameEvent(events[i], read[i].Event);
            Assert.Equal(appended[i].Sequence, read[i].Sequence);
            Assert.Equal(appended[i].Timestamp, read[i].Timestamp);
        }
    }

    [Fact]
    public async Task AppendAsync_SessionStartedWithoutAgent_RoundTripsNull()
    {
        var store = CreateStore();
        await store.AppendAsync("s1", 0, [new SessionStarted("s1", "/w", "m")], cancellationToken: Ct);

        var read = await store.ReadAsync("s1", cancellationToken: Ct);

        Assert.Equal(new SessionStarted("s1", "/w", "m"), read.Single().Event);
    }

    [Fact]
    public async Task AppendAsync_SeveralCalls_AssignsConsecutiveSequencesAndStoreTime()
    {
        var store = CreateStore();
        var first = await store.AppendAsync("s1", 0, [Started("s1"), new UserMessage("hi")], cancellationToken: Ct);
        Time.Advance(TimeSpan.FromSeconds(5));
        var second = await store.AppendAsync("s1", 2, [new SessionEnded(StopReason.Completed)], cancellationToken: Ct);

        Assert.Equal([1L, 2L], first.Select(e => e.Sequence));
        Assert.Equal(3L, second.Single().Sequence);
        Assert.Equal(Time.GetUtcNow(), second.Single().Timestamp);
        Assert.Equal(Time.GetUtcNow() - TimeSpan.FromSeconds(5), first[0].Timestamp);
        var summary = await store.GetAsync("s1", Ct);
        Assert.Equal(3, summary!.Version);
        Assert.Equal(first[0].Timestamp, summary.StartedAt);
        Assert.Equal(second[0].Timestamp, summary.UpdatedAt);
    }

    [Fact]
    public async Task ReadAsync_AfterSequence_ReturnsOnlyLaterEvents()
    {
        var store = CreateStore();
        await store.AppendAsync("s1", 0, [Started("s1"), new UserMessage("a"), new UserMessage("b")], cancellationToken: Ct);

        var read = await store.ReadAsync("s1", afterSequence: 1, Ct);

        Assert.Equal([2L, 3L], read.Select(e => e.Sequence));
        Assert.Empty(await store.ReadAsync("s1", afterSequence: 3, Ct));
    }

    [Fact]
    public async Task ReadAsync_UnknownSession_ThrowsSessionNotFound()
    {
        var store = CreateStore();

        var e = await Assert.ThrowsAsync<SessionNotFoundException>(async () => await store.ReadAsync("nope", cancellationToken: Ct));

        Assert.Equal("nope", e.SessionId);
    }

    [Fact]
    public async Task AppendAsync_NewSessionWithoutSessionStarted_ThrowsSessionNotFound()
    {
        var store = CreateStore();

        await Assert.ThrowsAsync<SessionNotFoundException>(async () => await store.AppendAsync("s1", 0, [new UserMessage("hi")], cancellationToken: Ct));
        await Assert.ThrowsAsync<SessionNotFoundException>(async () => await store.AppendAsync("s1", 3, [Started("s1")], cancellationToken: Ct));
        Assert.Null(await store.GetAsync("s1", Ct));
    }

    [Fact]
    public async Task AppendAsync_StaleExpectedVersion_ThrowsConcurrencyConflict()
    {
        var store = await WithSessionAsync(CreateStore(), "s1");
        await store.AppendAsync("s1", 1, [new UserMessage("a")], cancellationToken: Ct);

        var e = await Assert.ThrowsAsync<ConcurrencyConflictException>(async () => await store.AppendAsync("s1", 1, [new UserMessage("b")], cancellationToken: Ct));

        Assert.Equal(1, e.ExpectedVersion);
        Assert.Equal(2, e.ActualVersion);
        Assert.Equal(2, (await store.ReadAsync("s1", cancellationToken: Ct)).Count);
    }

    [Fact]
    public async Task AppendAsync_SessionStartedTwice_SecondCreateConflicts()
    {
        var store = await WithSessionAsync(CreateStore(), "s1");

        var e = await Assert.ThrowsAsync<ConcurrencyConflictException>(async () => await store.AppendAsync("s1", 0, [Started("s1")], cancellationToken: Ct));

        Assert.Equal(1, e.ActualVersion);
    }

    [Fact]
    public async Task AppendAsync_SessionStartedAfterFirstEvent_ThrowsArgumentException()
    {
        var store = await WithSessionAsync(CreateStore(), "s1");

        await Assert.ThrowsAsync<ArgumentException>(async () => await store.AppendAsync("s1", 1, [Started("s1")], cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.AppendAsync("s2", 0, [Started("s2"), Started("s2")], cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.AppendAsync("s3", 0, [Started("other")], cancellationToken: Ct));
        Assert.Equal(1, (await store.GetAsync("s1", Ct))!.Version);
        Assert.Null(await store.GetAsync("s2", Ct));
    }

    [Fact]
    public async Task AppendAsync_TwoWritersAtSameVersion_OneConflictsAndJournalIsNotInterleaved()
    {
        var store = await WithSessionAsync(CreateStore(), "s1");
        var other = CreateStore();

        async Task<Exception?> WriteAsync(ISessionStore s, string name)
        {
            try
            {
                await s.AppendAsync("s1", 1, [new UserMessage($"{name}1"), new UserMessage($"{name}2"), new UserMessage($"{name}3")], cancellationToken: Ct);
                return null;
            }
            catch (ConcurrencyConflictException e)
            {
                return e;
            }
        }

        var results = await Task.WhenAll(Task.Run(() => WriteAsync(store, "a"), Ct), Task.Run(() => WriteAsync(other, "b"), Ct));

        var conflict = Assert.IsType<ConcurrencyConflictException>(Assert.Single(results, r => r is not null));
        Assert.Equal(4, conflict.ActualVersion);
        var texts = (await store.ReadAsync("s1", 1, Ct)).Select(e => ((UserMessage)e.Event).Text).ToArray();
        Assert.True(texts is ["a1", "a2", "a3"] or ["b1", "b2", "b3"], string.Join(",", texts));
    }

    [Fact]
    public async Task AppendAsync_ManyConcurrentWritersWithRetry_JournalIsConsistentAndGapFree()
    {
        const int Writers = 8;
        const int AppendsPerWriter = 5;
        var store = await WithSessionAsync(CreateStore(), "s1");

        async Task WriteAsync(int writer)
        {
            var mine = CreateStore();
            for (var i = 0; i < AppendsPerWriter; i++)
            {
                while (true)
                {
                    var version = (await mine.GetAsync("s1", Ct))!.Version;
                    try
                    {
                        await mine.AppendAsync("s1", version, [new UserMessage($"{writer}:{i}:a"), new UserMessage($"{writer}:{i}:b")], cancellationToken: Ct);
                        break;
                    }
                    catch (ConcurrencyConflictException)
                    {
                    }
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() => WriteAsync(w), Ct)));

        var journal = await store.ReadAsync("s1", cancellationToken: Ct);
        Assert.Equal(Enumerable.Range(1, 1 + (Writers * AppendsPerWriter * 2)).Select(i => (long)i), journal.Select(e => e.Sequence));
        var texts = journal.Skip(1).Select(e => ((UserMessage)e.Event).Text).ToArray();
        for (var i = 0; i < texts.Length; i += 2)
        {
            Assert.EndsWith(":a", texts[i], StringComparison.Ordinal);
            Assert.Equal(texts[i][..^1] + "b", texts[i + 1]);
        }

        Assert.Equal(Writers * AppendsPerWriter * 2, texts.Distinct().Count());
        Assert.Equal(journal.Count, SessionState.Fold(journal).Version);
        Assert.Equal(journal.Count, (await store.GetAsync("s1", Ct))!.Version);
    }

    [Fact]
    public async Task GetAsync_RunningJournalWithoutLiveWriter_IsReportedInterrupted()
    {
        var store = CreateStore();
        await store.AppendAsync("crashed", 0, [Started("crashed"), new UserMessage("go")], cancellationToken: Ct);
        await store.AppendAsync("dead", 0, [Started("dead"), new UserMessage("go")], cancellationToken: Ct);
        await PlantWriterAsync("dead", FindUnusedPid(), Environment.MachineName, null, Time.GetUtcNow());
        await store.AppendAsync("live", 0, [Started("live"), new UserMessage("go")], cancellationToken: Ct);
        await using var lease = await store.AcquireWriterAsync("live", Ct);

        Assert.Equal(SessionStatus.Interrupted, (await store.GetAsync("crashed", Ct))!.Status);
        Assert.Equal(SessionStatus.Interrupted, (await store.GetAsync("dead", Ct))!.Status);
        Assert.Equal(SessionStatus.Running, (await store.GetAsync("live", Ct))!.Status);
        var listed = (await store.ListAsync(cancellationToken: Ct)).ToDictionary(s => s.Id, s => s.Status);
        Assert.Equal(SessionStatus.Interrupted, listed["crashed"]);
        Assert.Equal(SessionStatus.Running, listed["live"]);
    }

    [Fact]
    public async Task ListAsync_AfterVariousEvents_DerivesStatusTitleAndStopReason()
    {
        var store = CreateStore();
        await store.AppendAsync("running", 0, [Started("running")], cancellationToken: Ct);
        await store.AppendAsync("suspended", 0, [Started("suspended"), new UserMessage("first"), new UserMessage("second"), new SessionSuspended(StopReason.Cancelled)], cancellationToken: Ct);
        await store.AppendAsync("completed", 0, [Started("completed"), new UserMessage(new string('x', 200)), new SessionEnded(StopReason.Completed)], cancellationToken: Ct);
        await store.AppendAsync("stopped", 0, [Started("stopped"), new UserMessage("  multi\n\n  line\ttitle "), new SessionEnded(StopReason.MaxSteps)], cancellationToken: Ct);
        await store.AppendAsync("again", 0, [Started("again"), new UserMessage("one"), new SessionEnded(StopReason.Completed)], cancellationToken: Ct);
        await store.AppendAsync("again", 3, [new UserMessage("two")], cancellationToken: Ct);
        await using var runningWriter = await store.AcquireWriterAsync("running", Ct);
        await using var againWriter = await store.AcquireWriterAsync("again", Ct);

        var byId = (await store.ListAsync(cancellationToken: Ct)).ToDictionary(s => s.Id);

        Assert.Equal(SessionStatus.Running, byId["running"].Status);
        Assert.Null(byId["running"].Title);
        Assert.Null(byId["running"].StopReason);
        Assert.Equal(("/work/ws", "scripted:turns.json"), (byId["running"].Workspace, byId["running"].Model));
        Assert.Equal((SessionStatus.Suspended, "first", StopReason.Cancelled), (byId["suspended"].Status, byId["suspended"].Title, byId["suspended"].StopReason));
        Assert.Equal((SessionStatus.Completed, StopReason.Completed), (byId["completed"].Status, byId["completed"].StopReason));
        Assert.InRange(byId["completed"].Title!.Length, 60, 80);
        Assert.StartsWith("xxxx", byId["completed"].Title, StringComparison.Ordinal);
        Assert.Equal((SessionStatus.Stopped, "multi line title", StopReason.MaxSteps), (byId["stopped"].Status, byId["stopped"].Title, byId["stopped"].StopReason));
        Assert.Equal((SessionStatus.Running, "one", null), (byId["again"].Status, byId["again"].Title, byId["again"].StopReason));
        Assert.Equal(4, byId["again"].Version);

        foreach (var summary in byId.Values)
        {
            var state = SessionState.Fold(await store.ReadAsync(summary.Id, cancellationToken: Ct));
            Assert.Equal((state.Status, state.StopReason, state.Version), (summary.Status, summary.StopReason, summary.Version));
        }
    }

    [Fact]
    public async Task ListAsync_SeveralSessions_NewestFirstWithinLimit()
    {
        var store = CreateStore();
        foreach (var id in new[] { "a", "b", "c" })
        {
            await WithSessionAsync(store, id);
            Time.Advance(TimeSpan.FromSeconds(1));
        }

        await store.AppendAsync("a", 1, [new UserMessage("bump")], cancellationToken: Ct);

        Assert.Equal(["a", "c", "b"], (await store.ListAsync(cancellationToken: Ct)).Select(s => s.Id));
        Assert.Equal(["a", "c"], (await store.ListAsync(2, Ct)).Select(s => s.Id));
    }

    [Fact]
    public async Task GetAsync_Prefixes_ResolveUniqueExactOrAmbiguous()
    {
        var store = CreateStore();
        foreach (var id in new[] { "abc123", "abd456", "ab" , "x_%1" })
        {
            await WithSessionAsync(store, id);
        }

        Assert.Equal("abc123", (await store.GetAsync("abc", Ct))!.Id);
        Assert.Equal("abc123", (await store.GetAsync("abc123", Ct))!.Id);
        Assert.Equal("ab", (await store.GetAsync("ab", Ct))!.Id);
        Assert.Equal("x_%1", (await store.GetAsync("x_", Ct))!.Id);
        Assert.Null(await store.GetAsync("zz", Ct));
        Assert.Null(await store.GetAsync("ABC", Ct));
        Assert.Null(await store.GetAsync("x%", Ct));
        var e = await Assert.ThrowsAsync<AmbiguousSessionIdException>(async () => await store.GetAsync("a", Ct));
        Assert.Equal(["ab", "abc123", "abd456"], e.Matches.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AcquireWriterAsync_WhileHeld_ThrowsSessionBusyAndGrantsAfterDispose()
    {
        var store = CreateStore();
        var lease = await store.AcquireWriterAsync("s1", Ct);

        var busy = await Assert.ThrowsAsync<SessionBusyException>(async () => await store.AcquireWriterAsync("s1", Ct));
        await Assert.ThrowsAsync<SessionBusyException>(async () => await CreateStore().AcquireWriterAsync("s1", Ct));
        Assert.Contains($"{Environment.ProcessId}@", busy.Owner, StringComparison.Ordinal);
        await using (await store.AcquireWriterAsync("s2", Ct))
        {
        }

        await lease.DisposeAsync();
        await lease.DisposeAsync();
        await using var again = await CreateStore().AcquireWriterAsync("s1", Ct);
    }

    [Fact]
    public async Task AcquireWriterAsync_LiveWriterOnAnotherHost_ThrowsSessionBusyNamingIt()
    {
        var store = CreateStore();
        await PlantWriterAsync("s1", 4242, "other-host", null, Time.GetUtcNow());

        var e = await Assert.ThrowsAsync<SessionBusyException>(async () => await store.AcquireWriterAsync("s1", Ct));

        Assert.Equal("4242@other-host", e.Owner);
        Assert.Contains("4242@other-host", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AcquireWriterAsync_HolderProcessIsDead_Granted()
    {
        var store = CreateStore();
        await PlantWriterAsync("s1", FindUnusedPid(), Environment.MachineName, null, Time.GetUtcNow());

        await using var lease = await store.AcquireWriterAsync("s1", Ct);

        await Assert.ThrowsAsync<SessionBusyException>(async () => await store.AcquireWriterAsync("s1", Ct));
    }

    [Fact]
    public async Task AcquireWriterAsync_HolderHeartbeatIsStale_Granted()
    {
        var store = CreateStore();
        await PlantWriterAsync("s1", 4242, "other-host", null, Time.GetUtcNow());
        Time.Advance(TimeSpan.FromSeconds(31));

        await using var lease = await store.AcquireWriterAsync("s1", Ct);
    }

    [Fact]
    public async Task AcquireWriterAsync_HolderIsLiveProcess_RefusedUnlessItsPidWasReused()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "Needs the sleep command.");
        var store = CreateStore();
        using var holder = Process.Start(new ProcessStartInfo("sleep", "120") { UseShellExecute = false })!;
        try
        {
            var startedAt = new DateTimeOffset(holder.StartTime.ToUniversalTime(), TimeSpan.Zero);
            await PlantWriterAsync("s1", holder.Id, Environment.MachineName, startedAt, Time.GetUtcNow());
            await Assert.ThrowsAsync<SessionBusyException>(async () => await store.AcquireWriterAsync("s1", Ct));

            await PlantWriterAsync("s1", holder.Id, Environment.MachineName, startedAt - TimeSpan.FromHours(1), Time.GetUtcNow());
            await (await store.AcquireWriterAsync("s1", Ct)).DisposeAsync();

            await PlantWriterAsync("s1", holder.Id, Environment.MachineName, startedAt, Time.GetUtcNow());
            holder.Kill();
            await holder.WaitForExitAsync(Ct);
            await (await store.AcquireWriterAsync("s1", Ct)).DisposeAsync();
        }
        finally
        {
            if (!holder.HasExited)
            {
                holder.Kill();
            }
        }
    }

    protected static int FindUnusedPid()
    {
        for (var pid = 3_999_999; ; pid--)
        {
            try
            {
                using var p = Process.GetProcessById(pid);
            }
            catch (ArgumentException)
            {
                return pid;
            }
        }
    }

    protected static void AssertSameEvent(SessionEvent expected, SessionEvent actual)
    {
        Assert.IsType(expected.GetType(), actual);
        switch (expected, actual)
        {
            case (ModelCalled e, ModelCalled a):
                Assert.Equal(e with { ToolCalls = [] }, a with { ToolCalls = [] });
                Assert.Equal(e.ToolCalls.Count, a.ToolCalls.Count);
                foreach (var (ec, ac) in e.ToolCalls.Zip(a.ToolCalls))
                {
                    Assert.Equal(ec with { Arguments = null }, ac with { Arguments = null });
                    AssertSameJson(ec.Arguments, ac.Arguments);
                }

                break;
            case (ToolCallProposed e, ToolCallProposed a):
                Assert.Equal(e with { Arguments = null }, a with { Arguments = null });
                AssertSameJson(e.Arguments, a.Arguments);
                break;
            case (ApprovalRequested e, ApprovalRequested a):
                Assert.Equal(e with { Arguments = null }, a with { Arguments = null });
                AssertSameJson(e.Arguments, a.Arguments);
                break;
            case (MemoriesRecalled e, MemoriesRecalled a):
                Assert.Equal(e with { Memories = [] }, a with { Memories = [] });
                Assert.Equal(e.Memories, a.Memories);
                break;
            case (SubAgentFinished e, SubAgentFinished a):
                Assert.Equal(e, a);
                break;
            case (RunSettingsChanged e, RunSettingsChanged a):
                Assert.Equal(e with { Changed = [] }, a with { Changed = [] });
                Assert.Equal(e.Changed, a.Changed);
                break;
            case (CheckpointTaken e, CheckpointTaken a):
                Assert.Equal(e with { SkippedFiles = null }, a with { SkippedFiles = null });
                Assert.Equal(e.SkippedFiles, a.SkippedFiles);
                break;
            case (ProtectedPathsRestored e, ProtectedPathsRestored a):
                Assert.Equal(e.CallId, a.CallId);
                Assert.Equal(e.Restored, a.Restored);
                Assert.Equal(e.NotRestored, a.NotRestored);
                break;
            case (ProjectSettingsIgnored e, ProjectSettingsIgnored a):
                Assert.Equal(e.File, a.File);
                Assert.Equal(e.Keys, a.Keys);
                break;
            default:
                Assert.Equal(expected, actual);
                break;
        }
    }

    private static List<RecordedEvent> RecordedJournalOf(string id, DateTimeOffset start) =>
    [
        new(1, start.AddTicks(1234567), Started(id)),
        new(2, start.AddSeconds(1), new UserMessage("import me")),
        new(3, start.AddSeconds(2), new ModelCalled(1, "m", "done", [], "stop", new TokenUsage(3, 1), 4)),
        new(4, start.AddMinutes(3), new SessionEnded(StopReason.Completed)),
    ];

    [Fact]
    public async Task ImportAsync_RecordedJournal_KeepsSequenceNumbersTimestampsAndSummary()
    {
        var store = CreateStore();
        var start = new DateTimeOffset(2025, 12, 24, 8, 30, 0, TimeSpan.Zero);
        var journal = RecordedJournalOf("imported", start);

        await store.ImportAsync("imported", journal, Ct);

        var read = await store.ReadAsync("imported", cancellationToken: Ct);
        Assert.Equal(journal.Select(e => (e.Sequence, e.Timestamp)), read.Select(e => (e.Sequence, e.Timestamp)));
        for (var i = 0; i < journal.Count; i++)
        {
            AssertSameEvent(journal[i].Event, read[i].Event);
        }

        var summary = await store.GetAsync("imported", Ct);
        Assert.NotNull(summary);
        Assert.Equal(
            (SessionStatus.Completed, "import me", 4L, start.AddTicks(1234567), start.AddMinutes(3), (string?)StopReason.Completed, "/work/ws"),
            (summary.Status, summary.Title, summary.Version, summary.StartedAt, summary.UpdatedAt, summary.StopReason, summary.Workspace));

        // An imported session continues like any other.
        var appended = await store.AppendAsync("imported", 4, [new UserMessage("more")], cancellationToken: Ct);
        Assert.Equal(5, appended[0].Sequence);
    }

    [Fact]
    public async Task ImportAsync_SessionExists_RefusesAndLeavesItAsItWas()
    {
        var store = await WithSessionAsync(CreateStore(), "taken");

        var ex = await Assert.ThrowsAsync<SessionAlreadyExistsException>(async () => await store.ImportAsync("taken", RecordedJournalOf("taken", Time.GetUtcNow()), Ct));

        Assert.Equal("taken", ex.SessionId);
        Assert.Single(await store.ReadAsync("taken", cancellationToken: Ct));
    }

    [Fact]
    public async Task ImportAsync_JournalWithGapOrForeignStart_RefusesAndStoresNothing()
    {
        var store = CreateStore();
        var gap = RecordedJournalOf("broken", Time.GetUtcNow());
        gap[2] = gap[2] with { Sequence = 9 };

        await Assert.ThrowsAsync<ArgumentException>(async () => await store.ImportAsync("broken", gap, Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.ImportAsync("other-id", RecordedJournalOf("broken", Time.GetUtcNow()), Ct));

        Assert.Null(await store.GetAsync("broken", Ct));
        Assert.Null(await store.GetAsync("other-id", Ct));
    }

    private static void AssertSameJson(JsonElement? expected, JsonElement? actual)
    {
        Assert.Equal(expected.HasValue, actual.HasValue);
        if (expected is { } e && actual is { } a)
        {
            Assert.True(JsonElement.DeepEquals(e, a), $"{e.GetRawText()} != {a.GetRawText()}");
        }
    }
}
