namespace Rein.Server.Tests;

public sealed class ServerAssemblyTests
{
    [Fact]
    public void ServerAssembly_IsNamedReinServer()
    {
        Assert.Equal("Rein.Server", typeof(ServerAssembly).Assembly.GetName().Name);
    }
}
