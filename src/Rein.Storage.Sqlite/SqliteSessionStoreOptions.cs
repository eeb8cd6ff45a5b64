namespace Rein.Storage.Sqlite;

/// <summary>Options for <see cref="SqliteSessionStore"/>.</summary>
public sealed class SqliteSessionStoreOptions
{
    /// <summary>Gets or sets the database file path. Defaults to <see cref="SqliteSessionStore.DefaultPath"/>.</summary>
    /// <remarks>Missing parent folders are created.</remarks>
    public string Path { get; set; } = SqliteSessionStore.DefaultPath;

    /// <summary>Gets or sets how long an operation waits for another process's write lock. Defaults to 10 seconds.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets the clock for event timestamps and writer heartbeats. Defaults to <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Gets or sets how long a writer lease stays valid without a heartbeat. Defaults to 30 seconds.
    /// A holder refreshes its heartbeat every third of this.
    /// </summary>
    public TimeSpan WriterLeaseTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets whether the write-ahead log is copied into the database file by a background task every
    /// <see cref="CheckpointInterval"/> instead of inside a commit. Defaults to <see langword="false"/>.
    /// </summary>
    /// <remarks>
    /// By default SQLite checkpoints in the commit that grows the log past 1,000 pages, so that commit, and every append queued
    /// behind it, waits while about 4 MB are copied and synced. A server with many sessions appending at once sees that as a
    /// stall every second or two; the background checkpoint (SQLite's <c>PASSIVE</c> mode, which never waits for readers or
    /// writers) keeps it off their path. The log is checkpointed whole when the last connection to the file closes either way.
    /// </remarks>
    public bool CheckpointInBackground { get; set; }

    /// <summary>Gets or sets how often the background checkpoint runs while appends arrive. Defaults to 1 second.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);
}
