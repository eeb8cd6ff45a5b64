namespace Rein.Guard.Checkpoints;

/// <summary>A snapshot of a workspace.</summary>
/// <param name="Commit">The snapshot's commit in the shadow repository.</param>
/// <param name="SkippedFiles">Files left out because they are larger than <see cref="CheckpointOptions.MaxFileBytes"/>, and nested repositories (ending in <c>/</c>), relative to the workspace.</param>
/// <param name="Elapsed">How long the snapshot took.</param>
public sealed record WorkspaceSnapshot(string Commit, IReadOnlyList<string> SkippedFiles, TimeSpan Elapsed);

/// <summary>What a restore did.</summary>
/// <param name="Commit">The snapshot restored.</param>
/// <param name="Backup">A snapshot of the workspace taken just before the restore; restoring it undoes the restore.</param>
/// <param name="Changes">The files written or removed.</param>
public sealed record RestoreResult(string Commit, WorkspaceSnapshot Backup, IReadOnlyList<FileChange> Changes);

/// <summary>The difference between two snapshots, or a snapshot and the workspace.</summary>
/// <param name="From">The older snapshot's commit.</param>
/// <param name="To">The newer snapshot's commit, or <see langword="null"/> for the current workspace.</param>
/// <param name="Files">The changed files, by path.</param>
/// <param name="Patch">A unified diff; binary files are noted, not dumped.</param>
public sealed record WorkspaceDiff(string From, string? To, IReadOnlyList<FileChange> Files, string Patch);

/// <summary>One changed file.</summary>
/// <param name="Path">The path relative to the workspace, with <c>/</c> separators.</param>
/// <param name="Status">How it changed.</param>
/// <param name="Additions">Lines added (0 for binary files).</param>
/// <param name="Deletions">Lines removed (0 for binary files).</param>
/// <param name="Binary">Whether git treats the file as binary.</param>
public sealed record FileChange(string Path, FileChangeStatus Status, int Additions = 0, int Deletions = 0, bool Binary = false);

/// <summary>How a file changed between two snapshots.</summary>
public enum FileChangeStatus
{
    /// <summary>The file exists only in the newer state.</summary>
    Added,

    /// <summary>The file's content, executable bit or kind (file or symbolic link) changed.</summary>
    Modified,

    /// <summary>The file exists only in the older state.</summary>
    Deleted,
}
