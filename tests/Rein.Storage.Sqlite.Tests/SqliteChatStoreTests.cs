using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Rein.Chat;
using Rein.Testing;

namespace Rein.Storage.Sqlite.Tests;

public sealed class SqliteChatStoreTests : IDisposable
{
    private const string SlackThread = "slack:T1/C1/1700000000.000100";

    private readonly TempDirectory _temp = new("rein-sqlite-chat");
    private readonly List<SqliteChatStore> _stores = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    private string DatabasePath => _temp.Combine("rein.db");

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        _temp.Dispose();
    }

    [Fact]
    public async Task TryRecordDeliveryAsync_SameKeyTwice_TrueOnlyTheFirstTime()
    {
        var store = CreateStore();

        Assert.True(await store.TryRecordDeliveryAsync("slack:event:Ev1", Ct));
        Assert.False(await store.TryRecordDeliveryAsync("slack:event:Ev1", Ct));
        Assert.True(await store.TryRecordDeliveryAsync("telegram:update:42", Ct));
        Assert.False(await CreateStore().TryRecordDeliveryAsync("slack:event:Ev1", Ct));
    }

    [Fact]
    public async Task TryRecordDeliveryAsync_TwentyAtOnce_ExactlyOneTrue()
    {
        var stores = new[] { CreateStore(), CreateStore() };

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            Task.Run(async () => await stores[i % 2].TryRecordDeliveryAsync("slack:event:Ev1", Ct), Ct)));

        Assert.Single(results, r => r);
    }

    [Fact]
    public async Task TryRecordDeliveryAsync_AfterADay_IsForgotten()
    {
        var store = CreateStore();
        await store.TryRecordDeliveryAsync("slack:event:Ev1", Ct);

        Time.Advance(TimeSpan.FromDays(1));
        Assert.False(await store.TryRecordDeliveryAsync("slack:event:Ev1", Ct));

        Time.Advance(TimeSpan.FromTicks(1));
        Assert.True(await store.TryRecordDeliveryAsync("slack:event:Ev1", Ct));
        Assert.False(await store.TryRecordDeliveryAsync("slack:event:Ev1", Ct));
    }

    [Fact]
    public async Task TryRecordDeliveryAsync_OldKeys_ArePruned()
    {
        await CreateStore().TryRecordDeliveryAsync("slack:event:Old", Ct);
        Time.Advance(TimeSpan.FromHours(25));

        // A new store prunes on its first call.
        await CreateStore().TryRecordDeliveryAsync("slack:event:New", Ct);

        Assert.Equal(["slack:event:New"], await ReadColumnAsync("SELECT key FROM chat_deliveries;"));
    }

    [Fact]
    public async Task SetConversationAsync_ThenGetReplaceAndForget_RoundTrips()
    {
        var store = CreateStore();
        Assert.Null(await store.GetConversationAsync(SlackThread, Ct));

        await store.SetConversationAsync(SlackThread, "s1", Ct);
        await store.SetConversationAsync("telegram:12345", "s2", Ct);
        Assert.Equal("s1", await store.GetConversationAsync(SlackThread, Ct));

        await store.SetConversationAsync(SlackThread, "s3", Ct);
        Assert.Equal("s3", await store.GetConversationAsync(SlackThread, Ct));

        Assert.True(await store.ForgetConversationAsync(SlackThread, Ct));
        Assert.False(await store.ForgetConversationAsync(SlackThread, Ct));
        Assert.Null(await store.GetConversationAsync(SlackThread, Ct));
        Assert.Equal("s2", await store.GetConversationAsync("telegram:12345", Ct));
    }

    [Fact]
    public async Task FollowAsync_SessionAlreadyFollowed_KeepsItsRow()
    {
        var store = CreateStore();

        await store.FollowAsync("s2", "telegram:12345", 0, Ct);
        await store.FollowAsync("s1", SlackThread, 5, Ct);
        await store.FollowAsync("s1", "telegram:999", 1, Ct);

        Assert.Equal([new ChatFollow("s1", SlackThread, 5), new ChatFollow("s2", "telegram:12345", 0)], await store.ListFollowedAsync(Ct));
    }

    [Fact]
    public async Task AdvanceAsync_LowerValue_NeverMovesBackwards()
    {
        var store = CreateStore();
        await store.FollowAsync("s1", SlackThread, 5, Ct);

        await store.AdvanceAsync("s1", 9, Ct);
        await store.AdvanceAsync("s1", 7, Ct);
        await store.AdvanceAsync("not-followed", 3, Ct);

        Assert.Equal([new ChatFollow("s1", SlackThread, 9)], await store.ListFollowedAsync(Ct));
    }

    [Fact]
    public async Task SaveApprovalMessageAsync_ThenFind_ByTokenAndByCall()
    {
        var store = CreateStore();
        var message = new ChatApprovalMessage("tok1", "s1", "call1", SlackThread, "C1/1700000000.000200");
        await store.SaveApprovalMessageAsync(message, Ct);
        await store.SaveApprovalMessageAsync(new ChatApprovalMessage("tok2", "s1", "call2", "telegram:12345", "12345/678"), Ct);

        Assert.Equal(message, await store.FindApprovalMessageAsync("tok1", Ct));
        Assert.Equal(message, await store.FindApprovalMessageAsync("s1", "call1", Ct));
        Assert.Null(await store.FindApprovalMessageAsync("tok3", Ct));
        Assert.Null(await store.FindApprovalMessageAsync("s2", "call1", Ct));
    }

    [Fact]
    public async Task SaveApprovalMessageAsync_SameSessionAndCall_ReplacesTheOlderMessage()
    {
        var store = CreateStore();
        await store.SaveApprovalMessageAsync(new ChatApprovalMessage("tok1", "s1", "call1", SlackThread, "C1/1700000000.000200"), Ct);
        var newer = new ChatApprovalMessage("tok2", "s1", "call1", "telegram:12345", "12345/678");

        await store.SaveApprovalMessageAsync(newer, Ct);

        Assert.Null(await store.FindApprovalMessageAsync("tok1", Ct));
        Assert.Equal(newer, await store.FindApprovalMessageAsync("tok2", Ct));
        Assert.Equal(newer, await store.FindApprovalMessageAsync("s1", "call1", Ct));
    }

    [Fact]
    public async Task SaveApprovalMessageAsync_SameToken_ReplacesTheMessage()
    {
        var store = CreateStore();
        await store.SaveApprovalMessageAsync(new ChatApprovalMessage("tok1", "s1", "call1", SlackThread, "C1/1700000000.000200"), Ct);
        var newer = new ChatApprovalMessage("tok1", "s1", "call1", SlackThread, "C1/1700000000.000300");

        await store.SaveApprovalMessageAsync(newer, Ct);

        Assert.Equal(newer, await store.FindApprovalMessageAsync("tok1", Ct));
        Assert.Equal(["tok1"], await ReadColumnAsync("SELECT token FROM chat_approval_messages;"));
    }

    [Fact]
    public async Task Store_DisposedAndReopened_RemembersEverything()
    {
        var first = new SqliteChatStore(new SqliteSessionStoreOptions { Path = DatabasePath, TimeProvider = Time });
        var message = new ChatApprovalMessage("tok1", "s1", "call1", SlackThread, "C1/1700000000.000200");
        await first.TryRecordDeliveryAsync("slack:event:Ev1", Ct);
        await first.SetConversationAsync(SlackThread, "s1", Ct);
        await first.FollowAsync("s1", SlackThread, 3, Ct);
        await first.AdvanceAsync("s1", 8, Ct);
        await first.SaveApprovalMessageAsync(message, Ct);
        first.Dispose();

        var reopened = CreateStore();

        Assert.False(await reopened.TryRecordDeliveryAsync("slack:event:Ev1", Ct));
        Assert.Equal("s1", await reopened.GetConversationAsync(SlackThread, Ct));
        Assert.Equal([new ChatFollow("s1", SlackThread, 8)], await reopened.ListFollowedAsync(Ct));
        Assert.Equal(message, await reopened.FindApprovalMessageAsync("s1", "call1", Ct));
    }

    [Fact]
    public async Task Store_OnADatabaseAtMigration3_UpgradesItAndKeepsItsRows()
    {
        var path = _temp.Combine("v3.db");
        await using (var connection = await OpenRawAsync(path))
        {
            await ExecuteAsync(connection, "CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT;");
            foreach (var (version, name, sql) in SqliteMigrator.Migrations.Where(m => m.Version <= 3))
            {
                await ExecuteAsync(connection, sql);
                await ExecuteAsync(connection, $"INSERT INTO schema_migrations VALUES ({version}, '{name}', '2026-01-01T00:00:00.0000000Z');");
            }

            await ExecuteAsync(connection, "INSERT INTO principals (name, role, created_at, version) VALUES ('alice', 'owner', '2026-01-01T00:00:00.0000000Z', 1);");
        }

        var store = new SqliteChatStore(new SqliteSessionStoreOptions { Path = path, TimeProvider = Time });
        _stores.Add(store);
        using var principals = new SqlitePrincipalStore(new SqliteSessionStoreOptions { Path = path, TimeProvider = Time });

        await store.SetConversationAsync("telegram:12345", "s1", Ct);

        Assert.Equal("s1", await store.GetConversationAsync("telegram:12345", Ct));
        Assert.NotNull(await principals.GetAsync("alice", Ct));
        await using var upgraded = await OpenRawAsync(path);
        await using var command = upgraded.CreateCommand();
        command.CommandText = "SELECT name FROM schema_migrations WHERE version = 4;";
        Assert.Equal("0004_chat.sql", await command.ExecuteScalarAsync(Ct));
    }

    private SqliteChatStore CreateStore()
    {
        var store = new SqliteChatStore(new SqliteSessionStoreOptions { Path = DatabasePath, TimeProvider = Time });
        _stores.Add(store);
        return store;
    }

    private async Task<List<string>> ReadColumnAsync(string sql)
    {
        await using var connection = await OpenRawAsync(DatabasePath);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var result = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            result.Add(reader.GetString(0));
        }

        return result;
    }

    private static async Task<SqliteConnection> OpenRawAsync(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync(Ct);
        return connection;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(Ct);
    }
}
