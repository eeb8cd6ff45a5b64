using Rein.Identity;
using Rein.Testing;

namespace Rein.Storage.Sqlite.Tests;

public sealed class SqlitePrincipalStoreTests : PrincipalStoreContractTests, IDisposable
{
    private readonly TempDirectory _temp = new("rein-sqlite-principals");
    private readonly List<SqlitePrincipalStore> _stores = [];

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        _temp.Dispose();
    }

    protected override IPrincipalStore CreateStore()
    {
        var store = new SqlitePrincipalStore(new SqliteSessionStoreOptions { Path = _temp.Combine("rein.db"), TimeProvider = Time });
        _stores.Add(store);
        return store;
    }

    [Fact]
    public async Task Store_SharesTheSessionDatabase_SessionsAndPrincipalsLiveSideBySide()
    {
        using var sessions = new SqliteSessionStore(_temp.Combine("rein.db"));
        await sessions.AppendAsync("s1", 0, [new Journal.SessionStarted("s1", "/ws", "scripted:x")], cancellationToken: Ct);

        await CreateStore().AddAsync(new PrincipalRecord("alice", PrincipalRole.Viewer, Time.GetUtcNow()), Ct);

        Assert.Single(await sessions.ListAsync(cancellationToken: Ct));
        Assert.NotNull(await CreateStore().GetAsync("alice", Ct));
    }
}
