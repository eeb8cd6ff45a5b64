using System.Net;
using static Rein.Guard.Tests.Policy.PolicyTestKit;

namespace Rein.Guard.Tests.Policy;

public sealed class RequestDestinationTests
{
    [Theory]
    [InlineData("allow fetch_url(domain:localhost)", "http://localhost:8080/x", "127.0.0.1", true)]
    [InlineData("allow fetch_url(domain:127.0.0.1)", "http://localhost:8080/x", "127.0.0.1", true)]
    [InlineData("allow fetch_url(http://127.0.0.1:*/**)", "http://127.0.0.1:9000/x", "127.0.0.1", true)]
    [InlineData("allow fetch_url(http://[::1]:8080/**)", "http://[::1]:8080/x", "::1", true)]
    [InlineData("allow fetch_url(domain:intranet.corp)", "http://intranet.corp/", "10.0.0.5", true)]
    [InlineData("allow fetch_url(domain:localhost)", "http://127.0.0.2:8080/", "127.0.0.2", false)]
    [InlineData("allow fetch_url(domain:*.corp)", "http://intranet.corp/", "10.0.0.5", false)]
    [InlineData("allow fetch_url(http://*/**)", "http://127.0.0.1/", "127.0.0.1", false)]
    [InlineData("allow fetch_url", "http://127.0.0.1/", "127.0.0.1", false)]
    [InlineData("deny fetch_url(domain:localhost)", "http://localhost/", "127.0.0.1", false)]
    [InlineData("allow shell(curl localhost*)", "http://localhost/", "127.0.0.1", false)]
    public void NamesDestination_Rule_OnlyAnAllowRuleSpellingTheHostOrAddress(string rule, string url, string address, bool named)
    {
        var engine = NewEngine("full-auto", rule);

        Assert.Equal(named, engine.NamesDestination("fetch_url", new Uri(url), IPAddress.Parse(address)));
    }

    [Fact]
    public void NamesDestination_SessionRule_Counts()
    {
        var engine = NewEngine("workspace-write");

        Assert.True(engine.NamesDestination("fetch_url", new Uri("http://localhost:3000/"), IPAddress.Loopback, ["fetch_url(domain:localhost)"]));
        Assert.False(engine.NamesDestination("fetch_url", new Uri("http://localhost:3000/"), IPAddress.Loopback));
    }
}
