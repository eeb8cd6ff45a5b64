using System.Globalization;

namespace Rein.Storage.Sqlite;

/// <summary>A held writer lease: refreshes its heartbeat until disposed, then deletes its row if it is still ours.</summary>
internal sealed class WriterLease : IAsyncDisposable
{
    private readonly SqliteSessionStore _store;
    private readonly SqliteDatabase _database;
    private readonly string _sessionId;
    private readonly string _owner;
    private readonly ITimer _timer;
    private readonly Lock _lock = new();
    private Task _heartbeat = Task.CompletedTask;
    private bool _disposed;

    public WriterLease(SqliteSessionStore store, SqliteDatabase database, string sessionId, string owner, TimeProvider timeProvider, TimeSpan heartbeatInterval)
    {
        _store = store;
        _database = database;
        _sessionId = sessionId;
        _owner = owner;
        _timer = timeProvider.CreateTimer(static state => ((WriterLease)state!).Beat(), this, heartbeatInterval, heartbeatInterval);
    }

    public static string Describe(int pid, string host) => string.Create(CultureInfo.InvariantCulture, $"{pid}@{host}");

    public async ValueTask DisposeAsync()
    {
        Task pending;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            pending = _heartbeat;
        }

        await _timer.DisposeAsync().ConfigureAwait(false);
        await pending.ConfigureAwait(false);
        try
        {
            await _store.ReleaseLeaseAsync(_sessionId, _owner, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _database.ReleaseLease(_sessionId, _owner);
        }
    }

    private void Beat()
    {
        lock (_lock)
        {
            // Skip a tick rather than stack heartbeats when the database is slow.
            if (_disposed || !_heartbeat.IsCompleted)
            {
                return;
            }

            _heartbeat = BeatAsync();
        }
    }

    private async Task BeatAsync()
    {
        try
        {
            await Task.Yield();
            await _store.HeartbeatAsync(_sessionId, _owner, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A failed heartbeat must not crash the process; the next tick retries, and the TTL decides.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
