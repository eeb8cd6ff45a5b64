using Microsoft.Data.Sqlite;

namespace Rein.Memory.Tests;

public sealed class MemoryStoreTests : IDisposable
{
    private readonly StoreFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    private MemoryStore Store => _fixture.Store;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AddAsync_NewText_StoresScopeKindTimesAndProvenance()
    {
        var entry = await _fixture.AddAsync("  The build uses make, not npm.  ", MemoryScope.Project, MemoryKind.Fact, sessionId: "s42", step: 3);

        Assert.Matches("^m_[0-9a-hjkmnp-tv-z]{10}$", entry.Id);
        Assert.Equal(MemoryScope.Project, entry.Scope);
        Assert.Equal("/work/app", entry.ScopeKey);
        Assert.Equal(MemoryKind.Fact, entry.Kind);
        Assert.Equal("The build uses make, not npm.", entry.Text);
        Assert.Equal(_fixture.Time.GetUtcNow(), entry.CreatedAt);
        Assert.Equal(entry.CreatedAt, entry.UpdatedAt);
        Assert.Equal(new MemoryProvenance("cli", "s42", 3), entry.Provenance);
        Assert.Equal(entry, await Store.GetAsync(entry.Id, Ct));
    }

    [Fact]
    public async Task AddAsync_SameTextSameScope_UpdatesInsteadOfDuplicating()
    {
        var first = await _fixture.AddAsync("Use tabs in Makefiles", sessionId: "s1", step: 1);
        _fixture.Time.Advance(TimeSpan.FromMinutes(5));

        var again = await Store.AddAsync(
            new MemoryDraft(MemoryScope.Project, "/work/app", MemoryKind.Preference, "use  TABS in makefiles.", new MemoryProvenance("tool", "s2", 7)) { Tags = ["Style"] },
            Ct);

        Assert.False(again.Created);
        Assert.Equal(first.Id, again.Entry.Id);
        Assert.Equal(MemoryKind.Preference, again.Entry.Kind);
        Assert.Equal(["style"], again.Entry.Tags);
        Assert.Equal(first.CreatedAt, again.Entry.CreatedAt);
        Assert.Equal(first.CreatedAt.AddMinutes(5), again.Entry.UpdatedAt);
        Assert.Equal(first.Provenance, again.Entry.Provenance);
        Assert.Single(await Store.ListAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task AddAsync_SameTextOtherScope_StoresSeparately()
    {
        var project = await _fixture.AddAsync("Prefer small commits", MemoryScope.Project);
        var user = await _fixture.AddAsync("Prefer small commits", MemoryScope.User);

        Assert.NotEqual(project.Id, user.Id);
        Assert.Equal(2, (await Store.ListAsync(cancellationToken: Ct)).Count);
    }

    [Fact]
    public async Task AddAsync_EmptyOrTooLongText_Throws()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _fixture.AddAsync("   "));
        await Assert.ThrowsAsync<ArgumentException>(() => _fixture.AddAsync(new string('x', MemoryStore.MaxTextLength + 1)));
    }

    [Fact]
    public async Task SearchAsync_SeveralMatches_RanksByBm25()
    {
        var weak = await _fixture.AddAsync("The release notes live in docs and mention the database once.");
        var strong = await _fixture.AddAsync("Database migrations: run the database migration tool before database tests.");
        await _fixture.AddAsync("Unrelated: the logo is blue.");

        var matches = await Store.SearchAsync("database migrations", StoreFixture.Alice.Scopes, cancellationToken: Ct);

        Assert.Equal([strong.Id, weak.Id], matches.Select(m => m.Entry.Id));
        Assert.True(matches[0].Rank < matches[1].Rank, "BM25 ranks are lower for better matches");
    }

    [Fact]
    public async Task SearchAsync_StemmedWords_Match()
    {
        var entry = await _fixture.AddAsync("Tests are run with dotnet test");

        var matches = await Store.SearchAsync("running the testing suite", StoreFixture.Alice.Scopes, cancellationToken: Ct);

        Assert.Equal(entry.Id, Assert.Single(matches).Entry.Id);
    }

    [Fact]
    public async Task SearchAsync_OtherUsersAgentsAndProjects_AreNotVisible()
    {
        var bob = new MemoryVisibility("bob", "reviewer", "/work/other");
        var mine = new[]
        {
            await _fixture.AddAsync("deploy with kubectl (user)", MemoryScope.User),
            await _fixture.AddAsync("deploy with kubectl (agent)", MemoryScope.Agent),
            await _fixture.AddAsync("deploy with kubectl (project)", MemoryScope.Project),
        };
        await _fixture.AddAsync("deploy with kubectl (bob user)", MemoryScope.User, who: bob);
        await _fixture.AddAsync("deploy with kubectl (bob agent)", MemoryScope.Agent, who: bob);
        await _fixture.AddAsync("deploy with kubectl (bob project)", MemoryScope.Project, who: bob);

        var matches = await Store.SearchAsync("kubectl", StoreFixture.Alice.Scopes, cancellationToken: Ct);
        var noAgent = await Store.SearchAsync("kubectl", (StoreFixture.Alice with { Agent = null }).Scopes, cancellationToken: Ct);

        Assert.Equal(mine.Select(m => m.Id).Order(), matches.Select(m => m.Entry.Id).Order());
        Assert.Equal(new[] { mine[0].Id, mine[2].Id }.Order(), noAgent.Select(m => m.Entry.Id).Order());
        Assert.Equal(3, (await Store.ListAsync(bob.Scopes, cancellationToken: Ct)).Count);
        Assert.Equal(6, (await Store.ListAsync(cancellationToken: Ct)).Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\"")]
    [InlineData("the and of")]
    [InlineData("!!! ??? ***")]
    [InlineData("NEAR(")]
    [InlineData("deploy AND")]
    [InlineData("text:deploy")]
    [InlineData("deploy*")]
    [InlineData("-deploy")]
    [InlineData("\"deploy")]
    [InlineData("'; DROP TABLE memories; --")]
    [InlineData("^deploy OR NOT {text}:x")]
    public async Task SearchAsync_FtsSyntaxOrGarbage_NoErrorAndNoInjection(string query)
    {
        var entry = await _fixture.AddAsync("Deploy with the release script");

        var matches = await Store.SearchAsync(query, StoreFixture.Alice.Scopes, cancellationToken: Ct);

        // Words in the query are searched as plain terms; operators and punctuation do nothing.
        var expected = query.Contains("deploy", StringComparison.OrdinalIgnoreCase) ? 1 : 0;
        Assert.Equal(expected, matches.Count);
        Assert.Equal(entry, await Store.GetAsync(entry.Id, Ct));
    }

    [Fact]
    public async Task ListAsync_KindFilterAndOrder_PreferencesFirstThenNewest()
    {
        var old = await _fixture.AddAsync("old fact");
        _fixture.Time.Advance(TimeSpan.FromSeconds(1));
        var preference = await _fixture.AddAsync("answer in British English", MemoryScope.User, MemoryKind.Preference);
        _fixture.Time.Advance(TimeSpan.FromSeconds(1));
        var recent = await _fixture.AddAsync("new fact");

        var all = await Store.ListAsync(StoreFixture.Alice.Scopes, cancellationToken: Ct);
        var preferences = await Store.ListAsync(StoreFixture.Alice.Scopes, MemoryKind.Preference, Ct);

        Assert.Equal([preference.Id, recent.Id, old.Id], all.Select(e => e.Id));
        Assert.Equal([preference.Id], preferences.Select(e => e.Id));
    }

    [Fact]
    public async Task UpdateTextAsync_NewText_ReindexesAndKeepsIdentity()
    {
        var entry = await _fixture.AddAsync("CI runs on Jenkins", sessionId: "s1");
        _fixture.Time.Advance(TimeSpan.FromHours(1));

        var updated = await Store.UpdateTextAsync(entry.Id, "CI runs on GitHub Actions", Ct);

        Assert.NotNull(updated);
        Assert.Equal(entry.Id, updated.Id);
        Assert.Equal(entry.Provenance, updated.Provenance);
        Assert.Equal(entry.CreatedAt.AddHours(1), updated.UpdatedAt);
        Assert.Empty(await Store.SearchAsync("jenkins", StoreFixture.Alice.Scopes, cancellationToken: Ct));
        Assert.Single(await Store.SearchAsync("actions", StoreFixture.Alice.Scopes, cancellationToken: Ct));
        Assert.Null(await Store.UpdateTextAsync("m_unknown000", "x", Ct));
    }

    [Fact]
    public async Task UpdateTextAsync_TextOfAnotherMemory_Throws()
    {
        await _fixture.AddAsync("one");
        var two = await _fixture.AddAsync("two");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await Store.UpdateTextAsync(two.Id, "One", Ct));
        Assert.Contains("already says this", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RemoveAsync_Existing_RemovesFromIndex()
    {
        var entry = await _fixture.AddAsync("The staging host is stage-3");

        Assert.True(await Store.RemoveAsync(entry.Id, Ct));
        Assert.False(await Store.RemoveAsync(entry.Id, Ct));
        Assert.Null(await Store.GetAsync(entry.Id, Ct));
        Assert.Empty(await Store.SearchAsync("staging", StoreFixture.Alice.Scopes, cancellationToken: Ct));
    }

    [Fact]
    public async Task TwoStores_SameFileConcurrentWrites_AllKeptAndVisibleToBoth()
    {
        var other = _fixture.Open();
        var writes = Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? Store : other).AddAsync(
            new MemoryDraft(MemoryScope.Project, "/work/app", MemoryKind.Fact, $"parallel fact number {i}", new MemoryProvenance("tool", $"s{i}")), Ct).AsTask());
        // The same text written from both at once still ends up once.
        var duplicates = Enumerable.Range(0, 10).Select(i => (i % 2 == 0 ? Store : other).AddAsync(
            new MemoryDraft(MemoryScope.Project, "/work/app", MemoryKind.Fact, "written twice", new MemoryProvenance("tool")), Ct).AsTask());

        var saved = await Task.WhenAll(writes.Concat(duplicates));

        Assert.Equal(41, saved.Select(s => s.Entry.Id).Distinct().Count());
        Assert.Equal(41, (await Store.ListAsync(cancellationToken: Ct)).Count);
        Assert.Equal(41, (await other.ListAsync(cancellationToken: Ct)).Count);
        Assert.Single(await other.SearchAsync("twice", StoreFixture.Alice.Scopes, cancellationToken: Ct));
    }

    [Fact]
    public async Task Open_DatabaseFromNewerVersion_Throws()
    {
        await _fixture.AddAsync("x");
        using (var connection = new SqliteConnection($"Data Source={_fixture.Path}"))
        {
            await connection.OpenAsync(Ct);
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO memory_schema (version, applied_at) VALUES (99, 'later');";
            await command.ExecuteNonQueryAsync(Ct);
        }

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await _fixture.Open().ListAsync(cancellationToken: Ct));
        Assert.Contains("schema version 99", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_NewFile_IsWalWithFts5AndSchemaVersion()
    {
        await _fixture.AddAsync("x");
        using var connection = new SqliteConnection($"Data Source={_fixture.Path}");
        await connection.OpenAsync(Ct);
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode; ";
        Assert.Equal("wal", await command.ExecuteScalarAsync(Ct));
        command.CommandText = "SELECT sqlite_compileoption_used('ENABLE_FTS5');";
        Assert.Equal(1L, await command.ExecuteScalarAsync(Ct));
        command.CommandText = "SELECT max(version) FROM memory_schema;";
        Assert.Equal((long)MemoryStore.SchemaVersion, await command.ExecuteScalarAsync(Ct));
    }
}
