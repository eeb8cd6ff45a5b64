using Rein.Guard.Sandbox;
using Rein.Testing;

namespace Rein.Guard.Tests.Sandbox;

public sealed class PrivateHostPathsTests : IDisposable
{
    private readonly TempDirectory _root = new("rein-private");

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Scan_Tree_ListsWhatOthersCannotReadOnly()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        _root.Write("open/readme.txt", "hi");
        var secret = _root.Write("open/secret.txt", "s");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _root.Write("closed/inner.txt", "x");
        var closed = _root.Combine("closed");
        File.SetUnixFileMode(closed, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _root.Write("passable/file.txt", "y");
        var passable = _root.Combine("passable");
        File.SetUnixFileMode(passable, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute);
        File.CreateSymbolicLink(_root.Combine("open/link"), secret);

        var found = PrivateHostPaths.Scan(_root.Path).OrderBy(e => e.Path, StringComparer.Ordinal).ToList();

        Assert.Equal([(closed, true), (secret, false)], found);
    }

    [Fact]
    public void Masks_PrivateFolderHoldingKeptPath_MasksEverythingElseInIt()
    {
        var priv = _root.Combine("priv");
        _root.Write("priv/other.txt", "o");
        _root.Write("priv/deeper/sibling.txt", "s");
        _root.Write("priv/deeper/ws/file.txt", "w");
        var workspace = _root.Combine("priv", "deeper", "ws");
        var unrelated = _root.Combine("unrelated.key");

        var masks = PrivateHostPaths.Masks([workspace], [(priv, true), (unrelated, false), (Path.Join(workspace, "private.txt"), false)]);

        Assert.Equal(
            [_root.Combine("priv", "deeper", "sibling.txt"), _root.Combine("priv", "other.txt"), unrelated],
            masks.Order(StringComparer.Ordinal));
    }
}
