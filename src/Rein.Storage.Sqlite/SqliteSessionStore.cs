using System.Data;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Rein.Journal;

namespace Rein.Storage.Sqlite;

/// <summary>The default, embedded <see cref="ISessionStore"/>: one SQLite file in WAL mode.</summary>
/// <remarks>
/// <para>
/// Safe for concurrent use: reads open pooled connections; appends share one writer connection, one at a
/// time, each in one <c>BEGIN IMMEDIATE</c> transaction. A <see cref="AppendDurability.Flushed"/> append commits with
/// <c>synchronous=FULL</c> (on stable storage when the call returns); <see cref="AppendDurability.Written"/> with
/// <c>synchronous=NORMAL</c> (survives the process being killed).
/// Several stores, in one process or many, may share a file.
/// </para>
/// <para>
/// The schema is created and upgraded by numbered scripts (<c>Migrations/0001_init.sql</c>, ...) on the first
/// operation, once per process and file.
/// </para>
/// </remarks>
public sealed class SqliteSessionStore : ISessionStore, IDisposable
{
    private const int TitleLength = 80;

    private readonly SqliteDatabase _database;
    private readonly string _connectionString;
    private readonly string _pragmas;
    private SqliteConnection? _writer;
    private AppendStatements? _appendStatements;
    private readonly System.Collections.Concurrent.ConcurrentQueue<PendingAppend> _pendingAppends = new();
    private string? _writerSynchronous;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _leaseTtl;

    /// <summary>Initializes a store on a database file.</summary>
    /// <param name="path">The database file path; missing parent folders are created.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    public SqliteSessionStore(string path)
        : this(new SqliteSessionStoreOptions { Path = path })
    {
    }

    /// <summary>Initializes a store.</summary>
    /// <param name="options">The options; read once, here.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or its time provider is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The busy timeout is negative or the lease TTL is not positive.</exception>
    public SqliteSessionStore(SqliteSessionStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path);
        ArgumentNullException.ThrowIfNull(options.TimeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BusyTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.WriterLeaseTtl, TimeSpan.Zero);

        Path = System.IO.Path.GetFullPath(options.Path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _timeProvider = options.TimeProvider;
        _leaseTtl = options.WriterLeaseTtl;
        _database = SqliteDatabase.For(Path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        }.ToString();
        // A server reads with as many pooled connections as it has concurrent readers, and each keeps its own page cache (2 MB by
        // default) for as long as the pool keeps it: 256 KB each holds the upper levels of the indexes; the rest comes from the
        // operating system's file cache.
        _pragmas = string.Create(
            CultureInfo.InvariantCulture,
            $"PRAGMA synchronous=FULL; PRAGMA busy_timeout={(long)options.BusyTimeout.TotalMilliseconds}; PRAGMA cache_size=-256;");
    }

    /// <summary>
    /// Gets the default database path: <c>$XDG_DATA_HOME/rein/rein.db</c> or <c>~/.local/share/rein/rein.db</c> on Linux,
    /// and <c>rein/rein.db</c> under the local application data folder elsewhere.
    /// </summary>
    public static string DefaultPath
    {
        get
        {
            if (OperatingSystem.IsLinux() || OperatingSystem.IsFreeBSD())
            {
                var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
                var dataHome = !string.IsNullOrEmpty(xdg) && System.IO.Path.IsPathRooted(xdg)
                    ? xdg
                    : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
                return System.IO.Path.Combine(dataHome, "rein", "rein.db");
            }

            return System.IO.Path.Combine(
                Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify),
                "rein",
                "rein.db");
        }
    }

    /// <summary>Gets the full path of the database file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RecordedEvent>> AppendAsync(string sessionId, long expectedVersion, IReadOnlyList<SessionEvent> events, AppendDurability durability = AppendDurability.Flushed, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedVersion);
        ArgumentNullException.ThrowIfNull(events);
        for (var i = 0; i < events.Count; i++)
        {
            switch (events[i])
            {
                case null:
                    throw new ArgumentException($"Event {i} is null.", nameof(events));
                case SessionStarted when i != 0:
                    throw new ArgumentException("SessionStarted can only be the first event of a journal.", nameof(events));
                case SessionStarted started when !string.Equals(started.SessionId, sessionId, StringComparison.Ordinal):
                    throw new ArgumentException($"SessionStarted names session '{started.SessionId}', but it is appended to '{sessionId}'.", nameof(events));
                default:
                    break;
            }
        }

        await _database.EnsureMigratedAsync(OpenRawAsync, cancellationToken).ConfigureAwait(false);
        var append = new PendingAppend(sessionId, expectedVersion, events, durability);
        _pendingAppends.Enqueue(append);
        try
        {
            await _database.WriteGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!append.TryClaim(PendingAppend.Cancelled))
        {
            // The writer of a batch took it first: it is being written, and its outcome stands.
            return await append.Outcome.Task.ConfigureAwait(false);
        }

        try
        {
            if (!append.Outcome.Task.IsCompleted)
            {
                await WriteBatchAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _database.WriteGate.Release();
        }

        return await append.Outcome.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Writes every append queued on this store in one transaction (group commit): with many sessions appending at once, one
    /// commit (and one sync of the log) serves them all instead of one each. Each append has its own savepoint, so one that is
    /// refused (a version conflict) leaves the others written. Called holding the write gate.
    /// </summary>
    private async ValueTask WriteBatchAsync()
    {
        var batch = new List<PendingAppend>();
        while (_pendingAppends.TryDequeue(out var queued))
        {
            if (queued.TryClaim(PendingAppend.Taken))
            {
                batch.Add(queued);
            }
        }

        if (batch.Count == 0)
        {
            return;
        }

        var results = new Exception?[batch.Count];
        var recorded = new IReadOnlyList<RecordedEvent>?[batch.Count];
        try
        {
            // Appends reuse one open connection: a step appends several times, and opening and
            // configuring a connection costs as much as the insert itself.
            if (_writer is null)
            {
                _writer = await OpenRawAsync(CancellationToken.None).ConfigureAwait(false);
                _writerSynchronous = "FULL"; // set by the connection pragmas
                _appendStatements = new AppendStatements(_writer);
            }

            var statements = _appendStatements!;

            // In WAL mode, FULL syncs the log on commit; NORMAL leaves it to the next checkpoint (process-crash safe).
            var synchronous = batch.Exists(a => a.Durability == AppendDurability.Flushed) ? "FULL" : "NORMAL";
            if (synchronous != _writerSynchronous)
            {
                using var pragma = _writer.CreateCommand();
                pragma.CommandText = $"PRAGMA synchronous={synchronous};";
                await pragma.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                _writerSynchronous = synchronous;
            }

            // Serializable is BEGIN IMMEDIATE: the write lock is taken before the versions are read.
            var transaction = (SqliteTransaction)await _writer.BeginTransactionAsync(IsolationLevel.Serializable, CancellationToken.None).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                statements.Enlist(transaction);
                for (var i = 0; i < batch.Count; i++)
                {
                    var append = batch[i];
                    await statements.Savepoint.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                    try
                    {
                        recorded[i] = await AppendCoreAsync(statements, append.SessionId, append.ExpectedVersion, append.Events, CancellationToken.None).ConfigureAwait(false);
                        await statements.ReleaseSavepoint.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is ConcurrencyConflictException or SessionNotFoundException or ArgumentException)
                    {
                        await statements.RollbackToSavepoint.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                        await statements.ReleaseSavepoint.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                        results[i] = ex;
                    }
                }

                // Past this point the appends are durable; cancellation no longer applies.
                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // An I/O or database error may leave the connection unusable; the next append opens a fresh one.
            await ResetWriterAsync().ConfigureAwait(false);
            foreach (var append in batch)
            {
                append.Outcome.TrySetException(ex);
            }

            return;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (results[i] is { } refused)
            {
                batch[i].Outcome.TrySetException(refused);
            }
            else
            {
                batch[i].Outcome.TrySetResult(recorded[i]!);
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>One <c>BEGIN IMMEDIATE</c> transaction with <c>synchronous=FULL</c>: the whole journal or nothing.</remarks>
    public async ValueTask ImportAsync(string sessionId, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken = default)
    {
        var started = RecordedJournal.Validate(sessionId, events);
        await _database.EnsureMigratedAsync(OpenRawAsync, cancellationToken).ConfigureAwait(false);
        await _database.WriteGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Its own connection (settings FULL): an import is rare and must be on stable storage when it returns.
            var connection = await OpenRawAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                await ImportCoreAsync(connection, started, events, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _database.WriteGate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RecordedEvent>> ReadAsync(string sessionId, long afterSequence = 0, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // A read transaction gives one snapshot for the existence check and the events.
            var transaction = connection.BeginTransaction(deferred: true);
            await using (transaction.ConfigureAwait(false))
            {
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "SELECT seq, at, data FROM events WHERE session_id = $id AND seq > $after ORDER BY seq;";
                command.Parameters.AddWithValue("$id", sessionId);
                command.Parameters.AddWithValue("$after", afterSequence);
                var result = new List<RecordedEvent>();
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        result.Add(new RecordedEvent(reader.GetInt64(0), SqliteTime.Parse(reader.GetString(1)), JournalJson.Deserialize(reader.GetString(2))));
                    }
                }

                if (result.Count == 0)
                {
                    command.CommandText = "SELECT 1 FROM sessions WHERE id = $id;";
                    if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
                    {
                        throw new SessionNotFoundException(sessionId);
                    }
                }

                return result;
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>Sessions are ordered by their last append, most recent first.</remarks>
    public async ValueTask<IReadOnlyList<SessionSummary>> ListAsync(int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"{SummaryColumns} ORDER BY s.updated_at DESC, s.started_at DESC, s.id LIMIT $limit;";
            command.Parameters.AddWithValue("$limit", limit);
            return await ReadSummariesAsync(command, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask<SessionSummary?> GetAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.Parameters.AddWithValue("$id", sessionId);
            command.CommandText = $"{SummaryColumns} WHERE s.id = $id;";
            var exact = await ReadSummariesAsync(command, cancellationToken).ConfigureAwait(false);
            if (exact.Count == 1)
            {
                return exact[0];
            }

            // substr, not LIKE: ids compare case-sensitively and may contain % or _.
            command.CommandText = $"{SummaryColumns} WHERE substr(s.id, 1, length($id)) = $id ORDER BY s.id LIMIT 10;";
            var matches = await ReadSummariesAsync(command, cancellationToken).ConfigureAwait(false);
            return matches.Count switch
            {
                0 => null,
                1 => matches[0],
                _ => throw new AmbiguousSessionIdException(sessionId, [.. matches.Select(m => m.Id)]),
            };
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The lease is a row in <c>session_writers</c>, refreshed every third of
    /// <see cref="SqliteSessionStoreOptions.WriterLeaseTtl"/>. It is taken over when its holder's process is gone
    /// (same host) or its heartbeat is older than the TTL. A second handle in the same process is always refused.
    /// </remarks>
    public async ValueTask<IAsyncDisposable> AcquireWriterAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        var owner = Guid.NewGuid().ToString("N");
        if (!_database.TryHoldLease(sessionId, owner))
        {
            throw new SessionBusyException(sessionId, WriterLease.Describe(Environment.ProcessId, Environment.MachineName));
        }

        try
        {
            var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                await _database.WriteGate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await TakeLeaseAsync(connection, sessionId, owner, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _database.WriteGate.Release();
                }
            }
        }
        catch
        {
            _database.ReleaseLease(sessionId, owner);
            throw;
        }

        return new WriterLease(this, _database, sessionId, owner, _timeProvider, _leaseTtl / 3);
    }

    /// <summary>Returns this store's pooled connections; the file stays as it is.</summary>
    public void Dispose()
    {
        _appendStatements?.Dispose();
        _appendStatements = null;
        _writer?.Dispose();
        _writer = null;
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    /// <summary>Opens a pooled connection with the per-connection settings applied, migrating the file first if needed.</summary>
    internal async ValueTask<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await _database.EnsureMigratedAsync(OpenRawAsync, cancellationToken).ConfigureAwait(false);
        return await OpenRawAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Updates the heartbeat of a lease this process holds.</summary>
    /// <returns>Whether the lease is still ours.</returns>
    internal async ValueTask<bool> HeartbeatAsync(string sessionId, string owner, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // Through the write gate like appends: waiting here is asynchronous, where SQLite's busy handler would block a thread.
            await _database.WriteGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using var command = connection.CreateCommand();
                command.CommandText = "UPDATE session_writers SET heartbeat_at = $now WHERE session_id = $id AND owner = $owner;";
                command.Parameters.AddWithValue("$now", SqliteTime.ToText(_timeProvider.GetUtcNow()));
                command.Parameters.AddWithValue("$id", sessionId);
                command.Parameters.AddWithValue("$owner", owner);
                return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
            }
            finally
            {
                _database.WriteGate.Release();
            }
        }
    }

    /// <summary>Deletes a lease row if it is still ours.</summary>
    internal async ValueTask ReleaseLeaseAsync(string sessionId, string owner, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // Through the write gate like appends: waiting here is asynchronous, where SQLite's busy handler would block a thread.
            await _database.WriteGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using var command = connection.CreateCommand();
                command.CommandText = "DELETE FROM session_writers WHERE session_id = $id AND owner = $owner;";
                command.Parameters.AddWithValue("$id", sessionId);
                command.Parameters.AddWithValue("$owner", owner);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _database.WriteGate.Release();
            }
        }
    }

    private const string SummaryColumns =
        "SELECT s.id, s.status, s.workspace, s.model, s.title, s.started_at, s.updated_at, s.version, s.stop_reason, " +
        "w.pid, w.host, w.process_started_at, w.heartbeat_at FROM sessions s LEFT JOIN session_writers w ON w.session_id = s.id";

    /// <summary>Whether a writer lease row (read at <paramref name="offset"/>) belongs to a live writer.</summary>
    private bool HasLiveWriter(SqliteDataReader reader, int offset)
    {
        if (reader.IsDBNull(offset))
        {
            return false;
        }

        var pid = reader.GetInt32(offset);
        var host = reader.GetString(offset + 1);
        DateTimeOffset? processStartedAt = reader.IsDBNull(offset + 2) ? null : SqliteTime.Parse(reader.GetString(offset + 2));
        var stale = _timeProvider.GetUtcNow() - SqliteTime.Parse(reader.GetString(offset + 3)) > _leaseTtl;
        var dead = string.Equals(host, Environment.MachineName, StringComparison.OrdinalIgnoreCase) && !ProcessLiveness.IsAlive(pid, processStartedAt);
        return !stale && !dead;
    }

    private async ValueTask<List<SessionSummary>> ReadSummariesAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var result = new List<SessionSummary>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var status = reader.GetString(1);
                if (status == SessionStatus.Running && !HasLiveWriter(reader, 9))
                {
                    // Its journal says running, but no process is running it: it crashed or was killed.
                    status = SessionStatus.Interrupted;
                }

                result.Add(new SessionSummary(
                    Id: reader.GetString(0),
                    Status: status,
                    Workspace: reader.GetString(2),
                    Model: reader.GetString(3),
                    Title: reader.IsDBNull(4) ? null : reader.GetString(4),
                    StartedAt: SqliteTime.Parse(reader.GetString(5)),
                    UpdatedAt: SqliteTime.Parse(reader.GetString(6)),
                    Version: reader.GetInt64(7),
                    StopReason: reader.IsDBNull(8) ? null : reader.GetString(8)));
            }
        }

        return result;
    }

    private ValueTask<SqliteConnection> OpenRawAsync(CancellationToken cancellationToken) => OpenRawAsync(_pragmas, cancellationToken);

    private async ValueTask ResetWriterAsync()
    {
        _appendStatements?.Dispose();
        _appendStatements = null;
        if (_writer is { } writer)
        {
            _writer = null;
            _writerSynchronous = null;
            await writer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask<SqliteConnection> OpenRawAsync(string pragmas, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = pragmas;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async ValueTask<IReadOnlyList<RecordedEvent>> AppendCoreAsync(AppendStatements statements, string sessionId, long expectedVersion, IReadOnlyList<SessionEvent> events, CancellationToken cancellationToken)
    {
        var now = _timeProvider.GetUtcNow().ToUniversalTime();
        var nowText = SqliteTime.ToText(now);
        now = SqliteTime.Parse(nowText);

        var read = statements.ReadSession;
        read.Parameters["$id"].Value = sessionId;
        long version;
        string status;
        string? stopReason;
        string? title;
        var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                version = reader.GetInt64(0);
                status = reader.GetString(1);
                stopReason = reader.IsDBNull(2) ? null : reader.GetString(2);
                title = reader.IsDBNull(3) ? null : reader.GetString(3);
            }
            else
            {
                version = -1;
                status = SessionStatus.Running;
                stopReason = null;
                title = null;
            }
        }

        if (version < 0)
        {
            if (expectedVersion != 0 || events.Count == 0 || events[0] is not SessionStarted started)
            {
                throw new SessionNotFoundException(sessionId);
            }

            var create = statements.CreateSession.Parameters;
            create["$id"].Value = sessionId;
            create["$workspace"].Value = started.Workspace;
            create["$model"].Value = started.Model;
            create["$agent"].Value = (object?)started.Agent ?? DBNull.Value;
            create["$status"].Value = SessionStatus.Running;
            create["$now"].Value = nowText;
            await statements.CreateSession.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            version = 0;
        }
        else if (version != expectedVersion)
        {
            throw new ConcurrencyConflictException(sessionId, expectedVersion, version);
        }
        else if (events.Count > 0 && events[0] is SessionStarted)
        {
            throw new ArgumentException("SessionStarted can only be the first event of a journal.", nameof(events));
        }

        var insert = statements.InsertEvent.Parameters;
        insert["$id"].Value = sessionId;
        insert["$at"].Value = nowText;
        var recorded = new List<RecordedEvent>(events.Count);
        foreach (var e in events)
        {
            version++;
            FoldSummary(e, ref status, ref title, ref stopReason);

            insert["$seq"].Value = version;
            insert["$type"].Value = e.TypeName;
            insert["$data"].Value = JournalJson.Serialize(e);
            await statements.InsertEvent.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            recorded.Add(new RecordedEvent(version, now, e));
        }

        var update = statements.UpdateSession.Parameters;
        update["$version"].Value = version;
        update["$status"].Value = status;
        update["$stop"].Value = (object?)stopReason ?? DBNull.Value;
        update["$title"].Value = (object?)title ?? DBNull.Value;
        update["$now"].Value = nowText;
        update["$id"].Value = sessionId;
        await statements.UpdateSession.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return recorded;
    }

    private static async ValueTask ImportCoreAsync(SqliteConnection connection, SessionStarted started, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken)
    {
        var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT 1 FROM sessions WHERE id = $id;";
            command.Parameters.AddWithValue("$id", started.SessionId);
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null)
            {
                throw new SessionAlreadyExistsException(started.SessionId);
            }

            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO events (session_id, seq, type, at, data) VALUES ($id, $seq, $type, $at, $data);";
            insert.Parameters.AddWithValue("$id", started.SessionId);
            var seqParameter = insert.Parameters.Add("$seq", SqliteType.Integer);
            var typeParameter = insert.Parameters.Add("$type", SqliteType.Text);
            var atParameter = insert.Parameters.Add("$at", SqliteType.Text);
            var dataParameter = insert.Parameters.Add("$data", SqliteType.Text);

            var status = SessionStatus.Running;
            string? stopReason = null;
            string? title = null;
            foreach (var recorded in events)
            {
                FoldSummary(recorded.Event, ref status, ref title, ref stopReason);
            }

            // The session row first: events reference it.
            command.CommandText = """
                INSERT INTO sessions (id, workspace, model, agent, title, status, stop_reason, started_at, updated_at, version)
                VALUES ($id, $workspace, $model, $agent, $title, $status, $stop, $started, $updated, $version);
                """;
            command.Parameters.AddWithValue("$workspace", started.Workspace);
            command.Parameters.AddWithValue("$model", started.Model);
            command.Parameters.AddWithValue("$agent", (object?)started.Agent ?? DBNull.Value);
            command.Parameters.AddWithValue("$title", (object?)title ?? DBNull.Value);
            command.Parameters.AddWithValue("$status", status);
            command.Parameters.AddWithValue("$stop", (object?)stopReason ?? DBNull.Value);
            command.Parameters.AddWithValue("$started", SqliteTime.ToText(events[0].Timestamp));
            command.Parameters.AddWithValue("$updated", SqliteTime.ToText(events[^1].Timestamp));
            command.Parameters.AddWithValue("$version", events.Count);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

            foreach (var recorded in events)
            {
                seqParameter.Value = recorded.Sequence;
                typeParameter.Value = recorded.Event.TypeName;
                atParameter.Value = SqliteTime.ToText(recorded.Timestamp);
                dataParameter.Value = JournalJson.Serialize(recorded.Event);
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async ValueTask TakeLeaseAsync(SqliteConnection connection, string sessionId, string owner, CancellationToken cancellationToken)
    {
        var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            var now = _timeProvider.GetUtcNow();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT pid, host, process_started_at, heartbeat_at FROM session_writers WHERE session_id = $id;";
            command.Parameters.AddWithValue("$id", sessionId);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var pid = reader.GetInt32(0);
                    var host = reader.GetString(1);
                    DateTimeOffset? processStartedAt = reader.IsDBNull(2) ? null : SqliteTime.Parse(reader.GetString(2));
                    var heartbeatAt = SqliteTime.Parse(reader.GetString(3));
                    var stale = now - heartbeatAt > _leaseTtl;
                    var dead = string.Equals(host, Environment.MachineName, StringComparison.OrdinalIgnoreCase)
                        && !ProcessLiveness.IsAlive(pid, processStartedAt);
                    if (!stale && !dead)
                    {
                        throw new SessionBusyException(sessionId, WriterLease.Describe(pid, host));
                    }
                }
            }

            command.CommandText = """
                INSERT OR REPLACE INTO session_writers (session_id, owner, pid, host, process_started_at, acquired_at, heartbeat_at)
                VALUES ($id, $owner, $pid, $host, $started, $now, $now);
                """;
            command.Parameters.AddWithValue("$owner", owner);
            command.Parameters.AddWithValue("$pid", Environment.ProcessId);
            command.Parameters.AddWithValue("$host", Environment.MachineName);
            command.Parameters.AddWithValue("$started", ProcessLiveness.CurrentProcessStartTime is { } started ? SqliteTime.ToText(started) : DBNull.Value);
            command.Parameters.AddWithValue("$now", SqliteTime.ToText(now));
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Moves a session's listed status, title and stop reason past one event.</summary>
    private static void FoldSummary(SessionEvent e, ref string status, ref string? title, ref string? stopReason)
    {
        status = SessionStatus.After(status, e);
        switch (e)
        {
            case UserMessage message:
                title ??= Shorten(message.Text);
                stopReason = null;
                break;
            case SessionEnded ended:
                stopReason = ended.Reason;
                break;
            case SessionSuspended suspended:
                stopReason = suspended.Reason;
                break;
            default:
                break;
        }
    }

    private static string? Shorten(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, TitleLength + 1));
        var pendingSpace = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = builder.Length > 0;
                continue;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            builder.Append(c);
            if (builder.Length > TitleLength)
            {
                break;
            }
        }

        if (builder.Length <= TitleLength)
        {
            return builder.Length == 0 ? null : builder.ToString();
        }

        builder.Length = TitleLength - 1;
        if (char.IsHighSurrogate(builder[^1]))
        {
            builder.Length--;
        }

        return builder.ToString().TrimEnd() + "…";
    }

    /// <summary>An append waiting for the writer of the next batch.</summary>
    private sealed class PendingAppend(string sessionId, long expectedVersion, IReadOnlyList<SessionEvent> events, AppendDurability durability)
    {
        public const int Taken = 1;
        public const int Cancelled = 2;

        private int _state;

        public string SessionId { get; } = sessionId;

        public long ExpectedVersion { get; } = expectedVersion;

        public IReadOnlyList<SessionEvent> Events { get; } = events;

        public AppendDurability Durability { get; } = durability;

        public TaskCompletionSource<IReadOnlyList<RecordedEvent>> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Moves the append out of the queue's hands once: into a batch (<see cref="Taken"/>) or given up by its caller (<see cref="Cancelled"/>).</summary>
        public bool TryClaim(int state) => Interlocked.CompareExchange(ref _state, state, 0) == 0;
    }
}
