using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rein.Engine;
using Rein.Journal;
using Rein.Tools;

namespace Rein.Guard.Checkpoints;

/// <summary>The checkpoint stage of the tool-call pipeline.</summary>
public static partial class CheckpointStages
{
    /// <summary>
    /// Snapshots the workspace before and after every call of a tool that is not read-only (<c>shell</c> included, since
    /// commands change files too) and journals each snapshot as a <see cref="CheckpointTaken"/> (<c>before</c>, then <c>after</c>).
    /// </summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="options">Where the shadow repositories live and what to leave out.</param>
    /// <param name="timeProvider">The clock; <see langword="null"/> for the system clock.</param>
    /// <param name="loggerFactory">Logging; <see langword="null"/> for none.</param>
    /// <returns>The builder.</returns>
    /// <remarks>
    /// <para>Add it last (innermost), after policy and approval stages, so only calls that will run are snapshotted.</para>
    /// <para>
    /// A failed snapshot does not stop the call: checkpoints are a safety net, and a missing net (git not installed, a full
    /// disk) should not take the agent's tools away. The failure is logged as a warning and shown as the call's progress, no
    /// <see cref="CheckpointTaken"/> is journaled for it, and a rewind to that call is then impossible. When git is missing the
    /// stage stops trying for the rest of the process.
    /// </para>
    /// <para>Parallel calls in one step are serialized while snapshotting (per workspace), not while running.</para>
    /// <para>Around each such call the protected set (<c>.git</c>'s configuration and hooks, <c>.rein</c>, the git hooks folder)
    /// is fingerprinted; whatever the call changed there is put back, journaled as <see cref="ProtectedPathsRestored"/> and
    /// told to the model in the call's result. A <c>write_file</c>/<c>edit_file</c> the policy allowed keeps the file it wrote.
    /// This runs even when git is missing.</para>
    /// </remarks>
    public static ToolCallPipelineBuilder UseCheckpoints(this ToolCallPipelineBuilder builder, CheckpointOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Folder);
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(typeof(CheckpointStages));
        var repositories = new ConcurrentDictionary<string, ShadowRepository>(StringComparer.Ordinal);
        var gitMissing = 0;
        var excluded = options.ExcludedPaths.Append(options.Folder).ToList();
        return builder.Use(next => async (call, cancellationToken) =>
        {
            if (call.Tool is null || call.Tool.Definition.ReadOnly)
            {
                return await next(call, cancellationToken).ConfigureAwait(false);
            }

            var repository = Volatile.Read(ref gitMissing) != 0 ? null : repositories.GetOrAdd(call.Context.WorkspaceRoot, workspace => new ShadowRepository(workspace, options, timeProvider));
            if (repository is not null)
            {
                await TakeAsync(call, repository, "before", cancellationToken).ConfigureAwait(false);
            }

            // Taken after the snapshot, which may create Rein's own folders.
            var guarded = new ProtectedPaths(call.Context.WorkspaceRoot, excluded, options.ProtectedPaths);
            var before = guarded.Capture();
            var result = await VerifyAsync(call, guarded, before, await next(call, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

            if (repository is null)
            {
                return result;
            }

            try
            {
                await TakeAsync(call, repository, "after", cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The call ran; its result matters more than the snapshot after it.
            }

            return result;
        });

        static async Task<ToolResult> VerifyAsync(ToolCall call, ProtectedPaths guarded, ProtectedPaths.Fingerprint before, ToolResult result)
        {
            // A write the policy let through (an allow rule names the protected file) is the call's own work, not tampering.
            var exempt = new List<string>();
            if (!result.IsError && call.Request.Name is "write_file" or "edit_file"
                && call.Arguments.ValueKind == JsonValueKind.Object && call.Arguments.TryGetProperty("path", out var path) && path.ValueKind == JsonValueKind.String
                && RealPath.Resolve(path.GetString()!, call.Context.WorkspaceRoot) is { } written)
            {
                exempt.Add(written);
            }

            var (restored, notRestored) = guarded.Restore(before, exempt);
            if (restored.Count == 0 && notRestored.Count == 0)
            {
                return result;
            }

            await call.Session.AppendAsync(new ProtectedPathsRestored(call.Request.Id, restored, notRestored), AppendDurability.Written, CancellationToken.None).ConfigureAwait(false);
            var note = $"\n[Rein undid changes to protected paths (.git configuration and hooks, .rein, the git hooks folder), which tools and commands may not change: {string.Join("; ", restored)}"
                + (notRestored.Count > 0 ? $". Not undone: {string.Join("; ", notRestored)}" : "")
                + ". Do not retry; ask the user to make such changes.]";
            return result with { Content = result.Content + note };
        }

        async Task TakeAsync(ToolCall call, ShadowRepository repository, string phase, CancellationToken cancellationToken)
        {
            WorkspaceSnapshot snapshot;
            try
            {
                snapshot = await repository.SnapshotAsync(call.Session.SessionId, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is CheckpointException or IOException or UnauthorizedAccessException)
            {
                if (ex is CheckpointException { GitMissing: true })
                {
                    Volatile.Write(ref gitMissing, 1);
                }

                Log.SnapshotFailed(logger, phase, call.Request.Name, ex);
                call.Context.Progress?.Report($"checkpoint {phase} {call.Request.Name} skipped: {ex.Message}");
                return;
            }

            Log.SnapshotTaken(logger, phase, call.Request.Name, snapshot.Commit, snapshot.Elapsed);
            await call.Session.AppendAsync(
                new CheckpointTaken(snapshot.Commit, phase, call.Request.Id, call.Step, snapshot.SkippedFiles.Count > 0 ? snapshot.SkippedFiles : null),
                AppendDurability.Written,
                CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Warning, "Checkpoint {Phase} {ToolName} failed; the call runs without it")]
        public static partial void SnapshotFailed(ILogger logger, string phase, string toolName, Exception exception);

        [LoggerMessage(LogLevel.Debug, "Checkpoint {Phase} {ToolName}: {Commit} in {Elapsed}")]
        public static partial void SnapshotTaken(ILogger logger, string phase, string toolName, string commit, TimeSpan elapsed);
    }
}
