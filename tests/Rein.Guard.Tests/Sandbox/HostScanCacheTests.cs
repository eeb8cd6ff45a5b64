using Microsoft.Extensions.Time.Testing;
using Rein.Guard.Sandbox;
using Rein.Testing;

namespace Rein.Guard.Tests.Sandbox;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HostScanCacheTests : IDisposable
{
    private readonly TempDirectory _root = new("rein-hostscan");
    private readonly FakeTimeProvider _time = new(TimeProvider.System.GetUtcNow());
    private readonly string _tree;
    private readonly string _secret;
    private readonly HostScanCache _cache;

    public HostScanCacheTests()
    {
        _root.Write("tree/lib/readme.txt", "hi");
        _secret = _root.Write("tree/lib/deep/secret.txt", "s");
        _root.Write("tree/local/other.key", "k");
        _tree = _root.Combine("tree");
        _cache = new HostScanCache(_root.Combine("cache", "host-scan.txt"), _time);
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(_secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        // Settled an hour ago, so a change made by a test always moves a folder's time, however coarse the file system's clock.
        foreach (var folder in Directory.EnumerateDirectories(_tree, "*", SearchOption.AllDirectories).Append(_tree))
        {
            Directory.SetLastWriteTimeUtc(folder, _time.GetUtcNow().UtcDateTime.AddHours(-1));
        }
    }

    public void Dispose() => _root.Dispose();

    [Fact]
    public void ScanTree_UnchangedTree_SecondScanComesFromTheCache()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Unix file modes");

        var first = PrivateHostPaths.ScanTree(_tree, [Path.Join(_tree, "local")], _cache, _time);
        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal([(_secret, false)], first);
        Assert.Equal(first, _cache.TryLoad(_tree));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_root.Combine("cache", "host-scan.txt")));
    }

    [Fact]
    public void TryLoad_NewPrivateFile_IsInvalid()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Unix file modes");
        PrivateHostPaths.ScanTree(_tree, [], _cache, _time);
        Assert.NotNull(_cache.TryLoad(_tree));

        var added = _root.Write("tree/lib/deep/new.key", "k");
        File.SetUnixFileMode(added, UnixFileMode.UserRead);

        Assert.Null(_cache.TryLoad(_tree));
        Assert.Contains((added, false), PrivateHostPaths.ScanTree(_tree, [], _cache, _time));
    }

    [Fact]
    public void TryLoad_FolderMadePrivate_IsInvalid()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Unix file modes");
        PrivateHostPaths.ScanTree(_tree, [], _cache, _time);

        File.SetUnixFileMode(_root.Combine("tree", "lib"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        Assert.Null(_cache.TryLoad(_tree));
    }

    [Fact]
    public void TryLoad_ChangeInSkippedFolder_StaysValid()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Unix file modes");
        PrivateHostPaths.ScanTree(_tree, [Path.Join(_tree, "local")], _cache, _time);

        _root.Write("tree/local/more.txt", "m");

        Assert.NotNull(_cache.TryLoad(_tree));
    }

    [Fact]
    public void TryLoad_OlderThanMaxAge_IsInvalid()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Unix file modes");
        PrivateHostPaths.ScanTree(_tree, [], _cache, _time);

        _time.Advance(HostScanCache.MaxAge + TimeSpan.FromMinutes(1));

        Assert.Null(_cache.TryLoad(_tree));
    }

    [Fact]
    public void TryLoad_CacheWritableByOthers_IsIgnored()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Unix file modes");
        PrivateHostPaths.ScanTree(_tree, [], _cache, _time);

        File.SetUnixFileMode(_root.Combine("cache", "host-scan.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherWrite);

        Assert.Null(_cache.TryLoad(_tree));
    }

    [Fact]
    public void ScanTree_FolderChangedJustBeforeScan_IsNotSaved()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Unix file modes");
        _root.Write("tree/lib/just-now.txt", "n");

        PrivateHostPaths.ScanTree(_tree, [], _cache, _time);

        Assert.False(File.Exists(_root.Combine("cache", "host-scan.txt")));
    }

    [Fact]
    public void TryLoad_OtherTree_IsInvalid()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Unix file modes");
        PrivateHostPaths.ScanTree(_tree, [], _cache, _time);

        Assert.Null(_cache.TryLoad(_root.Combine("cache")));
    }
}
