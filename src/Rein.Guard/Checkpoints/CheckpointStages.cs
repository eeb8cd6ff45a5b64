using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rein.Engine;
using Rein.Journal;

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
    /// </remarks>
    public static ToolCallPipelineBuilder UseCheckpoints(this ToolCallPipelineBuilder builder, CheckpointOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Folder);
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(typeof(CheckpointStages));
        var repositories = new ConcurrentDictionary<string, ShadowRepository>(StringComparer.Ordinal);
        var gitMissing = 0;
        return builder.Use(next => async (call, cancellationToken) =>
        {
            if (call.Tool is null || call.Tool.Definition.ReadOnly || Volatile.Read(ref gitMissing) != 0)
            {
                return await next(call, cancellationToken).ConfigureAwait(false);
            }

            var repository = repositories.GetOrAdd(call.Context.WorkspaceRoot, workspace => new ShadowRepository(workspace, options, timeProvider));
            await TakeAsync(call, repository, "before", cancellationToken).ConfigureAwait(false);
            var result = await next(call, cancellationToken).ConfigureAwait(false);
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
