using System.Collections.Concurrent;

namespace Rein.Guard.Checkpoints;

/// <summary>
/// Brings workspaces' shadow indexes up to date in the background, ahead of their first snapshot, at most once per workspace
/// in a <see cref="Period"/>: a server starting many sessions in one workspace stages it once, not once per session.
/// </summary>
/// <remarks>
/// Staging only makes the next snapshot faster (it adds only what changed since); snapshots are correct whether it ran or
/// not. The first snapshot of a workspace stages every file, which is why a session starts staging while the model answers
/// its first request. Thread-safe.
/// </remarks>
public sealed class WorkspaceStaging
{
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(string Workspace, string Folder), long> _started = new();

    /// <summary>Creates a stager.</summary>
    /// <param name="period">How long after one staging of a workspace another is not worth its git processes.</param>
    /// <param name="timeProvider">The clock; <see langword="null"/> for the system clock.</param>
    public WorkspaceStaging(TimeSpan period, TimeProvider? timeProvider = null)
    {
        Period = period;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets the stager this process's sessions share: at most one staging per workspace every 30 seconds.</summary>
    public static WorkspaceStaging Shared { get; } = new(TimeSpan.FromSeconds(30));

    /// <summary>Gets how long after one staging of a workspace another is skipped.</summary>
    public TimeSpan Period { get; }

    /// <summary>Starts staging a workspace in the background unless a staging of it started less than <see cref="Period"/> ago.</summary>
    /// <param name="workspace">The workspace folder.</param>
    /// <param name="options">Where its shadow repository lives.</param>
    /// <returns>The staging started, which never fails (a snapshot reports what is wrong when a call needs one); or
    /// <see langword="null"/> when it was skipped.</returns>
    public Task? Start(string workspace, CheckpointOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(workspace);
        ArgumentNullException.ThrowIfNull(options);
        var key = (workspace, options.Folder);
        var now = _time.GetTimestamp();
        if (_started.TryGetValue(key, out var last)
            ? _time.GetElapsedTime(last, now) < Period || !_started.TryUpdate(key, now, last)
            : !_started.TryAdd(key, now))
        {
            return null;
        }

        return Task.Run(async () =>
        {
            try
            {
                await new ShadowRepository(workspace, options).PrepareAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is CheckpointException or IOException or UnauthorizedAccessException)
            {
                // The snapshot itself reports what is wrong, when a call needs one.
            }
        });
    }
}
