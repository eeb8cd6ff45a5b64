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
}
