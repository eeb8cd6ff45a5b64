using Rein.Cli.Commands;
using Rein.Testing;

namespace Rein.Cli.Tests;

/// <summary>The demo names the command that runs rein on this machine: <c>rein</c> once installed, <c>dotnet run</c> before.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DemoCommandTests : IDisposable
{
    private readonly TempDirectory _bin = new("rein-path");
    private readonly TempDirectory _other = new("rein-path-other");

    public void Dispose()
    {
        _bin.Dispose();
        _other.Dispose();
    }

    private string SearchPath => string.Join(Path.PathSeparator, _other.Path, _bin.Path);

    [Fact]
    public void ReinCommandLine_NoReinOnPath_RunsItFromTheRepository()
    {
        Assert.Equal("dotnet run --project src/Rein.Cli --", DemoCommand.ReinCommandLine(SearchPath));
    }

    [Fact]
    public void ReinCommandLine_NoPath_RunsItFromTheRepository()
    {
        Assert.Equal("dotnet run --project src/Rein.Cli --", DemoCommand.ReinCommandLine(null));
    }

    [Fact]
    public void ReinCommandLine_ExecutableReinOnPath_IsRein()
    {
        var rein = _bin.Write("rein", "#!/bin/sh\n");
        File.SetUnixFileMode(rein, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        Assert.Equal("rein", DemoCommand.ReinCommandLine(SearchPath));
    }

    [Fact]
    public void ReinCommandLine_ReinOnPathIsNotExecutable_RunsItFromTheRepository()
    {
        var rein = _bin.Write("rein", "not a program\n");
        File.SetUnixFileMode(rein, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Equal("dotnet run --project src/Rein.Cli --", DemoCommand.ReinCommandLine(SearchPath));
    }

    [Fact]
    public void IsOnPath_ProgramInALaterFolder_IsFound()
    {
        var python = _bin.Write("python3", "#!/bin/sh\n");
        File.SetUnixFileMode(python, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        Assert.True(DemoCommand.IsOnPath("python3", SearchPath));
        Assert.False(DemoCommand.IsOnPath("bwrap", SearchPath));
    }
}
