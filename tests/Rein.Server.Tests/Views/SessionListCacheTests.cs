using Rein.Journal;
using Rein.Server.Views;

namespace Rein.Server.Tests.Views;

public sealed class SessionListCacheTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 9, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SessionSummary Summary(string id, long version = 3, DateTimeOffset? startedAt = null) =>
        new(id, SessionStatus.Completed, "/work/" + id, "scripted", "title of " + id, startedAt ?? Start, Start, version, null);

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

        Assert.Equal("/work/s1", before["workspace"]!.GetValue<string>());
        Assert.Equal("/elsewhere", after["workspace"]!.GetValue<string>());
        Assert.Equal(2, store.Reads);
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
