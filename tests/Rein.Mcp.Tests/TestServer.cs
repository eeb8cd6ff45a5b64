using Rein.Mcp.Configuration;
using Rein.Testing;

namespace Rein.Mcp.Tests;

/// <summary>The test MCP server (tests/Rein.Mcp.TestServer), started with <c>dotnet</c> as a separate process.</summary>
public static class TestServer
{
    /// <summary>The folder of the server's build output.</summary>
    public static string Folder => TestMcpServer.Folder;

    /// <summary>A stdio entry that starts the server from <paramref name="folder"/> (its build output by default).</summary>
    public static McpServerEntry Entry(string name = "test", string? folder = null, bool sandboxed = false, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? env = null) =>
        new(name, McpTransport.Stdio, "test-settings.json")
        {
            Command = "dotnet",
            Args = [Path.Combine(folder ?? Folder, "Rein.Mcp.TestServer.dll")],
            Sandboxed = sandboxed,
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
            Env = env ?? new Dictionary<string, string>(),
        };

    /// <summary>Copies the server into <paramref name="destination"/> (so a sandbox that only sees the workspace can start it); returns the folder.</summary>
    public static string CopyTo(string destination) => Path.GetDirectoryName(TestMcpServer.CopyTo(destination))!;
}
