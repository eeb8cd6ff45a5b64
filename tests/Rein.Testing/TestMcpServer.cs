namespace Rein.Testing;

/// <summary>
/// The test MCP server (tests/Rein.Mcp.TestServer): its build output, found next to the running test project's, and copies
/// of it in a workspace, where a sandbox that hides the rest of the machine's temporary and home folders lets it run.
/// </summary>
public static class TestMcpServer
{
    /// <summary>The assembly's file name.</summary>
    public const string FileName = "Rein.Mcp.TestServer.dll";

    /// <summary>The folder of the server's build output: tests/Rein.Mcp.TestServer/bin/CONFIGURATION/TFM, mirroring this test project's.</summary>
    public static string Folder { get; } = Locate();

    /// <summary>Copies the server's build output into <paramref name="folder"/> and returns the copy's assembly.</summary>
    public static string CopyTo(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.EnumerateFiles(Folder))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
        }

        return Path.Combine(folder, FileName);
    }

    private static string Locate()
    {
        // BaseDirectory is tests/PROJECT/bin/CONFIGURATION/TFM/.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = output.Name;
        var configuration = output.Parent!.Name;
        var tests = output.Parent.Parent!.Parent!.Parent!.FullName;
        var folder = Path.Combine(tests, "Rein.Mcp.TestServer", "bin", configuration, tfm);
        return File.Exists(Path.Combine(folder, FileName))
            ? folder
            : throw new InvalidOperationException($"The test MCP server is not built at {folder}: build tests/Rein.Mcp.TestServer.");
    }
}
