using Xunit;

namespace Rein.Testing;

/// <summary>
/// The reference MCP servers published on npm (<c>@modelcontextprotocol/server-everything</c> and <c>server-filesystem</c>),
/// which <c>build.sh test</c> installs into a cache folder and names in <c>REIN_TEST_MCP_SERVERS</c>.
/// </summary>
public static class ReferenceMcpServers
{
    private const string Variable = "REIN_TEST_MCP_SERVERS";

    /// <summary>The folder holding <c>node_modules</c>.</summary>
    public static string Folder { get; } = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } set
        ? set
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cache ? cache : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "rein-tests", "mcp-servers");

    public static string Everything => Bin("mcp-server-everything");

    public static string Filesystem => Bin("mcp-server-filesystem");

    /// <summary>
    /// Skips the test when the servers are not installed and nothing asked for them (a plain <c>dotnet test</c>); under
    /// <c>build.sh test</c> (which sets <c>REIN_TEST_MCP_SERVERS</c>) a missing server fails the test instead.
    /// </summary>
    public static void Require()
    {
        var installed = File.Exists(Everything) && File.Exists(Filesystem);
        if (!installed && Environment.GetEnvironmentVariable(Variable) is { Length: > 0 })
        {
            Assert.Fail($"{Variable}={Folder} has no reference MCP servers; run ./build.sh deps.");
        }

        Assert.SkipUnless(installed, $"The reference MCP servers are not installed in {Folder}; ./build.sh deps installs them.");
    }

    private static string Bin(string name) => Path.Combine(Folder, "node_modules", ".bin", name);
}
