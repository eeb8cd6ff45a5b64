using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Rein.Guard.Checkpoints;

/// <summary>
/// Snapshots of one workspace, kept in a git repository of Rein's own (a "shadow" repository) so the user's
/// own <c>.git</c>, index and history are never read or written.
/// </summary>
/// <remarks>
/// <para>
/// The repository lives at <c>&lt;<see cref="CheckpointOptions.Folder"/>&gt;/&lt;hash of the workspace path&gt;.git</c> and keeps
/// its own index, so git's stat cache makes a snapshot of an unchanged workspace cheap. Snapshots honour the workspace's
/// <c>.gitignore</c> files and <c>.git/info/exclude</c>; ignored paths are neither snapshotted nor touched by a restore.
/// The user's <c>.git</c> folder is never included. Nested repositories (folders with their own <c>.git</c>) and files larger
/// than <see cref="CheckpointOptions.MaxFileBytes"/> are left out, reported in <see cref="WorkspaceSnapshot.SkippedFiles"/>,
/// and left alone by a restore. Git's line-ending conversion, filters and attributes are switched off, so content is kept byte for byte,
/// with executable bits and symbolic links.
/// </para>
/// <para>
/// Thread-safe. Operations on one workspace are serialized, within the process and (by a lock file) across processes.
/// Every snapshot stays reachable through a ref <c>refs/rein/&lt;session&gt;/&lt;commit&gt;</c>, so git never collects it.
/// </para>
/// </remarks>
public sealed class ShadowRepository
{
    private const string IndexFileName = "rein-index";
    private const string StaticExcludeFileName = "rein-exclude";

    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    private readonly CheckpointOptions _options;
    private readonly TimeProvider _time;
    private readonly GitProcess _git;
    private readonly SemaphoreSlim _gate;
    private readonly string _lockPath;
    private readonly string _staticExcludes;
    private bool _initialized;

    /// <summary>Creates the shadow repository of a workspace (on disk, at the first operation).</summary>
    /// <param name="workspace">The workspace folder.</param>
    /// <param name="options">Where repositories live and what to leave out.</param>
    /// <param name="timeProvider">The clock for timings and lock waits; <see langword="null"/> for the system clock.</param>
    /// <exception cref="ArgumentException"><see cref="CheckpointOptions.Folder"/> is empty.</exception>
    public ShadowRepository(string workspace, CheckpointOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(workspace);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Folder);
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        Workspace = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workspace));
        var folder = Path.GetFullPath(options.Folder);
        RepositoryPath = RepositoryPathFor(folder, Workspace);
        _lockPath = Path.ChangeExtension(RepositoryPath, ".lock");
        _git = new GitProcess(options.GitExecutable, RepositoryPath, Workspace, Path.Combine(RepositoryPath, IndexFileName), options.GitTimeout);
        _gate = Gates.GetOrAdd(RepositoryPath, _ => new SemaphoreSlim(1, 1));
        _staticExcludes = string.Concat(options.ExcludedPaths.Append(folder)
            .Select(p => Path.GetRelativePath(Workspace, Path.GetFullPath(p)))
            .Where(r => r != "." && !r.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(r))
            .Select(r => Pattern(r.Replace(Path.DirectorySeparatorChar, '/')) + "\n"));
    }

    /// <summary>Gets the workspace folder (absolute).</summary>
    public string Workspace { get; }

    /// <summary>Gets the shadow repository's folder.</summary>
    public string RepositoryPath { get; }

    /// <summary>Gets where the shadow repository of a workspace lives.</summary>
    /// <param name="folder">The folder that holds shadow repositories (<see cref="CheckpointOptions.Folder"/>).</param>
    /// <param name="workspace">The workspace folder.</param>
    /// <returns><c>&lt;folder&gt;/&lt;first 24 hex digits of the SHA-256 of the workspace's absolute path&gt;.git</c>.</returns>
    public static string RepositoryPathFor(string folder, string workspace)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentException.ThrowIfNullOrEmpty(workspace);
        var path = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workspace));
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(path)))[..24];
        return Path.Combine(Path.GetFullPath(folder), hash + ".git");
    }

    /// <summary>Takes a snapshot of the workspace.</summary>
    /// <param name="sessionId">The session the snapshot belongs to; names the ref that keeps it.</param>
    /// <param name="cancellationToken">A token to cancel the snapshot.</param>
    /// <returns>The snapshot.</returns>
    /// <exception cref="CheckpointException">git is missing or failed.</exception>
    public async Task<WorkspaceSnapshot> SnapshotAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        var held = await LockAsync(cancellationToken).ConfigureAwait(false);
        await using (held.ConfigureAwait(false))
        {
            return await SnapshotCoreAsync(sessionId, "snapshot", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Creates the shadow repository if needed and brings its private index up to date with the workspace, without
    /// taking a snapshot, so a snapshot taken soon after only has to add what changed in between.
    /// </summary>
    /// <param name="cancellationToken">A token to cancel the preparation.</param>
    /// <returns>A task that completes when the index is up to date.</returns>
    /// <exception cref="CheckpointException">git is missing or failed.</exception>
    /// <remarks>Meant to run while the model answers its first request: the first snapshot of a workspace stages every file,
    /// which costs the most. Snapshots stay correct whether or not this ran, or ran long ago.</remarks>
    public async Task PrepareAsync(CancellationToken cancellationToken = default)
    {
        var held = await LockAsync(cancellationToken).ConfigureAwait(false);
        await using (held.ConfigureAwait(false))
        {
            await StageWorkspaceAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Makes the workspace equal to a snapshot for every path that is not ignored: rewrites changed files, recreates deleted
    /// ones, deletes files created since, restores executable bits and symbolic links, and removes folders left empty.
    /// </summary>
    /// <param name="commit">The snapshot (a commit, or a unique prefix of one).</param>
    /// <param name="sessionId">The session asking; names the ref that keeps the backup.</param>
    /// <param name="cancellationToken">A token to cancel the restore before it starts writing.</param>
    /// <returns>What changed, and a backup snapshot of the workspace as it was.</returns>
    /// <exception cref="CheckpointException">The snapshot does not exist, git is missing or failed, or a path could not be written.</exception>
    public async Task<RestoreResult> RestoreAsync(string commit, string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(commit);
        ArgumentNullException.ThrowIfNull(sessionId);
        var held = await LockAsync(cancellationToken).ConfigureAwait(false);
        await using (held.ConfigureAwait(false))
        {
            return await RestoreCoreAsync(commit, sessionId, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<RestoreResult> RestoreCoreAsync(string commit, string sessionId, CancellationToken cancellationToken)
    {
        var target = await ResolveAsync(commit, cancellationToken).ConfigureAwait(false);
        var backup = await SnapshotCoreAsync(sessionId, "backup before restoring " + target, cancellationToken).ConfigureAwait(false);
        var changes = await NameStatusAsync(["diff-tree", "-r", "-z", "--no-renames", "--name-status", backup.Commit, target], cancellationToken).ConfigureAwait(false);
        if (changes.Count > 0)
        {
            // A two-tree merge from the backup (which the index now matches exactly) to the target is what `git checkout`
            // does: it touches only the paths that differ, refuses to overwrite anything it has not seen, and removes
            // folders its deletions leave empty. Writing happens here; it is not cancelled half-way.
            await _git.RunAsync(["read-tree", "-m", "-u", "--exclude-per-directory=.gitignore", backup.Commit, target], null, CancellationToken.None).ConfigureAwait(false);
        }

        return new RestoreResult(target, backup, changes);
    }

    /// <summary>Compares a snapshot with a later one or with the current workspace.</summary>
    /// <param name="fromCommit">The older snapshot.</param>
    /// <param name="toCommit">The newer snapshot, or <see langword="null"/> for the workspace as it is now.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The changed files and a unified diff (binary files are noted, not dumped).</returns>
    /// <exception cref="CheckpointException">A snapshot does not exist, or git is missing or failed.</exception>
    public async Task<WorkspaceDiff> DiffAsync(string fromCommit, string? toCommit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(fromCommit);
        var held = await LockAsync(cancellationToken).ConfigureAwait(false);
        await using (held.ConfigureAwait(false))
        {
            return await DiffCoreAsync(fromCommit, toCommit, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<WorkspaceDiff> DiffCoreAsync(string fromCommit, string? toCommit, CancellationToken cancellationToken)
    {
        var from = await ResolveAsync(fromCommit, cancellationToken).ConfigureAwait(false);
        var to = toCommit is null ? null : await ResolveAsync(toCommit, cancellationToken).ConfigureAwait(false);
        var toTree = to ?? (await StageWorkspaceAsync(cancellationToken).ConfigureAwait(false)).Tree;
        var statuses = await NameStatusAsync(["diff", "-z", "--no-renames", "--name-status", from, toTree], cancellationToken).ConfigureAwait(false);
        var numstat = await _git.RunAsync(["diff", "-z", "--no-renames", "--numstat", from, toTree], null, cancellationToken).ConfigureAwait(false);
        var counts = new Dictionary<string, (int, int, bool)>(StringComparer.Ordinal);
        foreach (var entry in GitProcess.SplitNul(numstat))
        {
            var parts = entry.Split('\t', 3);
            if (parts.Length == 3)
            {
                var binary = parts[0] == "-";
                counts[parts[2]] = binary ? (0, 0, true)
                    : (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture), false);
            }
        }

        var files = statuses.Select(f => counts.TryGetValue(f.Path, out var c) ? f with { Additions = c.Item1, Deletions = c.Item2, Binary = c.Item3 } : f).ToList();
        var patch = await _git.RunAsync(["diff", "--no-renames", "--no-ext-diff", "--no-textconv", "--submodule=short", from, toTree], null, cancellationToken).ConfigureAwait(false);
        return new WorkspaceDiff(from, to, files, patch);
    }

    private async Task<string> ResolveAsync(string commit, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        if (commit.Length < 4 || !commit.All(char.IsAsciiHexDigit))
        {
            throw new CheckpointException($"'{commit}' is not a checkpoint id (a commit id in hexadecimal).");
        }

        var (exitCode, output, _) = await _git.RunRawAsync(["rev-parse", "--verify", "--quiet", commit + "^{commit}"], null, cancellationToken).ConfigureAwait(false);
        return exitCode == 0 ? output.Trim()
            : throw new CheckpointException($"Checkpoint {commit} is not in the shadow repository {RepositoryPath}.");
    }

    private async Task<WorkspaceSnapshot> SnapshotCoreAsync(string sessionId, string message, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var (tree, skipped) = await StageWorkspaceAsync(cancellationToken).ConfigureAwait(false);
        var commit = (await _git.RunAsync(["commit-tree", tree, "-m", "rein " + message], null, cancellationToken).ConfigureAwait(false)).Trim();
        await _git.RunAsync(["update-ref", $"refs/rein/{RefName(sessionId)}/{commit}", commit], null, cancellationToken).ConfigureAwait(false);
        return new WorkspaceSnapshot(commit, skipped, _time.GetElapsedTime(started));
    }

    /// <summary>Brings the private index up to date with the workspace and writes its tree.</summary>
    private async Task<(string Tree, IReadOnlyList<string> Skipped)> StageWorkspaceAsync(CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var userExclude = UserExcludeFile();
        List<string> listArguments = ["ls-files", "-z", "-t", "-m", "-o", "--exclude-per-directory=.gitignore", "--exclude-from=" + Path.Combine(RepositoryPath, "info", StaticExcludeFileName)];
        if (userExclude is not null)
        {
            listArguments.Add("--exclude-from=" + userExclude);
        }

        // Changed and new paths only: the stat cache answers for everything else, so this is cheap when little changed.
        var listed = GitProcess.SplitNul(await _git.RunAsync(listArguments, null, cancellationToken).ConfigureAwait(false)).ToList();
        var skipped = new List<string>();
        var trackedTooLarge = new List<string>();
        var anyChange = false;
        foreach (var entry in listed)
        {
            if (entry.Length < 3)
            {
                continue;
            }

            var tracked = entry[0] != '?';
            var path = entry[2..];
            if (path.EndsWith('/'))
            {
                // git lists a folder with its own .git as one entry; its files belong to that repository.
                skipped.Add(path);
                continue;
            }

            var info = new FileInfo(Path.Combine(Workspace, path));
            if (info.Exists && info.LinkTarget is null && info.Length > _options.MaxFileBytes)
            {
                skipped.Add(path);
                if (tracked)
                {
                    trackedTooLarge.Add(path);
                }

                continue;
            }

            anyChange = true;
        }

        skipped.Sort(StringComparer.Ordinal);
        var excludes = new StringBuilder();
        if (userExclude is not null)
        {
            excludes.Append(await File.ReadAllTextAsync(userExclude, cancellationToken).ConfigureAwait(false)).Append('\n');
        }

        excludes.Append(_staticExcludes);
        foreach (var path in skipped)
        {
            excludes.Append(Pattern(path)).Append('\n');
        }

        // Rewritten only when it changes: git's untracked cache is invalidated whenever this file changes.
        var excludePath = Path.Combine(RepositoryPath, "info", "exclude");
        var text = excludes.ToString();
        if (!File.Exists(excludePath) || await File.ReadAllTextAsync(excludePath, cancellationToken).ConfigureAwait(false) != text)
        {
            await File.WriteAllTextAsync(excludePath, text, cancellationToken).ConfigureAwait(false);
        }

        if (trackedTooLarge.Count > 0)
        {
            await _git.RunAsync(["rm", "--cached", "-f", "-q", "--ignore-unmatch", "--pathspec-from-file=-", "--pathspec-file-nul"], string.Join('\0', trackedTooLarge), cancellationToken).ConfigureAwait(false);
        }

        if (anyChange)
        {
            await _git.RunAsync(["add", "-A"], null, cancellationToken).ConfigureAwait(false);
        }

        var tree = (await _git.RunAsync(["write-tree"], null, cancellationToken).ConfigureAwait(false)).Trim();
        return (tree, skipped);
    }

    private async Task<List<FileChange>> NameStatusAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var parts = GitProcess.SplitNul(await _git.RunAsync(arguments, null, cancellationToken).ConfigureAwait(false)).ToList();
        var changes = new List<FileChange>(parts.Count / 2);
        for (var i = 0; i + 1 < parts.Count; i += 2)
        {
            var status = parts[i][0] switch
            {
                'A' => FileChangeStatus.Added,
                'D' => FileChangeStatus.Deleted,
                _ => FileChangeStatus.Modified,
            };
            changes.Add(new FileChange(parts[i + 1], status));
        }

        return changes;
    }

    private async Task EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        if (_initialized)
        {
            return;
        }

        if (!File.Exists(Path.Combine(RepositoryPath, "HEAD")))
        {
            Directory.CreateDirectory(RepositoryPath);
            await _git.RunAsync(["init", "-q", "--template="], null, cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(RepositoryPath, "rein-workspace"), Workspace + "\n", cancellationToken).ConfigureAwait(false);
        }

        var info = Path.Combine(RepositoryPath, "info");
        Directory.CreateDirectory(info);

        // Highest-precedence attributes: no line-ending conversion, filters or encodings, whatever the workspace's
        // .gitattributes say, so a restore writes back exactly the bytes that were snapshotted.
        await WriteIfChangedAsync(Path.Combine(info, "attributes"), "* -text -eol -crlf -filter -ident -working-tree-encoding\n", cancellationToken).ConfigureAwait(false);
        await WriteIfChangedAsync(Path.Combine(info, StaticExcludeFileName), _staticExcludes, cancellationToken).ConfigureAwait(false);
        _initialized = true;
    }

    private static async Task WriteIfChangedAsync(string path, string text, CancellationToken cancellationToken)
    {
        if (!File.Exists(path) || await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false) != text)
        {
            await File.WriteAllTextAsync(path, text, cancellationToken).ConfigureAwait(false);
        }
    }

    private string? UserExcludeFile()
    {
        var path = Path.Combine(Workspace, ".git", "info", "exclude");
        return File.Exists(path) ? path : null;
    }

    private async Task<IAsyncDisposable> LockAsync(CancellationToken cancellationToken)
    {
        var deadline = _time.GetTimestamp();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_lockPath)!);
            while (true)
            {
                try
                {
                    var file = new FileStream(_lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

                    // Holding the lock file means no other rein process is running git here, so an index.lock left
                    // behind is from a process that died mid-snapshot.
                    var staleLock = Path.Combine(RepositoryPath, IndexFileName + ".lock");
                    if (File.Exists(staleLock))
                    {
                        File.Delete(staleLock);
                    }

                    return new Held(_gate, file);
                }
                catch (IOException) when (_time.GetElapsedTime(deadline) < _options.LockTimeout)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException ex)
                {
                    throw new CheckpointException($"Another process has been using the checkpoints of {Workspace} for over {_options.LockTimeout.TotalSeconds:0} s (lock file {_lockPath}).", ex);
                }
            }
        }
        catch
        {
            _gate.Release();
            throw;
        }
    }

    /// <summary>A gitignore pattern that matches exactly one path relative to the workspace root.</summary>
    private static string Pattern(string relativePath)
    {
        var pattern = new StringBuilder(relativePath.Length + 8).Append('/');
        foreach (var c in relativePath)
        {
            if (c is '\\' or '*' or '?' or '[' or ']' or '!' or '#' or ' ')
            {
                pattern.Append('\\');
            }

            pattern.Append(c);
        }

        return pattern.ToString();
    }

    private static string RefName(string sessionId)
    {
        var name = new string([.. sessionId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_')]);
        return name.Length == 0 ? "_" : name;
    }

    private sealed class Held(SemaphoreSlim gate, FileStream file) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await file.DisposeAsync().ConfigureAwait(false);
            gate.Release();
        }
    }
}
