using System.Diagnostics;
using Rein.Testing;

namespace Rein.Cli.Tests;

/// <summary>The CLI packs as a .NET tool that installs from a local feed and runs as <c>rein</c>.</summary>
[Trait("Category", "e2e")]
[Trait("Category", "slow")]
public sealed class GlobalToolTests
{
    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // A self-contained pack copies the whole runtime (with ASP.NET Core): minutes on a busy 2-core machine.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task Pack_InstallFromLocalFeed_RunsAsRein()
    {
        using var temp = new TempDirectory("rein-tool");
        var feed = temp.Combine("feed");
        var tools = temp.Combine("tools");
        temp.Write("nuget.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);

        // The package layout users get on this platform (a pointer package and a self-contained linux-x64 package; the
        // framework-dependent `any` fallback is built the same way), without the trimming and composite ReadyToRun
        // compilation that make a release pack take minutes. Debug reuses the libraries the test run already built.
        var pack = await RunAsync(
            "dotnet", SourceTree.Root, "pack", "src/Rein.Cli", "-c", "Debug", "-o", feed, "-p:ToolPackageRuntimeIdentifiers=linux-x64",
            "-p:PublishTrimmed=false", "-p:PublishReadyToRun=false", "-p:PublishReadyToRunComposite=false");
        Assert.True(pack.ExitCode == 0, pack.Output);
        var packages = Directory.GetFiles(feed, "rein*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, packages.Count);
        Assert.Contains(packages, p => p!.StartsWith("rein.linux-x64.", StringComparison.Ordinal));

        var install = await RunAsync("dotnet", temp.Path, "tool", "install", "rein", "--tool-path", tools, "--configfile", temp.Combine("nuget.config"));
        Assert.True(install.ExitCode == 0, install.Output);

        var help = await RunAsync(Path.Combine(tools, "rein"), temp.Path, "--help");
        Assert.True(help.ExitCode == 0, help.Output);
        Assert.Contains("rein", help.Output, StringComparison.Ordinal);
        Assert.Contains("sessions", help.Output, StringComparison.Ordinal);

        // On linux-x64 the installer picks the self-contained package: the runtime ships inside it.
        Assert.NotEmpty(Directory.GetFiles(tools, "libcoreclr.so", SearchOption.AllDirectories));
    }
}
