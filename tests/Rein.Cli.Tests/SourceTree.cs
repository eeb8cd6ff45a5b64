namespace Rein.Cli.Tests;

/// <summary>Paths in the source checkout the tests run from.</summary>
internal static class SourceTree
{
    /// <summary>The folder holding <c>Rein.slnx</c>, found above the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A path below the checkout's root.</summary>
    /// <param name="parts">The path's parts.</param>
    /// <returns>The absolute path.</returns>
    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Rein.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Rein.slnx not found above the test output folder.");
    }
}
