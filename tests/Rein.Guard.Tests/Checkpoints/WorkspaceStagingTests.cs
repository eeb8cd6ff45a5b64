using Microsoft.Extensions.Time.Testing;
using Rein.Guard.Checkpoints;
using Rein.Testing;

namespace Rein.Guard.Tests.Checkpoints;

public sealed class WorkspaceStagingTests : IDisposable
{
    private readonly TempDirectory _workspace = new("rein-ws");
    private readonly TempDirectory _other = new("rein-ws");
    private readonly TempDirectory _data = new("rein-data");
    private readonly FakeTimeProvider _time = new();

    public void Dispose()
    {
        _workspace.Dispose();
        _other.Dispose();
        _data.Dispose();
    }

    private CheckpointOptions Options(string git = "git") => new() { Folder = _data.Combine("checkpoints"), GitExecutable = git };

    [Fact]
    public async Task Start_StagesTheWorkspaceIntoItsShadowRepository()
    {
        _workspace.Write("a.txt", "one\n");
        var staging = new WorkspaceStaging(TimeSpan.FromSeconds(30), _time);

        var started = staging.Start(_workspace.Path, Options());

        Assert.NotNull(started);
        await started;
        Assert.True(File.Exists(Path.Combine(ShadowRepository.RepositoryPathFor(Options().Folder, _workspace.Path), "rein-index")));
    }

    [Fact]
    public async Task Start_AgainWithinThePeriod_IsSkippedUntilThePeriodHasPassed()
    {
        var staging = new WorkspaceStaging(TimeSpan.FromSeconds(30), _time);
        var first = staging.Start(_workspace.Path, Options());
        Assert.NotNull(first);
        await first;

        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Null(staging.Start(_workspace.Path, Options()));
        var other = staging.Start(_other.Path, Options());
        Assert.NotNull(other);
        await other;

        _time.Advance(TimeSpan.FromSeconds(2));
        var again = staging.Start(_workspace.Path, Options());
        Assert.NotNull(again);
        await again;
    }

    [Fact]
    public async Task Start_GitMissing_CompletesWithoutFailing()
    {
        var staging = new WorkspaceStaging(TimeSpan.FromSeconds(30), _time);

        var started = staging.Start(_workspace.Path, Options(git: Path.Combine(_data.Path, "no-such-git")));

        Assert.NotNull(started);
        await started;
        Assert.True(started.IsCompletedSuccessfully);
    }
}
