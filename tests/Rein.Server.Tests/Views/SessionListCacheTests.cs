using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Rein.Journal;
using Rein.Server.Views;
using Rein.Testing;

namespace Rein.Server.Tests.Views;

public sealed class SessionListCacheTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 9, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SessionSummary Summary(string id, long version = 3, DateTimeOffset? startedAt = null) =>
        new(id, SessionStatus.Completed, "/work/" + id, "scripted", "title of " + id, startedAt ?? Start, Start, version, null);

    private static JsonObject Parse(byte[] json) => JsonNode.Parse(json)!.AsObject();

    private static ModelCalled Model(int step, TokenUsage usage, decimal? cost) =>
        new(step, "scripted", "step " + step, [], "stop", usage, 5, cost);

    /// <summary>The view as the CLI and the API built it before any cache: the whole journal folded, serialized as <c>rein sessions list --json</c> does.</summary>
    private static async Task<string> FullViewAsync(ISessionStore store, SessionSummary summary)
    {
        // Past the counting store: only the cache's own reads are counted.
        var events = await (store is CountingStore counting ? counting.Inner : store).ReadAsync(summary.Id, 0, Ct);
        return JsonViews.Session(summary, SessionState.Fold(events.Where(e => e.Sequence <= summary.Version))).ToJsonString(JournalJson.Options);
    }

    /// <summary>Lists the session as <c>GET /v1/sessions</c> does and checks the view is the full fold's, byte for byte.</summary>
    private static async Task<JsonObject> PollAsync(SessionListCache cache, ISessionStore store, string id)
    {
        var summary = (await store.GetAsync(id, Ct))!;
        var (json, principal) = await cache.GetAsync(store, summary, Ct);
        Assert.Equal(await FullViewAsync(store, summary), Encoding.UTF8.GetString(json));
        var view = Parse(json);
        Assert.Equal(view["principal"]?.GetValue<string>(), principal);
        return view;
    }

    [Fact]
    public async Task Retain_CompleteListingWithoutADeletedSession_DropsItsView()
    {
        var cache = new SessionListCache();
        var store = new ReadCountingStore();
        await cache.GetAsync(store, Summary("kept"), Ct);
        await cache.GetAsync(store, Summary("deleted"), Ct);

        cache.Retain([Summary("kept")], complete: true);

        Assert.Equal(1, cache.Count);
        await cache.GetAsync(store, Summary("kept"), Ct);
        Assert.Equal(2, store.Reads);
    }

    [Fact]
    public async Task Retain_PartialListing_KeepsOtherViewsUntilOverCapacity()
    {
        var cache = new SessionListCache();
        var store = new ReadCountingStore();
        await cache.GetAsync(store, Summary("older"), Ct);
        await cache.GetAsync(store, Summary("newest"), Ct);

        cache.Retain([Summary("newest")], complete: false);
        Assert.Equal(2, cache.Count);

        for (var i = 0; i < SessionListCache.Capacity; i++)
        {
            await cache.GetAsync(store, Summary("s" + i), Ct);
        }

        cache.Retain([Summary("newest")], complete: false);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task GetAsync_SessionDeletedAndMadeAgainUnderItsId_IsReadAgainNotServedFromTheCache()
    {
        var cache = new SessionListCache();
        var store = new ReadCountingStore();
        var (before, _) = await cache.GetAsync(store, Summary("s1"), Ct);

        var (after, _) = await cache.GetAsync(store, Summary("s1", startedAt: Start.AddDays(1)) with { Workspace = "/elsewhere" }, Ct);

        Assert.Equal("/work/s1", Parse(before)["workspace"]!.GetValue<string>());
        Assert.Equal("/elsewhere", Parse(after)["workspace"]!.GetValue<string>());
        Assert.Equal(2, store.Reads);
    }

    [Fact]
    public async Task GetAsync_SessionGrowingOverPolls_EveryViewIsTheFullFoldsByteForByte()
    {
        var time = new FakeTimeProvider(Start);
        var store = new CountingStore(new InMemorySessionStore(time));
        var cache = new SessionListCache();
        var v = (await store.AppendAsync("s1", 0, [new SessionStarted("s1", "/w", "scripted", Agent: "coder", Principal: "alice", ParentSessionId: "p1"), new UserMessage("do it")], cancellationToken: Ct))[^1].Sequence;
        Assert.Equal(SessionStatus.Running, (await PollAsync(cache, store, "s1"))["status"]!.GetValue<string>());

        var versions = new List<long> { v };
        time.Advance(TimeSpan.FromSeconds(1));
        v = (await store.AppendAsync("s1", v, [
            new ModelCalled(1, "scripted", null, [new ModelToolCall("c1", "write_file", null)], "tool_calls", new TokenUsage(100, 20, 30), 5, 0.25m),
            new ToolCallProposed("c1", "write_file", null),
            new ApprovalRequested("c1", "write_file", null, "writes a file"),
            new SessionSuspended(StopReason.AwaitingApproval),
        ], cancellationToken: Ct))[^1].Sequence;
        Assert.Equal(SessionStatus.AwaitingApproval, (await PollAsync(cache, store, "s1"))["status"]!.GetValue<string>());
        versions.Add(v);

        time.Advance(TimeSpan.FromSeconds(1));
        v = (await store.AppendAsync("s1", v, [
            new ApprovalDecided("c1", ApprovalDecisions.ApproveOnce, "alice"),
            new SessionResumed(),
            new ToolStarted("c1", "write_file"),
            new ToolCompleted("c1", "write_file", ToolOutcome.Success, "ok"),
            Model(2, new TokenUsage(50, 10, 0), null),
            new SubAgentFinished("c2", "child", "completed", 3, new TokenUsage(7, 8, 9), 0.5m, 2),
        ], cancellationToken: Ct))[^1].Sequence;
        await PollAsync(cache, store, "s1");
        versions.Add(v);

        time.Advance(TimeSpan.FromSeconds(1));
        await store.AppendAsync("s1", v, [
            new SessionSuspended("cancelled"),
            new RunSettingsChanged("other", "reviewer", new SessionRunSettings(), ["agent"]),
            new SessionResumed(),
            new UserMessage("more"),
            Model(3, new TokenUsage(1, 1, 1), 0.01m),
            new SessionEnded("completed"),
        ], cancellationToken: Ct);
        var ended = await PollAsync(cache, store, "s1");

        Assert.Equal(SessionStatus.Completed, ended["status"]!.GetValue<string>());
        Assert.Equal("reviewer", ended["agent"]!.GetValue<string>());
        Assert.Equal("p1", ended["parent_session_id"]!.GetValue<string>());
        Assert.Equal(158, ended["usage"]!["input_tokens"]!.GetValue<long>());
        Assert.Equal(39, ended["usage"]!["output_tokens"]!.GetValue<long>());
        Assert.Equal(0.76m, ended["cost_usd"]!.GetValue<decimal>());
        // Each poll after the first read from where the one before it stopped.
        Assert.Equal<long>([0, .. versions], store.ReadsAfter);
    }

    [Fact]
    public async Task GetAsync_AfterTheFirstPoll_ReadsOnlyTheEventsAfterTheCachedVersion()
    {
        var store = new CountingStore(new InMemorySessionStore(new FakeTimeProvider(Start)));
        var cache = new SessionListCache();
        var first = (await store.AppendAsync("s1", 0, [new SessionStarted("s1", "/w", "scripted", Principal: "alice"), new UserMessage("go")], cancellationToken: Ct))[^1].Sequence;
        await PollAsync(cache, store, "s1");
        var second = (await store.AppendAsync("s1", first, [Model(1, new TokenUsage(10, 1), 0.1m)], cancellationToken: Ct))[^1].Sequence;
        await PollAsync(cache, store, "s1");
        await PollAsync(cache, store, "s1");
        await store.AppendAsync("s1", second, [Model(2, new TokenUsage(10, 1), 0.1m), new SessionEnded("completed")], cancellationToken: Ct);
        await PollAsync(cache, store, "s1");
        await PollAsync(cache, store, "s1");

        // Nothing read for a journal that did not grow; from the cached version for one that did.
        Assert.Equal<long>([0, first, second], store.ReadsAfter);
    }

    [Fact]
    public async Task GetAsync_SessionRewound_FoldsTheRewindAppendedLikeAnyEvent()
    {
        var store = new CountingStore(new InMemorySessionStore(new FakeTimeProvider(Start)));
        var cache = new SessionListCache();
        var v = (await store.AppendAsync("s1", 0, [new SessionStarted("s1", "/w", "scripted", Principal: "alice"), Model(1, new TokenUsage(5, 5), 0.2m), new SessionEnded("completed")], cancellationToken: Ct))[^1].Sequence;
        await PollAsync(cache, store, "s1");

        // A rewind puts the workspace back and journals it: the journal grows, nothing in it is taken back.
        await store.AppendAsync("s1", v, [new CheckpointTaken("backup", "rewind"), new WorkspaceRewound("before", 1, "backup", 2)], cancellationToken: Ct);
        store.ReadsAfter.Clear();
        var summary = (await store.GetAsync("s1", Ct))!;
        var (json, _) = await cache.GetAsync(store, summary, Ct);

        Assert.Equal<long>([v], store.ReadsAfter);
        Assert.Equal(await FullViewAsync(store, summary), Encoding.UTF8.GetString(json));
        Assert.Equal(0.2m, Parse(json)["cost_usd"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task GetAsync_SessionDeletedAndReimportedWithAnotherStart_IsFoldedAgainFromTheStart()
    {
        var store = new CountingStore(new InMemorySessionStore(new FakeTimeProvider(Start)));
        var cache = new SessionListCache();
        await store.AppendAsync("s1", 0, [new SessionStarted("s1", "/w", "scripted", Principal: "alice"), Model(1, new TokenUsage(100, 100), 1m)], cancellationToken: Ct);
        await PollAsync(cache, store, "s1");

        var later = Start.AddDays(1);
        store.Inner = new InMemorySessionStore();
        await store.ImportAsync("s1", [
            new RecordedEvent(1, later, new SessionStarted("s1", "/w", "scripted", Principal: "bob")),
            new RecordedEvent(2, later, Model(1, new TokenUsage(1, 1), 0.01m)),
            new RecordedEvent(3, later, new SessionEnded("completed")),
        ], Ct);
        store.ReadsAfter.Clear();
        var view = await PollAsync(cache, store, "s1");

        Assert.Equal<long>([0], store.ReadsAfter);
        Assert.Equal("bob", view["principal"]!.GetValue<string>());
        Assert.Equal(0.01m, view["cost_usd"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task GetAsync_SessionReimportedWithALowerVersion_IsFoldedAgainFromTheStart()
    {
        var store = new CountingStore(new InMemorySessionStore(new FakeTimeProvider(Start)));
        var cache = new SessionListCache();
        await store.AppendAsync("s1", 0, [new SessionStarted("s1", "/w", "scripted", Principal: "alice"), Model(1, new TokenUsage(100, 100), 1m), Model(2, new TokenUsage(100, 100), 1m)], cancellationToken: Ct);
        await PollAsync(cache, store, "s1");

        // The same start, but a shorter journal: an older export of the session put back in place of the one listed.
        store.Inner = new InMemorySessionStore();
        await store.ImportAsync("s1", [
            new RecordedEvent(1, Start, new SessionStarted("s1", "/w", "scripted", Principal: "alice")),
            new RecordedEvent(2, Start, Model(1, new TokenUsage(100, 100), 1m)),
        ], Ct);
        store.ReadsAfter.Clear();
        var view = await PollAsync(cache, store, "s1");

        Assert.Equal<long>([0], store.ReadsAfter);
        Assert.Equal(1m, view["cost_usd"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task GetAsync_StatusChangedWithoutAnAppend_ShowsTheNewStatusWithoutReading()
    {
        var store = new CountingStore(new InMemorySessionStore(new FakeTimeProvider(Start)));
        var cache = new SessionListCache();
        await store.AppendAsync("s1", 0, [new SessionStarted("s1", "/w", "scripted", Principal: "alice"), new UserMessage("go")], cancellationToken: Ct);
        var summary = (await store.GetAsync("s1", Ct))!;
        await cache.GetAsync(store, summary, Ct);
        store.ReadsAfter.Clear();

        // The process running it died: the store lists it interrupted, with nothing appended.
        var (json, _) = await cache.GetAsync(store, summary with { Status = SessionStatus.Interrupted }, Ct);

        Assert.Empty(store.ReadsAfter);
        Assert.Equal(SessionStatus.Interrupted, Parse(json)["status"]!.GetValue<string>());
        Assert.Equal(await FullViewAsync(store, summary with { Status = SessionStatus.Interrupted }), Encoding.UTF8.GetString(json));
    }

    [Fact]
    public async Task GetAsync_ConcurrentPollsWhileTheSessionGrows_EveryViewIsTheFullFoldOfItsVersion()
    {
        var store = new InMemorySessionStore(new FakeTimeProvider(Start));
        var cache = new SessionListCache();
        var v = (await store.AppendAsync("s1", 0, [new SessionStarted("s1", "/w", "scripted", Principal: "alice")], cancellationToken: Ct))[^1].Sequence;
        var polled = new System.Collections.Concurrent.ConcurrentBag<(SessionSummary Summary, byte[] Json)>();

        async Task PollManyAsync()
        {
            for (var i = 0; i < 100; i++)
            {
                var summary = (await store.GetAsync("s1", Ct))!;
                polled.Add((summary, (await cache.GetAsync(store, summary, Ct)).Json));
                await Task.Yield();
            }
        }

        async Task AppendManyAsync()
        {
            for (var step = 1; step <= 100; step++)
            {
                v = (await store.AppendAsync("s1", v, [Model(step, new TokenUsage(step, 1), 0.01m)], cancellationToken: Ct))[^1].Sequence;
                await Task.Yield();
            }
        }

        await Task.WhenAll(Task.Run(PollManyAsync, Ct), Task.Run(PollManyAsync, Ct), Task.Run(PollManyAsync, Ct), Task.Run(AppendManyAsync, Ct));

        foreach (var (summary, json) in polled)
        {
            Assert.Equal(await FullViewAsync(store, summary), Encoding.UTF8.GetString(json));
        }

        await PollAsync(cache, store, "s1");
    }

    /// <summary>A store that passes everything to another (which a test may swap, as if the session were deleted and imported), recording where each read starts.</summary>
    private sealed class CountingStore(ISessionStore inner) : ISessionStore
    {
        public ISessionStore Inner { get; set; } = inner;

        public List<long> ReadsAfter { get; } = [];

        public ValueTask<IReadOnlyList<RecordedEvent>> ReadAsync(string sessionId, long afterSequence = 0, CancellationToken cancellationToken = default)
        {
            lock (ReadsAfter)
            {
                ReadsAfter.Add(afterSequence);
            }

            return Inner.ReadAsync(sessionId, afterSequence, cancellationToken);
        }

        public ValueTask<IReadOnlyList<RecordedEvent>> AppendAsync(string sessionId, long expectedVersion, IReadOnlyList<SessionEvent> events, AppendDurability durability = AppendDurability.Flushed, CancellationToken cancellationToken = default) =>
            Inner.AppendAsync(sessionId, expectedVersion, events, durability, cancellationToken);

        public ValueTask<IReadOnlyList<SessionSummary>> ListAsync(int limit = 100, CancellationToken cancellationToken = default) => Inner.ListAsync(limit, cancellationToken);

        public ValueTask<SessionSummary?> GetAsync(string sessionId, CancellationToken cancellationToken = default) => Inner.GetAsync(sessionId, cancellationToken);

        public ValueTask ImportAsync(string sessionId, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken = default) => Inner.ImportAsync(sessionId, events, cancellationToken);

        public ValueTask<IAsyncDisposable> AcquireWriterAsync(string sessionId, CancellationToken cancellationToken = default) => Inner.AcquireWriterAsync(sessionId, cancellationToken);
    }

    /// <summary>A store whose journals are empty, counting the reads the cache makes.</summary>
    private sealed class ReadCountingStore : ISessionStore
    {
        public int Reads { get; private set; }

        public ValueTask<IReadOnlyList<RecordedEvent>> ReadAsync(string sessionId, long afterSequence = 0, CancellationToken cancellationToken = default)
        {
            Reads++;
            return ValueTask.FromResult<IReadOnlyList<RecordedEvent>>([]);
        }

        public ValueTask<IReadOnlyList<RecordedEvent>> AppendAsync(string sessionId, long expectedVersion, IReadOnlyList<SessionEvent> events, AppendDurability durability = AppendDurability.Flushed, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public ValueTask<IReadOnlyList<SessionSummary>> ListAsync(int limit = 100, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<SessionSummary?> GetAsync(string sessionId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask ImportAsync(string sessionId, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<IAsyncDisposable> AcquireWriterAsync(string sessionId, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
