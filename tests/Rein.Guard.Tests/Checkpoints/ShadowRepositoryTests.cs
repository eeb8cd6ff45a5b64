using Rein.Guard.Checkpoints;
using Rein.Testing;

namespace Rein.Guard.Tests.Checkpoints;

public sealed class ShadowRepositoryTests : IDisposable
{
    private readonly TempDirectory _workspace = new("rein-ws");
    private readonly TempDirectory _data = new("rein-data");
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _workspace.Dispose();
        _data.Dispose();
    }

    private ShadowRepository Repository(long maxFileBytes = CheckpointOptions.DefaultMaxFileBytes, string git = "git") =>
        new(_workspace.Path, new CheckpointOptions { Folder = _data.Combine("checkpoints"), MaxFileBytes = maxFileBytes, GitExecutable = git });

    private static byte[] BinaryContent(int seed, int length = 4096)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        bytes[0] = 0;
        bytes[1] = (byte)'\r';
        bytes[2] = (byte)'\n';
        return bytes;
    }

    [Fact]
    public async Task RestoreAsync_AfterEditsDeletesAndNewFiles_WorkspaceEqualsSnapshotByteForByte()
    {
        _workspace.Write(".gitattributes", "* text eol=lf\n*.bin filter=lfs\n");
        _workspace.Write("crlf.txt", "one\r\ntwo\r\n");
        File.WriteAllBytes(_workspace.Combine("data.bin"), BinaryContent(1));
        var script = _workspace.Write("tools/run.sh", "#!/bin/sh\necho hi\n");
        WorkspaceFiles.MakeExecutable(script);
        _workspace.Write("doomed.txt", "deleted later\n");
        _workspace.Write("keep/only.txt", "the only file in keep\n");
        File.CreateSymbolicLink(_workspace.Combine("link"), "crlf.txt");
        var before = WorkspaceFiles.Capture(_workspace.Path);
        var repository = Repository();
        var snapshot = await repository.SnapshotAsync("s1", _ct);

        File.WriteAllBytes(_workspace.Combine("data.bin"), BinaryContent(2));
        WorkspaceFiles.MakeExecutable(script, executable: false);
        File.Delete(_workspace.Combine("link"));
        File.CreateSymbolicLink(_workspace.Combine("link"), "tools/run.sh");
        File.Delete(_workspace.Combine("doomed.txt"));
        Directory.Delete(_workspace.Combine("keep"), recursive: true);
        _workspace.Write("crlf.txt", "one\ntwo\n");
        _workspace.Write("new.txt", "created after the snapshot\n");
        _workspace.Write("d/e/f", "x");
        Assert.NotEqual(before, WorkspaceFiles.Capture(_workspace.Path));

        var result = await repository.RestoreAsync(snapshot.Commit, "s1", _ct);

        Assert.Equal(before, WorkspaceFiles.Capture(_workspace.Path));
        Assert.False(Directory.Exists(_workspace.Combine("d")), "folders left empty by the restore are removed");
        Assert.Equal(snapshot.Commit, result.Commit);
        Assert.Equal(
            ["crlf.txt", "d/e/f", "data.bin", "doomed.txt", "keep/only.txt", "link", "new.txt", "tools/run.sh"],
            result.Changes.Select(c => c.Path).Order(StringComparer.Ordinal));
        Assert.Equal(FileChangeStatus.Deleted, result.Changes.Single(c => c.Path == "new.txt").Status);
        Assert.Equal(FileChangeStatus.Added, result.Changes.Single(c => c.Path == "doomed.txt").Status);
    }

    [Fact]
    public async Task RestoreAsync_Backup_UndoesTheRestore()
    {
        _workspace.Write("a.txt", "first\n");
        var repository = Repository();
        var first = await repository.SnapshotAsync("s1", _ct);
        _workspace.Write("a.txt", "second\n");
        _workspace.Write("b/c.txt", "new\n");
        var changed = WorkspaceFiles.Capture(_workspace.Path);

        var restored = await repository.RestoreAsync(first.Commit, "s1", _ct);
        Assert.Equal("first\n", File.ReadAllText(_workspace.Combine("a.txt")));
        await repository.RestoreAsync(restored.Backup.Commit, "s1", _ct);

        Assert.Equal(changed, WorkspaceFiles.Capture(_workspace.Path));
    }

    [Fact]
    public async Task RestoreAsync_IgnoredPaths_NeitherSnapshottedNorTouched()
    {
        _workspace.Write(".gitignore", "*.log\nnode_modules/\nbin/\n");
        _workspace.Write("app.log", "log before\n");
        _workspace.Write("node_modules/pkg/index.js", "module\n");
        _workspace.Write("src/main.c", "int main;\n");
        var repository = Repository();
        var snapshot = await repository.SnapshotAsync("s1", _ct);

        _workspace.Write("app.log", "log after\n");
        _workspace.Write("node_modules/other/index.js", "installed later\n");
        _workspace.Write("bin/out.dll", "build output\n");
        _workspace.Write("src/main.c", "int main(void);\n");
        await repository.RestoreAsync(snapshot.Commit, "s1", _ct);

        Assert.Equal("int main;\n", File.ReadAllText(_workspace.Combine("src/main.c")));
        Assert.Equal("log after\n", File.ReadAllText(_workspace.Combine("app.log")));
        Assert.True(File.Exists(_workspace.Combine("node_modules/other/index.js")));
        Assert.True(File.Exists(_workspace.Combine("bin/out.dll")));
        var diff = await repository.DiffAsync(snapshot.Commit, null, _ct);
        Assert.Empty(diff.Files);
    }

    [Fact]
    public async Task RestoreAsync_UserGitRepository_LeftExactlyAsItWas()
    {
        _workspace.Write("tracked.txt", "committed\n");
        WorkspaceFiles.Git(_workspace.Path, "init", "-q");
        WorkspaceFiles.Git(_workspace.Path, "add", "-A");
        WorkspaceFiles.Git(_workspace.Path, "commit", "-q", "-m", "user commit");
        _workspace.Write("tracked.txt", "edited, not committed\n");
        var userGit = WorkspaceFiles.Capture(_workspace.Combine(".git"));
        var repository = Repository();

        var snapshot = await repository.SnapshotAsync("s1", _ct);
        _workspace.Write("tracked.txt", "changed by the agent\n");
        _workspace.Write("new.txt", "new\n");
        var diff = await repository.DiffAsync(snapshot.Commit, null, _ct);
        await repository.RestoreAsync(snapshot.Commit, "s1", _ct);

        Assert.Equal(userGit, WorkspaceFiles.Capture(_workspace.Combine(".git")));
        Assert.Equal(["new.txt", "tracked.txt"], diff.Files.Select(f => f.Path));
        Assert.Equal("edited, not committed\n", File.ReadAllText(_workspace.Combine("tracked.txt")));
        Assert.False(File.Exists(_workspace.Combine("new.txt")));
    }

    [Fact]
    public async Task SnapshotAsync_FileOverLimit_SkippedReportedAndLeftAloneByRestore()
    {
        _workspace.Write("small.txt", "small\n");
        File.WriteAllBytes(_workspace.Combine("big.bin"), BinaryContent(3, 2000));
        var repository = Repository(maxFileBytes: 1000);

        var snapshot = await repository.SnapshotAsync("s1", _ct);
        File.WriteAllBytes(_workspace.Combine("big.bin"), BinaryContent(4, 3000));
        _workspace.Write("small.txt", "changed\n");
        var result = await repository.RestoreAsync(snapshot.Commit, "s1", _ct);

        Assert.Equal(["big.bin"], snapshot.SkippedFiles);
        Assert.Equal(["big.bin"], result.Backup.SkippedFiles);
        Assert.Equal(["small.txt"], result.Changes.Select(c => c.Path));
        Assert.Equal(BinaryContent(4, 3000), File.ReadAllBytes(_workspace.Combine("big.bin")));
    }

    [Fact]
    public async Task SnapshotAsync_TrackedFileGrowsOverLimit_LeftOutOfLaterSnapshots()
    {
        _workspace.Write("grows.txt", "small\n");
        var repository = Repository(maxFileBytes: 1000);
        var first = await repository.SnapshotAsync("s1", _ct);
        _workspace.Write("grows.txt", new string('x', 5000));

        var second = await repository.SnapshotAsync("s1", _ct);
        var diff = await repository.DiffAsync(first.Commit, second.Commit, _ct);

        Assert.Equal(["grows.txt"], second.SkippedFiles);
        Assert.Equal(FileChangeStatus.Deleted, Assert.Single(diff.Files).Status);
    }

    [Fact]
    public async Task SnapshotAsync_NestedRepository_SkippedAndLeftAlone()
    {
        _workspace.Write("top.txt", "top\n");
        _workspace.Write("vendor/lib/lib.c", "lib\n");
        WorkspaceFiles.Git(_workspace.Combine("vendor/lib"), "init", "-q");
        var repository = Repository();

        var snapshot = await repository.SnapshotAsync("s1", _ct);
        _workspace.Write("vendor/lib/lib.c", "changed inside the nested repository\n");
        _workspace.Write("top.txt", "changed\n");
        await repository.RestoreAsync(snapshot.Commit, "s1", _ct);

        Assert.Equal(["vendor/lib/"], snapshot.SkippedFiles);
        Assert.Equal("top\n", File.ReadAllText(_workspace.Combine("top.txt")));
        Assert.Equal("changed inside the nested repository\n", File.ReadAllText(_workspace.Combine("vendor/lib/lib.c")));
    }

    [Fact]
    public async Task DiffAsync_TextAndBinaryChanges_UnifiedPatchWithBinaryNoted()
    {
        _workspace.Write("notes.txt", "alpha\nbeta\n");
        File.WriteAllBytes(_workspace.Combine("image.bin"), BinaryContent(5));
        _workspace.Write("gone.txt", "bye\n");
        var repository = Repository();
        var from = await repository.SnapshotAsync("s1", _ct);
        _workspace.Write("notes.txt", "alpha\ngamma\n");
        File.WriteAllBytes(_workspace.Combine("image.bin"), BinaryContent(6));
        File.Delete(_workspace.Combine("gone.txt"));
        _workspace.Write("added.txt", "one\ntwo\n");
        var to = await repository.SnapshotAsync("s1", _ct);

        var diff = await repository.DiffAsync(from.Commit, to.Commit, _ct);

        Assert.Equal(
            [
                new FileChange("added.txt", FileChangeStatus.Added, 2, 0),
                new FileChange("gone.txt", FileChangeStatus.Deleted, 0, 1),
                new FileChange("image.bin", FileChangeStatus.Modified, 0, 0, Binary: true),
                new FileChange("notes.txt", FileChangeStatus.Modified, 1, 1),
            ],
            diff.Files);
        Assert.Contains("-beta\n+gamma\n", diff.Patch, StringComparison.Ordinal);
        Assert.Contains("Binary files a/image.bin and b/image.bin differ", diff.Patch, StringComparison.Ordinal);
        Assert.Contains("+++ b/added.txt", diff.Patch, StringComparison.Ordinal);
        Assert.Equal(to.Commit, diff.To);
    }

    [Fact]
    public async Task DiffAsync_ToWorkspace_ShowsUnsnapshottedChanges()
    {
        _workspace.Write("a.txt", "a\n");
        var repository = Repository();
        var snapshot = await repository.SnapshotAsync("s1", _ct);
        var unchanged = await repository.DiffAsync(snapshot.Commit, null, _ct);
        _workspace.Write("a.txt", "b\n");

        var changed = await repository.DiffAsync(snapshot.Commit, null, _ct);

        Assert.Empty(unchanged.Files);
        Assert.Equal(new FileChange("a.txt", FileChangeStatus.Modified, 1, 1), Assert.Single(changed.Files));
        Assert.Null(changed.To);
    }

    [Fact]
    public async Task RestoreAsync_UnknownCommit_ThrowsCheckpointException()
    {
        _workspace.Write("a.txt", "a\n");
        var repository = Repository();
        await repository.SnapshotAsync("s1", _ct);

        var ex = await Assert.ThrowsAsync<CheckpointException>(() => repository.RestoreAsync("0123456789abcdef0123456789abcdef01234567", "s1", _ct));

        Assert.Contains("not in the shadow repository", ex.Message, StringComparison.Ordinal);
        Assert.Equal("a\n", File.ReadAllText(_workspace.Combine("a.txt")));
    }

    [Fact]
    public async Task SnapshotAsync_GitMissing_ClearError()
    {
        var repository = Repository(git: _data.Combine("no-such-git"));

        var ex = await Assert.ThrowsAsync<CheckpointException>(() => repository.SnapshotAsync("s1", _ct));

        Assert.True(ex.GitMissing);
        Assert.Contains("need git", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SnapshotAsync_KeepsEachSnapshotReachableByARef()
    {
        _workspace.Write("a.txt", "a\n");
        var repository = Repository();

        var snapshot = await repository.SnapshotAsync("session/one", _ct);

        Assert.True(File.Exists(Path.Combine(repository.RepositoryPath, "refs", "rein", "session_one", snapshot.Commit)));
        Assert.Equal(ShadowRepository.RepositoryPathFor(_data.Combine("checkpoints"), _workspace.Path), repository.RepositoryPath);
        Assert.False(Directory.Exists(_workspace.Combine(".git")), "the workspace gets no repository of its own");
    }

    [Fact]
    public async Task SnapshotAsync_ExcludedPathInsideWorkspace_NotSnapshotted()
    {
        _workspace.Write("a.txt", "a\n");
        _workspace.Write("store/rein.db", "database\n");
        var repository = new ShadowRepository(_workspace.Path, new CheckpointOptions
        {
            Folder = _workspace.Combine("store", "checkpoints"),
            ExcludedPaths = [_workspace.Combine("store", "rein.db")],
        });
        var snapshot = await repository.SnapshotAsync("s1", _ct);
        _workspace.Write("store/rein.db", "database, changed\n");
        _workspace.Write("a.txt", "b\n");

        var diff = await repository.DiffAsync(snapshot.Commit, null, _ct);
        await repository.RestoreAsync(snapshot.Commit, "s1", _ct);

        Assert.Equal(["a.txt"], diff.Files.Select(f => f.Path));
        Assert.Equal("database, changed\n", File.ReadAllText(_workspace.Combine("store/rein.db")));
        Assert.True(Directory.Exists(repository.RepositoryPath));
    }

    [Fact]
    public async Task PrepareAsync_ThenWorkspaceChanges_SnapshotHasTheChangesAndPrepareTookNone()
    {
        _workspace.Write("a.txt", "one\n");
        _workspace.Write("b.txt", "b\n");
        var prepared = Repository();

        await prepared.PrepareAsync(_ct);

        var refs = Path.Combine(prepared.RepositoryPath, "refs", "rein");
        Assert.False(Directory.Exists(refs) && Directory.EnumerateFileSystemEntries(refs).Any(), "preparing takes no snapshot");
        _workspace.Write("a.txt", "two\n");
        File.Delete(_workspace.Combine("b.txt"));
        _workspace.Write("c/d.txt", "new\n");
        var expected = WorkspaceFiles.Capture(_workspace.Path);
        var repository = Repository();
        var snapshot = await repository.SnapshotAsync("s1", _ct);
        _workspace.Write("a.txt", "three\n");
        _workspace.Write("b.txt", "back\n");

        await repository.RestoreAsync(snapshot.Commit, "s1", _ct);

        Assert.Equal(expected, WorkspaceFiles.Capture(_workspace.Path));
    }
}
