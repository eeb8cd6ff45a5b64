using Microsoft.Extensions.Time.Testing;
using Rein.Journal;
using Rein.Testing;

namespace Rein.Memory.Tests;

/// <summary>A memory store in a temporary folder, with a fake clock.</summary>
internal sealed class StoreFixture : IDisposable
{
    private readonly TempDirectory _folder = new("rein-memory");

    public StoreFixture()
    {
        Path = _folder.Combine("data", "memory.db");
        Store = Open();
    }

    public string Path { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 3, 1, 9, 0, 0, TimeSpan.Zero));

    public MemoryStore Store { get; }

    public static MemoryVisibility Alice { get; } = new("alice", "coder", "/work/app");

    public MemoryStore Open() => new(new MemoryStoreOptions { Path = Path, TimeProvider = Time });

    public async Task<MemoryEntry> AddAsync(string text, MemoryScope scope = MemoryScope.Project, MemoryKind kind = MemoryKind.Fact, MemoryVisibility? who = null, string? sessionId = null, int? step = null)
    {
        var key = (who ?? Alice).KeyOf(scope)!;
        var saved = await Store.AddAsync(new MemoryDraft(scope, key, kind, text, new MemoryProvenance(MemoryProvenance.CliSource, sessionId, step)), TestContext.Current.CancellationToken);
        return saved.Entry;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}

/// <summary>Builds session states from events.</summary>
internal static class States
{
    public static SessionState Of(params SessionEvent[] events)
    {
        var all = new List<SessionEvent> { new SessionStarted("s1", "/work/app", "scripted:x", "coder", "alice") };
        all.AddRange(events);
        return SessionState.Fold(all.Select((e, i) => new RecordedEvent(i + 1, DateTimeOffset.UnixEpoch, e)));
    }
}
