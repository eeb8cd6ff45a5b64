namespace Rein.Cli.Tests;

[Trait("Category", "e2e")]
public sealed class PrincipalsCommandTests
{
    [Fact]
    public async Task Link_AccountsOnOtherSurfaces_ListedOnceAndNeverShared()
    {
        using var rein = new ReinProcess();
        Assert.Equal(0, (await rein.RunAsync("principals", "add", "alice", "--role", "operator", "--json")).ExitCode);
        Assert.Equal(0, (await rein.RunAsync("principals", "add", "bob", "--role", "viewer", "--json")).ExitCode);

        var link = await rein.RunAsync("principals", "link", "alice", "Slack:U024BE7LH", "telegram:123456789", "--json");
        var taken = await rein.RunAsync("principals", "link", "bob", "telegram:5", "slack:U024BE7LH");
        var malformed = await rein.RunAsync("principals", "link", "bob", "U024BE7LH");
        var unlink = await rein.RunAsync("principals", "unlink", "alice", "telegram:123456789", "--json");
        var list = await rein.RunAsync("principals", "list", "--json");

        Assert.True(link.ExitCode == 0, link.ToString());
        var linked = Assert.Single(link.JsonLines());
        Assert.Equal("alice", linked.GetProperty("name").GetString());
        Assert.Equal(["slack:U024BE7LH", "telegram:123456789"], linked.GetProperty("identities").EnumerateArray().Select(i => i.GetString()));
        Assert.Equal(1, taken.ExitCode);
        Assert.Contains("slack:U024BE7LH is linked to alice", taken.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, malformed.ExitCode);
        Assert.Contains("SURFACE:ID", malformed.Stderr, StringComparison.Ordinal);
        Assert.True(unlink.ExitCode == 0, unlink.ToString());
        Assert.Equal(["slack:U024BE7LH"], Assert.Single(unlink.JsonLines()).GetProperty("identities").EnumerateArray().Select(i => i.GetString()));
        var byName = list.JsonLines().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("identities").EnumerateArray().Select(i => i.GetString()).ToList());
        Assert.Equal(["slack:U024BE7LH"], byName["alice"]);
        Assert.Empty(byName["bob"]);
    }
}
