using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Rein.Storage.Sqlite;

/// <summary>
/// Per-process state shared by every store opened on the same file: the one-time migration,
/// an in-process write gate and the sessions whose writer lease this process holds.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Lives as long as the process; semaphores without a wait handle hold no unmanaged resources.")]
internal sealed class SqliteDatabase
{
    private static readonly ConcurrentDictionary<string, SqliteDatabase> Databases = new(StringComparer.Ordinal);

    private readonly SemaphoreSlim _migrationGate = new(1, 1);
    private readonly ConcurrentDictionary<string, string> _heldLeases = new(StringComparer.Ordinal);
    private volatile bool _migrated;

    private SqliteDatabase(string path) => Path = path;

    public string Path { get; }

    /// <summary>
    /// Gets the gate that serializes this process's writes. SQLite allows one writer at a time anyway;
    /// queueing here waits asynchronously instead of blocking threads in SQLite's busy handler.
    /// </summary>
    public SemaphoreSlim WriteGate { get; } = new(1, 1);

    public static SqliteDatabase For(string fullPath) => Databases.GetOrAdd(fullPath, static p => new SqliteDatabase(p));

    /// <summary>Records that a handle of this process holds a session's lease.</summary>
    public bool TryHoldLease(string sessionId, string owner) => _heldLeases.TryAdd(sessionId, owner);

    /// <summary>Forgets a lease held by this process.</summary>
    public void ReleaseLease(string sessionId, string owner) =>
        _heldLeases.TryRemove(new KeyValuePair<string, string>(sessionId, owner));

    public async ValueTask EnsureMigratedAsync(Func<CancellationToken, ValueTask<SqliteConnection>> open, CancellationToken cancellationToken)
    {
        if (_migrated)
        {
            return;
        }

        await _migrationGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_migrated)
            {
                var connection = await open(cancellationToken).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    await SqliteMigrator.MigrateAsync(connection, Path, cancellationToken).ConfigureAwait(false);
                }

                _migrated = true;
            }
        }
        finally
        {
            _migrationGate.Release();
        }
    }
}

/// <summary>Fixed-width UTC text timestamps, which sort and compare correctly as text.</summary>
internal static class SqliteTime
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    public static string ToText(DateTimeOffset value) => value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public static DateTimeOffset Parse(string text) =>
        new(DateTime.SpecifyKind(DateTime.ParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.None), DateTimeKind.Utc));
}
