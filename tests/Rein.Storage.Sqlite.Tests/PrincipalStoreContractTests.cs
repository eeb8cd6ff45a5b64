using Microsoft.Extensions.Time.Testing;
using Rein.Identity;

namespace Rein.Storage.Sqlite.Tests;

/// <summary>
/// The behaviour every <see cref="IPrincipalStore"/> must have, on its own and under <see cref="PrincipalDirectory"/>
/// (role checks, token authentication). A store subclasses this and supplies the factory.
/// </summary>
public abstract class PrincipalStoreContractTests
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    /// <summary>Creates a store over this test's database; several calls share the same database.</summary>
    protected abstract IPrincipalStore CreateStore();

    private static readonly PrincipalRecord Owner = new("root", PrincipalRole.Owner, DateTimeOffset.UnixEpoch);

    private PrincipalDirectory CreateDirectory() => new(CreateStore(), Time);

    [Fact]
    public async Task AddAsync_ThenGetAndList_RoundTripsNameRoleAndTime()
    {
        var store = CreateStore();
        var alice = new PrincipalRecord("alice", PrincipalRole.Operator, Time.GetUtcNow());

        await store.AddAsync(alice, Ct);
        await store.AddAsync(new PrincipalRecord("bob", PrincipalRole.Viewer, Time.GetUtcNow()), Ct);

        Assert.Equal(alice, await CreateStore().GetAsync("alice", Ct));
        Assert.Null(await store.GetAsync("Alice", Ct));
        Assert.Equal(["alice", "bob"], (await store.ListAsync(Ct)).Select(p => p.Name));
    }

    [Fact]
    public async Task AddAsync_NameTaken_ThrowsAndKeepsTheFirst()
    {
        var store = CreateStore();
        await store.AddAsync(new PrincipalRecord("alice", PrincipalRole.Operator, Time.GetUtcNow()), Ct);

        await Assert.ThrowsAsync<PrincipalException>(async () => await store.AddAsync(new PrincipalRecord("alice", PrincipalRole.Owner, Time.GetUtcNow()), Ct));

        Assert.Equal(PrincipalRole.Operator, (await store.GetAsync("alice", Ct))!.Role);
    }

    [Fact]
    public async Task AddTokenAsync_UnknownPrincipal_Throws()
    {
        var store = CreateStore();

        await Assert.ThrowsAsync<PrincipalException>(async () =>
            await store.AddTokenAsync(new ApiTokenRecord("0123456789ab", "nobody", ApiTokens.Hash("x"), Time.GetUtcNow()), Ct));
    }

    [Fact]
    public async Task RemoveAsync_RemovesThePrincipalAndItsTokens()
    {
        var directory = CreateDirectory();
        var issued = await directory.AddAsync(Owner, "alice", PrincipalRole.Operator, Ct);
        ApiTokens.TryGetPrefix(issued.Token, out var prefix);

        await directory.RemoveAsync(Owner, "alice", Ct);

        Assert.Null(await CreateStore().GetAsync("alice", Ct));
        Assert.Null(await CreateStore().FindTokenAsync(prefix, Ct));
        Assert.Null(await directory.AuthenticateAsync(issued.Token, Ct));
        Assert.False(await CreateStore().RemoveAsync("alice", Ct));
    }

    [Fact]
    public async Task AddAsync_StoresOnlyThePrefixAndHashOfTheToken()
    {
        var issued = await CreateDirectory().AddAsync(Owner, "alice", PrincipalRole.Operator, Ct);

        Assert.True(ApiTokens.TryGetPrefix(issued.Token, out var prefix));
        var stored = await CreateStore().FindTokenAsync(prefix, Ct);
        Assert.NotNull(stored);
        Assert.Equal("alice", stored.Principal);
        Assert.Equal(ApiTokens.Hash(issued.Token), stored.Hash);
        Assert.DoesNotContain(issued.Token[(prefix.Length + 6)..], stored.Hash, StringComparison.Ordinal);
        Assert.Null(stored.RevokedAt);
    }

    [Fact]
    public async Task AuthenticateAsync_RightToken_IsThePrincipal()
    {
        var directory = CreateDirectory();
        var issued = await directory.AddAsync(Owner, "alice", PrincipalRole.Operator, Ct);

        var principal = await directory.AuthenticateAsync(issued.Token, Ct);

        Assert.Equal("alice", principal?.Name);
        Assert.Equal(PrincipalRole.Operator, principal?.Role);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a token")]
    [InlineData("rein_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task AuthenticateAsync_MalformedOrUnknownToken_IsNobody(string token)
    {
        var directory = CreateDirectory();
        await directory.AddAsync(Owner, "alice", PrincipalRole.Operator, Ct);

        Assert.Null(await directory.AuthenticateAsync(token, Ct));
    }

    [Fact]
    public async Task AuthenticateAsync_KnownPrefixWrongSecret_IsNobody()
    {
        var directory = CreateDirectory();
        var issued = await directory.AddAsync(Owner, "alice", PrincipalRole.Operator, Ct);
        var last = issued.Token[^1];
        var wrong = issued.Token[..^1] + (last == 'A' ? 'B' : 'A');

        Assert.Null(await directory.AuthenticateAsync(wrong, Ct));
    }

    [Fact]
    public async Task RevokeTokensAsync_AllTokensStopWorking_ANewOneWorks()
    {
        var directory = CreateDirectory();
        var first = await directory.AddAsync(Owner, "alice", PrincipalRole.Operator, Ct);
        var second = await directory.IssueTokenAsync(Owner, "alice", Ct);
        Assert.NotNull(await directory.AuthenticateAsync(first.Token, Ct));

        Time.Advance(TimeSpan.FromMinutes(5));
        var revoked = await directory.RevokeTokensAsync(Owner, "alice", Ct);

        Assert.Equal(2, revoked);
        Assert.Null(await directory.AuthenticateAsync(first.Token, Ct));
        Assert.Null(await directory.AuthenticateAsync(second.Token, Ct));
        ApiTokens.TryGetPrefix(first.Token, out var prefix);
        Assert.Equal(Time.GetUtcNow(), (await CreateStore().FindTokenAsync(prefix, Ct))?.RevokedAt);
        var third = await directory.IssueTokenAsync(Owner, "alice", Ct);
        Assert.Equal("alice", (await directory.AuthenticateAsync(third.Token, Ct))?.Name);
    }

    [Theory]
    [InlineData(PrincipalRole.Operator)]
    [InlineData(PrincipalRole.Viewer)]
    public async Task Directory_NotAnOwner_MayNotManagePrincipals(PrincipalRole role)
    {
        var directory = CreateDirectory();
        await directory.AddAsync(Owner, "alice", role, Ct);
        var alice = new PrincipalRecord("alice", role, Time.GetUtcNow());

        await Assert.ThrowsAsync<PrincipalForbiddenException>(async () => await directory.AddAsync(alice, "mallory", PrincipalRole.Owner, Ct));
        await Assert.ThrowsAsync<PrincipalForbiddenException>(async () => await directory.IssueTokenAsync(alice, "alice", Ct));
        await Assert.ThrowsAsync<PrincipalForbiddenException>(async () => await directory.RevokeTokensAsync(alice, "alice", Ct));
        await Assert.ThrowsAsync<PrincipalForbiddenException>(async () => await directory.RemoveAsync(alice, "root", Ct));
        await Assert.ThrowsAsync<PrincipalForbiddenException>(async () => await directory.ListAsync(alice, Ct));
        Assert.Null(await CreateStore().GetAsync("mallory", Ct));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-alice")]
    [InlineData("al ice")]
    [InlineData("alice/../bob")]
    public async Task Directory_InvalidName_IsRefused(string name)
    {
        await Assert.ThrowsAsync<PrincipalException>(async () => await CreateDirectory().AddAsync(Owner, name, PrincipalRole.Viewer, Ct));

        Assert.Empty(await CreateStore().ListAsync(Ct));
    }

    [Fact]
    public async Task EnsureLocalOwnerAsync_AddsTheOwnerOnceAndItCannotRemoveItself()
    {
        var directory = CreateDirectory();

        var owner = await directory.EnsureLocalOwnerAsync("root", Ct);
        await directory.EnsureLocalOwnerAsync("root", Ct);

        Assert.Equal(PrincipalRole.Owner, owner.Role);
        Assert.Equal(PrincipalRole.Owner, Assert.Single(await CreateStore().ListAsync(Ct)).Role);
        await Assert.ThrowsAsync<PrincipalException>(async () => await directory.RemoveAsync(owner, "root", Ct));
        var token = await directory.IssueTokenAsync(owner, "root", Ct);
        Assert.Equal("root", (await directory.AuthenticateAsync(token.Token, Ct))?.Name);
    }

    [Fact]
    public async Task LinkAsync_ThenFindByIdentity_IsThePrincipalWhateverTheSurfaceCase()
    {
        var directory = CreateDirectory();
        await directory.AddAsync(Owner, "alice", PrincipalRole.Operator, Ct);

        var linked = await directory.LinkAsync(Owner, "alice", ["Slack:U024BE7LH", "telegram:123456789", "slack:U024BE7LH"], Ct);

        Assert.Equal(["slack:U024BE7LH", "telegram:123456789"], linked);
        Assert.Equal("alice", (await directory.FindByIdentityAsync("SLACK:U024BE7LH", Ct))?.Name);
        Assert.Equal("alice", (await directory.FindByIdentityAsync("telegram:123456789", Ct))?.Name);
        Assert.Null(await directory.FindByIdentityAsync("slack:u024be7lh", Ct));
        Assert.Null(await directory.FindByIdentityAsync("telegram:1", Ct));
    }

    [Fact]
    public async Task LinkAsync_AccountOfAnotherPrincipal_ThrowsAndLinksNothing()
    {
        var directory = CreateDirectory();
        await directory.AddAsync(Owner, "alice", PrincipalRole.Operator, Ct);
        await directory.AddAsync(Owner, "bob", PrincipalRole.Operator, Ct);
        await directory.LinkAsync(Owner, "alice", ["slack:UA"], Ct);

        var error = await Assert.ThrowsAsync<PrincipalException>(async () => await directory.LinkAsync(Owner, "bob", ["telegram:1", "slack:UA"], Ct));

        Assert.Contains("linked to alice", error.Message, StringComparison.Ordinal);
        Assert.Empty(await directory.IdentitiesAsync(Owner, "bob", Ct));
        Assert.Null(await directory.FindByIdentityAsync("telegram:1", Ct));
        Assert.Equal("alice", (await directory.FindByIdentityAsync("slack:UA", Ct))?.Name);
    }

    [Theory]
    [InlineData("slack")]
    [InlineData(":U1")]
    [InlineData("slack:")]
    [InlineData("sl ack:U1")]
    [InlineData("1slack:U1")]
    [InlineData("slack:U 1")]
    [InlineData("slack:U1\n")]
    public async Task LinkAsync_MalformedAccount_IsRefused(string identity)
    {
        var directory = CreateDirectory();
        await directory.AddAsync(Owner, "alice", PrincipalRole.Operator, Ct);

        await Assert.ThrowsAsync<PrincipalException>(async () => await directory.LinkAsync(Owner, "alice", ["slack:OK", identity], Ct));

        Assert.Empty(await directory.IdentitiesAsync(Owner, "alice", Ct));
        Assert.Null(await directory.FindByIdentityAsync(identity, Ct));
    }

    [Fact]
    public async Task UnlinkAndRemove_AccountsStopActingAsThePrincipal()
    {
        var directory = CreateDirectory();
        await directory.AddAsync(Owner, "alice", PrincipalRole.Operator, Ct);
        await directory.LinkAsync(Owner, "alice", ["slack:UA", "telegram:7"], Ct);

        Assert.Equal(["telegram:7"], await directory.UnlinkAsync(Owner, "alice", ["slack:UA"], Ct));
        await Assert.ThrowsAsync<PrincipalException>(async () => await directory.UnlinkAsync(Owner, "alice", ["slack:UA"], Ct));
        await directory.RemoveAsync(Owner, "alice", Ct);

        Assert.Null(await directory.FindByIdentityAsync("slack:UA", Ct));
        Assert.Null(await CreateStore().FindByIdentityAsync("telegram:7", Ct));
    }

    [Theory]
    [InlineData(PrincipalRole.Operator)]
    [InlineData(PrincipalRole.Viewer)]
    public async Task Directory_NotAnOwner_MayNotLinkAccounts(PrincipalRole role)
    {
        var directory = CreateDirectory();
        await directory.AddAsync(Owner, "alice", role, Ct);
        var alice = new PrincipalRecord("alice", role, Time.GetUtcNow());

        await Assert.ThrowsAsync<PrincipalForbiddenException>(async () => await directory.LinkAsync(alice, "alice", ["slack:UA"], Ct));
        await Assert.ThrowsAsync<PrincipalForbiddenException>(async () => await directory.UnlinkAsync(alice, "alice", ["slack:UA"], Ct));

        Assert.Null(await directory.FindByIdentityAsync("slack:UA", Ct));
    }

    [Fact]
    public async Task LinkAsync_UnknownPrincipal_Throws()
    {
        await Assert.ThrowsAsync<PrincipalException>(async () => await CreateDirectory().LinkAsync(Owner, "ghost", ["slack:UA"], Ct));
        await Assert.ThrowsAsync<PrincipalException>(async () => await CreateStore().LinkIdentitiesAsync("ghost", ["slack:UA"], Time.GetUtcNow(), Ct));

        Assert.Null(await CreateStore().FindByIdentityAsync("slack:UA", Ct));
    }
}
