namespace Rein.Guard.Checkpoints;

/// <summary>Options for workspace checkpoints.</summary>
public sealed class CheckpointOptions
{
    /// <summary>The default <see cref="MaxFileBytes"/>: 20 MB.</summary>
    public const long DefaultMaxFileBytes = 20 * 1024 * 1024;

    /// <summary>
    /// Gets or sets the folder that holds the shadow repositories, one per workspace
    /// (<c>&lt;folder&gt;/&lt;hash of the workspace path&gt;.git</c>). Required; usually <c>checkpoints</c> next to the session store.
    /// </summary>
    public required string Folder { get; set; }

    /// <summary>Gets or sets the largest file, in bytes, kept in a snapshot; larger files are left out and reported. Default: 20 MB.</summary>
    public long MaxFileBytes { get; set; } = DefaultMaxFileBytes;

    /// <summary>Gets or sets the git executable. Default: <c>git</c> (found on <c>PATH</c>).</summary>
    public string GitExecutable { get; set; } = "git";

    /// <summary>
    /// Gets or sets absolute paths (files or folders) that are never snapshotted nor touched by a restore even when they are
    /// inside the workspace, e.g. the session store's database. Default: none. The shadow repositories' folder is always excluded.
    /// </summary>
    public IReadOnlyList<string> ExcludedPaths { get; set; } = [];

    /// <summary>
    /// Gets or sets the workspace entries, relative to its root, verified unchanged after each call that may change files
    /// (see <see cref="CheckpointStages.UseCheckpoints"/>). Default: <c>.rein</c> and <c>.git</c>, plus what a <c>.git</c> file
    /// and <c>core.hooksPath</c> name inside the workspace.
    /// </summary>
    public IReadOnlyList<string> ProtectedPaths { get; set; } = [GuardInfo.ProjectFolder, ".git"];

    /// <summary>Gets or sets how long one git command may run before it is killed. Default: 5 minutes.</summary>
    public TimeSpan GitTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets how long to wait for another process that is snapshotting the same workspace. Default: 2 minutes.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromMinutes(2);
}
