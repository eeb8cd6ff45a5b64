using System.ComponentModel;
using System.Diagnostics;

namespace Rein.Storage.Sqlite;

/// <summary>Tells whether a writer's process on this host is still running.</summary>
internal static class ProcessLiveness
{
    // Process start times are derived from clock ticks since boot; allow for rounding between readings.
    private static readonly TimeSpan StartTimeTolerance = TimeSpan.FromSeconds(2);

    private static readonly Lazy<DateTimeOffset?> CurrentStartTime = new(() => StartTimeOf(Environment.ProcessId));

    /// <summary>Gets this process's start time, when the platform reports it.</summary>
    public static DateTimeOffset? CurrentProcessStartTime => CurrentStartTime.Value;

    /// <summary>Gets whether the process is running and, when its start time is known, is the same process (not a reused pid).</summary>
    public static bool IsAlive(int pid, DateTimeOffset? startedAt)
    {
        if (pid == Environment.ProcessId)
        {
            return startedAt is null || CurrentProcessStartTime is not { } own || (own - startedAt.Value).Duration() <= StartTimeTolerance;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.HasExited)
            {
                return false;
            }

            if (startedAt is null)
            {
                return true;
            }

            var actual = new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero);
            return (actual - startedAt.Value).Duration() <= StartTimeTolerance;
        }
        catch (ArgumentException)
        {
            // No process with that id.
            return false;
        }
        catch (InvalidOperationException)
        {
            // It exited while we looked.
            return false;
        }
        catch (Exception e) when (e is Win32Exception or NotSupportedException or UnauthorizedAccessException)
        {
            // We cannot tell; only the heartbeat can release the lease then.
            return true;
        }
    }

    private static DateTimeOffset? StartTimeOf(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or Win32Exception or NotSupportedException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
