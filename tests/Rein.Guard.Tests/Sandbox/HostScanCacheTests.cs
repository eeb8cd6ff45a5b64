using Microsoft.Extensions.Time.Testing;
using Rein.Guard.Sandbox;
using Rein.Testing;

namespace Rein.Guard.Tests.Sandbox;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HostScanCacheTests : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly TempDirectory _root = new("rein-hostscan");
    private readonly FakeTimeProvider _time = new(TimeProvider.System.GetUtcNow());
    private readonly string _tree;
    private readonly string _secret;
    private readonly string _readme;
    private readonly string _cacheFile;
    private readonly HostScanCache _cache;

    public HostScanCacheTests()
    {
        _readme = _root.Write("tree/lib/readme.txt", "hi");
        _secret = _root.Write("tree/lib/deep/secret.txt", "s");
        _root.Write("tree/local/other.txt", "k");
        _tree = _root.Combine("tree");
        _cacheFile = _root.Combine("cache", "host-scan.txt");
        _cache = new HostScanCache(_cacheFile, _time);
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(_secret, Private);
            Settle();
        }
    }

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Scan_FileMadePrivateInUnchangedFolder_IsSeenOnlyAfterMaxAge()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Unix file modes");
        Assert.Equal([(_secret, false)], _cache.Scan(_tree, []));
        Assert.Equal(Private, File.GetUnixFileMode(_cacheFile));

        // chmod changes no folder's time: the saved scan is used as it is (the documented limit)...
        File.SetUnixFileMode(_readme, Private);
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal([(_secret, false)], _cache.Scan(_tree, []));

        // ...until the next full scan.
        _time.Advance(HostScanCache.MaxAge);
        Assert.Equal([(_secret, false), (_readme, false)], Sorted(_cache.Scan(_tree, [])));
    }

    [Fact]
    public void Scan_NewAndRemovedEntries_AreSeenNextTime()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Unix file modes");
        _cache.Scan(_tree, []);

        var added = _root.Write("tree/lib/new.key", "k");
        File.SetUnixFileMode(added, Private);
        var nested = _root.Write("tree/lib/fresh/inner/token", "t");
        File.SetUnixFileMode(nested, Private);
        File.Delete(_secret);

        Assert.Equal([(nested, false), (added, false)], Sorted(_cache.Scan(_tree, [])));
    }

    [Fact]
    public void Scan_FolderMadePrivate_IsListedInsteadOfItsEntries()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Unix file modes");
        _cache.Scan(_tree, []);

        var deep = _root.Combine("tree", "lib", "deep");
        File.SetUnixFileMode(deep, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        Assert.Equal([(deep, true)], _cache.Scan(_tree, []));
    }

    [Fact]
    public void Scan_SkippedFolder_IsNeitherListedNorWatched()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Unix file modes");
        var local = _root.Combine("tree", "local");
        _cache.Scan(_tree, [local]);

        File.SetUnixFileMode(_root.Write("tree/local/more.key", "m"), Private);

        Assert.Equal([(_secret, false)], _cache.Scan(_tree, [local]));
    }

    [Fact]
    public void Scan_CacheWritableByOthers_IsNotTrusted()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Unix file modes");
        _cache.Scan(_tree, []);
        File.SetUnixFileMode(_readme, Private);

        File.SetUnixFileMode(_cacheFile, Private | UnixFileMode.OtherWrite);

        Assert.Equal([(_secret, false), (_readme, false)], Sorted(_cache.Scan(_tree, [])));
    }

    [Fact]
    public void Scan_FolderChangedJustBeforeTheScan_IsReadAgainNextTime()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Unix file modes");
        _root.Write("tree/lib/just-now.txt", "n");
        _cache.Scan(_tree, []);

        // Its time may not move again within the file system's clock tick, so only reading it again can tell.
        File.SetUnixFileMode(_readme, Private);

        Assert.Equal([(_secret, false), (_readme, false)], Sorted(_cache.Scan(_tree, [])));
    }

    [Fact]
    public void Scan_CacheOfAnotherTree_IsNotUsed()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Unix file modes");
        _cache.Scan(_tree, []);
        var other = _root.Combine("tree", "lib");

        Assert.Equal([(_secret, false)], _cache.Scan(other, []));
        Assert.Contains("tree " + other, File.ReadAllText(_cacheFile), StringComparison.Ordinal);
    }

    private static List<(string Path, bool IsFolder)> Sorted(IEnumerable<(string Path, bool IsFolder)> entries) =>
        [.. entries.OrderBy(e => e.Path, StringComparer.Ordinal)];

    // Dated an hour back, so a change made by a test always moves a folder's time, however coarse the file system's clock.
    private void Settle()
    {
        foreach (var folder in Directory.EnumerateDirectories(_tree, "*", SearchOption.AllDirectories).Append(_tree))
        {
            Directory.SetLastWriteTimeUtc(folder, _time.GetUtcNow().UtcDateTime.AddHours(-1));
        }
    }
}
