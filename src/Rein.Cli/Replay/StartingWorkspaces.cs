using System.Diagnostics;
using System.Globalization;
using System.Text;
using Rein.Hosting.Composition;
using Rein.Guard.Checkpoints;
using Rein.Journal;
using Rein.Replay;

namespace Rein.Cli.Replay;

/// <summary>Finds the workspace a stored session started from: an imported copy, or its first checkpoint in the shadow repository.</summary>
internal static class StartingWorkspaces
{
    /// <summary>Where <c>rein sessions import</c> keeps an imported session file: <c>imported/ID.rein.json</c> next to the store.</summary>
    public static string ImportedCopyPath(AgentHost host, string sessionId) =>
        Path.Combine(host.Settings.DataDirectory, "imported", sessionId + SessionArchive.Extension);

    /// <summary>Gets the starting workspace of a stored session.</summary>
    /// <param name="host">The host over the session's store.</param>
    /// <param name="started">The session's first event.</param>
    /// <param name="events">The session's events.</param>
    /// <param name="currentIfNone">For a session without checkpoints: take the workspace as it is now instead of none.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="InvalidOperationException">The checkpoint is gone from the shadow repository, or git failed.</exception>
    public static async Task<StartingWorkspace> ForSessionAsync(AgentHost host, SessionStarted started, IReadOnlyList<SessionEvent> events, bool currentIfNone, CancellationToken cancellationToken)
    {
        var copy = ImportedCopyPath(host, started.SessionId);
        if (File.Exists(copy))
        {
            return SessionArchive.Parse(await File.ReadAllTextAsync(copy, cancellationToken), copy).Workspace;
        }

        var checkpoints = CheckpointHistory.From(events).Checkpoints;
        var first = checkpoints.Count > 0 ? checkpoints[0] : null;
        var options = host.CreateCheckpointOptions();
        if (first is not null)
        {
            var repository = ShadowRepository.RepositoryPathFor(options.Folder, started.Workspace);
            var files = await ReadCommitAsync(repository, first.Commit, cancellationToken);
            return new StartingWorkspace(StartingWorkspace.FromCheckpoint, first.Commit, files, first.SkippedFiles ?? []);
        }

        if (!currentIfNone || !Directory.Exists(started.Workspace))
        {
            return StartingWorkspace.Empty;
        }

        // A snapshot in a throw-away shadow repository applies the same rules as checkpoints (.gitignore, size cap, no .git).
        var scratch = Directory.CreateTempSubdirectory("rein-export-");
        try
        {
            var snapshotOptions = new CheckpointOptions { Folder = scratch.FullName, ExcludedPaths = options.ExcludedPaths };
            var shadow = new ShadowRepository(started.Workspace, snapshotOptions);
            var snapshot = await shadow.SnapshotAsync(started.SessionId, cancellationToken);
            var files = await ReadCommitAsync(shadow.RepositoryPath, snapshot.Commit, cancellationToken);
            return new StartingWorkspace(StartingWorkspace.FromCurrent, null, files, snapshot.SkippedFiles);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>Reads every file of a commit: paths, modes and bytes (symbolic links as their targets; submodules left out).</summary>
    private static async Task<List<WorkspaceFile>> ReadCommitAsync(string repository, string commit, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(repository))
        {
            throw new InvalidOperationException($"The session's first checkpoint {commit} cannot be read: its shadow repository {repository} is gone.");
        }

        var listing = Encoding.UTF8.GetString(await GitAsync(repository, ["ls-tree", "-r", "-z", "--full-tree", commit], null, cancellationToken));
        var entries = new List<(string Mode, string Sha, string Path)>();
        foreach (var entry in listing.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            // "<mode> <type> <sha>\t<path>"
            var tab = entry.IndexOf('\t', StringComparison.Ordinal);
            var head = entry[..tab].Split(' ');
            if (head[1] == "blob")
            {
                entries.Add((head[0], head[2], entry[(tab + 1)..]));
            }
        }

        var contents = await GitAsync(repository, ["cat-file", "--batch"], string.Concat(entries.Select(e => e.Sha + "\n")), cancellationToken);
        var files = new List<WorkspaceFile>(entries.Count);
        var position = 0;
        foreach (var (mode, _, path) in entries)
        {
            // "<sha> blob <size>\n<bytes>\n"
            var newline = Array.IndexOf(contents, (byte)'\n', position);
            var header = Encoding.ASCII.GetString(contents, position, newline - position).Split(' ');
            var size = int.Parse(header[2], CultureInfo.InvariantCulture);
            var bytes = contents.AsSpan(newline + 1, size).ToArray();
            position = newline + 1 + size + 1;
            files.Add(new WorkspaceFile(path, mode switch
            {
                "100755" => WorkspaceFile.ExecutableMode,
                "120000" => WorkspaceFile.SymbolicLinkMode,
                _ => WorkspaceFile.RegularMode,
            }, bytes));
        }

        return files;
    }

    private static async Task<byte[]> GitAsync(string repository, IReadOnlyList<string> arguments, string? input, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("git")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--git-dir=" + repository);
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("safe.directory=*");
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("git could not be started.");
        var writing = Task.Run(async () =>
        {
            if (input is not null)
            {
                await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken);
            }

            process.StandardInput.Close();
        }, cancellationToken);
        using var output = new MemoryStream();
        var reading = process.StandardOutput.BaseStream.CopyToAsync(output, cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await Task.WhenAll(writing, reading);
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode == 0
            ? output.ToArray()
            : throw new InvalidOperationException($"git {arguments[0]} failed in {repository} (exit {process.ExitCode}): {(await error).Trim()}");
    }
}
