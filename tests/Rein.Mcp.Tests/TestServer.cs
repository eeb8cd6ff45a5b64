using Rein.Mcp.Configuration;

namespace Rein.Mcp.Tests;

/// <summary>The test MCP server (tests/Rein.Mcp.TestServer), started with <c>dotnet</c> as a separate process.</summary>
public static class TestServer
{
    /// <summary>The folder of the server's build output, next to this test assembly's.</summary>
    public static string Folder { get; } = Locate();

    /// <summary>The server's assembly.</summary>
    public static string Dll => Path.Combine(Folder, "Rein.Mcp.TestServer.dll");

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

    /// <summary>Copies the server's build output into <paramref name="destination"/> (so a sandbox that only sees the workspace can start it).</summary>
    public static string CopyTo(string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(Folder))
        {
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)), overwrite: true);
        }

        return destination;
    }

    private static string Locate()
    {
        // bin/<Configuration>/net10.0 of this project, mirrored for the server's project.
        var here = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var folder = here.Replace($"{Path.DirectorySeparatorChar}Rein.Mcp.Tests{Path.DirectorySeparatorChar}", $"{Path.DirectorySeparatorChar}Rein.Mcp.TestServer{Path.DirectorySeparatorChar}", StringComparison.Ordinal);
        if (!File.Exists(Path.Combine(folder, "Rein.Mcp.TestServer.dll")))
        {
            throw new InvalidOperationException($"The test MCP server is not built at {folder}: build tests/Rein.Mcp.TestServer.");
        }

        return folder;
    }
}
