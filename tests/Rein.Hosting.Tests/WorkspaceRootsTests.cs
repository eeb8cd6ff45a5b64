using Rein.Hosting.Sessions;

namespace Rein.Hosting.Tests;

public sealed class WorkspaceRootsTests : IDisposable
{
    private readonly HostingTestbed _bed = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _bed.Dispose();

    private string Root => _bed.Combine("root");

    private string Outside => _bed.Combine("outside");

    private SessionHost CreateHost()
    {
        Directory.CreateDirectory(Path.Combine(Root, "project"));
        Directory.CreateDirectory(Outside);
        return _bed.CreateHost(o =>
        {
            o.Model = _bed.Script("""{"turns":[{"text":"done"}]}""");
            o.WorkspaceRoots.Add(Root);
        });
    }

    [Fact]
    public async Task StartAsync_DotDotOutOfTheRoot_IsRefusedWithNothingCreated()
    {
        var host = CreateHost();

        var refused = await Assert.ThrowsAsync<WorkspaceOutsideRootsException>(async () =>
            await host.StartAsync(new StartSessionRequest("hi", Path.Combine(Root, "project", "..", "..", "outside")), Ct));

        Assert.Contains(Root, refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_bed.StorePath));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Outside));
    }

    [Fact]
    public async Task StartAsync_SymlinkInTheRootPointingOutside_IsRefusedWithNothingCreated()
    {
        var host = CreateHost();
        var link = Path.Combine(Root, "link");
        Directory.CreateSymbolicLink(link, Outside);

        await Assert.ThrowsAsync<WorkspaceOutsideRootsException>(async () => await host.StartAsync(new StartSessionRequest("hi", link), Ct));

        Assert.False(File.Exists(_bed.StorePath));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Outside));
    }

    [Fact]
    public async Task StartAsync_SiblingWithTheRootAsPrefix_IsRefused()
    {
        var host = CreateHost();
        var sibling = Root + "-evil";
        Directory.CreateDirectory(sibling);

        await Assert.ThrowsAsync<WorkspaceOutsideRootsException>(async () => await host.StartAsync(new StartSessionRequest("hi", sibling), Ct));
    }

    [Fact]
    public async Task StartAsync_FolderInsideTheRoot_Runs()
    {
        var host = CreateHost();

        var ticket = await host.StartAsync(new StartSessionRequest("hi", Path.Combine(Root, "project")), Ct);

        Assert.Equal(Journal.SessionStatus.Completed, (await host.WaitAsync(ticket.Id, Ct)).Status);
    }
}
