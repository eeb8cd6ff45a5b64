using Microsoft.Data.Sqlite;
using Rein.Journal;
using Rein.Testing;

namespace Rein.Storage.Sqlite.Tests;

public sealed class SqliteSessionStoreTests : SessionStoreContractTests, IDisposable
{
    private readonly TempDirectory _temp = new("rein-sqlite");
    private readonly List<SqliteSessionStore> _stores = [];

    private string DatabasePath => _temp.Combine("data", "nested", "rein.db");

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        _temp.Dispose();
    }

    protected override ISessionStore CreateStore(TimeProvider timeProvider) => Track(new SqliteSessionStore(new SqliteSessionStoreOptions { Path = DatabasePath, TimeProvider = timeProvider }));

    protected override async ValueTask PlantWriterAsync(string sessionId, int pid, string host, DateTimeOffset? processStartedAt, DateTimeOffset heartbeatAt)
    {
        // Make sure the schema exists before writing behind the store's back.
        await CreateStore().ListAsync(1, Ct);
        await using var connection = await OpenRawAsync(DatabasePath);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT OR REPLACE INTO session_writers (session_id, owner, pid, host, process_started_at, acquired_at, heartbeat_at)
            VALUES ($id, 'planted', $pid, $host, $started, $at, $at);
            """;
        command.Parameters.AddWithValue("$id", sessionId);
        command.Parameters.AddWithValue("$pid", pid);
        command.Parameters.AddWithValue("$host", host);
        command.Parameters.AddWithValue("$started", processStartedAt is { } s ? SqliteTime.ToText(s) : DBNull.Value);
        command.Parameters.AddWithValue("$at", SqliteTime.ToText(heartbeatAt));
        await command.ExecuteNonQueryAsync(Ct);
    }

    [Fact]
    public async Task Constructor_MissingParentFolders_CreatesThem()
    {
        var store = CreateStore();
        await WithSessionAsync(store, "s1");

        Assert.True(File.Exists(DatabasePath));
        Assert.Equal(DatabasePath, ((SqliteSessionStore)store).Path);
    }

    [Fact]
    public async Task Database_AfterFirstUse_IsInWalModeWithForeignKeys()
    {
        var store = CreateStore();
        await WithSessionAsync(store, "s1");

        await using var connection = await OpenRawAsync(DatabasePath);
        Assert.Equal("wal", await ScalarAsync<string>(connection, "PRAGMA journal_mode;"));
        Assert.True(File.Exists(DatabasePath + "-wal"));
        await using var store2 = await OpenRawViaStoreAsync((SqliteSessionStore)store);
        Assert.Equal(1L, await ScalarAsync<long>(store2, "PRAGMA foreign_keys;"));
        Assert.Equal(2L, await ScalarAsync<long>(store2, "PRAGMA synchronous;"));
    }

    [Fact]
    public async Task Events_AsStored_AreSnakeCaseJsonWithTypeDiscriminator()
    {
        var store = CreateStore();
        await store.AppendAsync("s1", 0, [Started("s1"), new ToolCompleted("c1", "shell", ToolOutcome.Interrupted, "", OriginalLength: 7)], cancellationToken: Ct);

        await using var connection = await OpenRawAsync(DatabasePath);
        Assert.Equal("tool_completed", await ScalarAsync<string>(connection, "SELECT type FROM events WHERE seq = 2;"));
        var json = await ScalarAsync<string>(connection, "SELECT data FROM events WHERE seq = 2;");
        Assert.Contains("\"type\":\"tool_completed\"", json, StringComparison.Ordinal);
        Assert.Contains("\"call_id\":\"c1\"", json, StringComparison.Ordinal);
        Assert.Contains("\"outcome\":\"interrupted\"", json, StringComparison.Ordinal);
        Assert.Contains("\"original_length\":7", json, StringComparison.Ordinal);
        var started = await ScalarAsync<string>(connection, "SELECT data FROM events WHERE seq = 1;");
        Assert.Contains("\"session_id\":\"s1\"", started, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppendAsync_ManySessionsAtOnceWithOneStaleVersion_WritesTheOthersAndRefusesOnlyThatOne()
    {
        var store = CreateStore();
        var ids = Enumerable.Range(0, 40).Select(i => $"s{i}").ToList();
        foreach (var id in ids)
        {
            await store.AppendAsync(id, 0, [Started(id)], cancellationToken: Ct);
        }

        // Appended together, they are written in shared transactions; the stale one must not take the others down with it.
        var appends = ids.Select(id => store.AppendAsync(id, id == "s7" ? 5 : 1, [new UserMessage("hello " + id)], id.EndsWith('3') ? AppendDurability.Written : AppendDurability.Flushed, Ct).AsTask()).ToList();
        var stale = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => appends[7]);

        Assert.Equal("s7", stale.SessionId);
        foreach (var id in ids.Where(id => id != "s7"))
        {
            var recorded = Assert.Single(await appends[ids.IndexOf(id)]);
            Assert.Equal(2, recorded.Sequence);
            Assert.Equal("hello " + id, Assert.IsType<UserMessage>((await store.ReadAsync(id, 1, Ct)).Single().Event).Text);
        }

        Assert.Empty(await store.ReadAsync("s7", 1, Ct));
        Assert.Equal(1, (await store.GetAsync("s7", Ct))!.Version);
    }

    [Fact]
    public async Task Store_DisposedAndReopened_KeepsJournal()
    {
        var first = new SqliteSessionStore(new SqliteSessionStoreOptions { Path = DatabasePath, TimeProvider = Time });
        var appended = await first.AppendAsync("s1", 0, [Started("s1"), new UserMessage("remember me")], cancellationToken: Ct);
        first.Dispose();

        var reopened = CreateStore();
        var read = await reopened.ReadAsync("s1", cancellationToken: Ct);

        Assert.Equal(appended.Select(e => (e.Sequence, e.Timestamp, e.Event)), read.Select(e => (e.Sequence, e.Timestamp, e.Event)));
        Assert.Equal("remember me", (await reopened.GetAsync("s1", Ct))!.Title);
    }

    [Fact]
    public async Task Migrations_RunTwice_AreAppliedOnce()
    {
        await WithSessionAsync(CreateStore(), "s1");
        await using (var connection = await OpenRawAsync(DatabasePath))
        {
            await SqliteMigrator.MigrateAsync(connection, DatabasePath, Ct);
            await SqliteMigrator.MigrateAsync(connection, DatabasePath, Ct);
            Assert.Equal((long)SqliteMigrator.LatestVersion, await ScalarAsync<long>(connection, "SELECT count(*) FROM schema_migrations;"));
            Assert.Equal("0001_init.sql", await ScalarAsync<string>(connection, "SELECT name FROM schema_migrations WHERE version = 1;"));
        }

        var second = CreateStore();
        Assert.Equal(1, (await second.GetAsync("s1", Ct))!.Version);
    }

    [Fact]
    public async Task Migrations_DatabaseFromNewerVersion_ThrowsClearError()
    {
        var path = _temp.Combine("newer.db");
        await using (var connection = await OpenRawAsync(path))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT;
                INSERT INTO schema_migrations VALUES (999, '0999_future.sql', '2030-01-01T00:00:00.0000000Z');
                """;
            await command.ExecuteNonQueryAsync(Ct);
        }

        var store = Track(new SqliteSessionStore(path));

        var e = await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.ListAsync(cancellationToken: Ct));
        Assert.Contains("999", e.Message, StringComparison.Ordinal);
        Assert.Contains("newer", e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AcquireWriterAsync_WhileHeld_RefreshesHeartbeat()
    {
        var store = CreateStore();
        await using var lease = await store.AcquireWriterAsync("s1", Ct);
        await using var connection = await OpenRawAsync(DatabasePath);
        Time.Advance(TimeSpan.FromSeconds(10));
        var expected = SqliteTime.ToText(Time.GetUtcNow());

        // The heartbeat runs on the timer's callback; wait for it without assuming how long it takes.
        while (await ScalarAsync<string>(connection, "SELECT heartbeat_at FROM session_writers WHERE session_id = 's1';") != expected)
        {
            await Task.Delay(10, Ct);
        }

        await lease.DisposeAsync();
        Assert.Equal(0L, await ScalarAsync<long>(connection, "SELECT count(*) FROM session_writers;"));
    }

    [Fact]
    public async Task AcquireWriterAsync_LeaseTakenOverThenDisposed_DoesNotDeleteNewHoldersRow()
    {
        var store = CreateStore();
        var lease = await store.AcquireWriterAsync("s1", Ct);
        await PlantWriterAsync("s1", 4242, "other-host", null, Time.GetUtcNow());

        await lease.DisposeAsync();

        var e = await Assert.ThrowsAsync<SessionBusyException>(async () => await store.AcquireWriterAsync("s1", Ct));
        Assert.Equal("4242@other-host", e.Owner);
    }

    [Fact]
    public void DefaultPath_IsUnderTheUsersDataFolder()
    {
        var path = SqliteSessionStore.DefaultPath;

        Assert.True(Path.IsPathRooted(path));
        Assert.EndsWith(Path.Combine("rein", "rein.db"), path, StringComparison.Ordinal);
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (OperatingSystem.IsLinux() && !string.IsNullOrEmpty(xdg))
        {
            Assert.StartsWith(xdg, path, StringComparison.Ordinal);
        }
        else if (OperatingSystem.IsLinux())
        {
            Assert.Contains(Path.Combine(".local", "share"), path, StringComparison.Ordinal);
        }
    }

    private SqliteSessionStore Track(SqliteSessionStore store)
    {
        _stores.Add(store);
        return store;
    }

    private static async Task<SqliteConnection> OpenRawAsync(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync(Ct);
        return connection;
    }

    private static async Task<SqliteConnection> OpenRawViaStoreAsync(SqliteSessionStore store) => await store.OpenAsync(Ct);

    private static async Task<T> ScalarAsync<T>(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }
}
