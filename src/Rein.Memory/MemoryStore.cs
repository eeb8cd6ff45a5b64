using System.Data;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Rein.Memory;

/// <summary>
/// Long-term memories in their own SQLite file, searched with an FTS5 index ranked by BM25.
/// </summary>
/// <remarks>
/// Thread-safe, and safe for several processes on the same file: each call uses its own (pooled) connection, the
/// database is in WAL mode, and writes take the write lock up front (<c>BEGIN IMMEDIATE</c>) and wait up to
/// <see cref="MemoryStoreOptions.BusyTimeout"/> for another writer. The schema is created or upgraded on first use;
/// its version is kept in the <c>memory_schema</c> table.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "A semaphore without a wait handle holds no unmanaged resources.")]
public sealed class MemoryStore
{
    /// <summary>The longest memory text, in characters.</summary>
    public const int MaxTextLength = 2000;

    /// <summary>The schema version this build writes.</summary>
    public const int SchemaVersion = 1;

    private const string Columns = "m.id, m.scope, m.scope_key, m.kind, m.text, m.tags, m.created_at, m.updated_at, m.source, m.session_id, m.step";
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    private readonly string _connectionString;
    private readonly string _pragmas;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _migrationGate = new(1, 1);
    private volatile bool _migrated;

    /// <summary>Creates a store over a file; nothing is opened until the first call.</summary>
    /// <param name="options">The options.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">No path is given.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The busy timeout is negative.</exception>
    public MemoryStore(MemoryStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BusyTimeout, TimeSpan.Zero);
        Path = System.IO.Path.GetFullPath(options.Path);
        _time = options.TimeProvider;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = Math.Max(30, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        }.ToString();
        _pragmas = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout={(long)options.BusyTimeout.TotalMilliseconds}; PRAGMA synchronous=NORMAL;");
    }

    /// <summary>Gets the full path of the database file.</summary>
    public string Path { get; }

    /// <summary>
    /// Stores a memory. When the same text (ignoring case, runs of white space and a final full stop) is already stored
    /// in the same scope, that memory is updated instead: its kind, its tags (merged) and its update time; it keeps its
    /// identifier and its original provenance.
    /// </summary>
    /// <param name="draft">The memory.</param>
    /// <param name="cancellationToken">A token to cancel the call.</param>
    /// <returns>The stored memory and whether it is new.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="draft"/> is null.</exception>
    /// <exception cref="ArgumentException">The text is empty or longer than <see cref="MaxTextLength"/>, or the scope key is empty.</exception>
    /// <exception cref="SqliteException">The database cannot be used.</exception>
    public async ValueTask<MemorySaved> AddAsync(MemoryDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var text = CheckText(draft.Text);
        ArgumentException.ThrowIfNullOrWhiteSpace(draft.ScopeKey);
        var key = MemoryText.DedupeKey(text);
        var now = ToText(_time.GetUtcNow());
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = $"SELECT {Columns} FROM memories m WHERE m.scope = $scope AND m.scope_key = $key AND m.text_key = $text_key;";
                command.Parameters.AddWithValue("$scope", MemoryNames.Of(draft.Scope));
                command.Parameters.AddWithValue("$key", draft.ScopeKey);
                command.Parameters.AddWithValue("$text_key", key);
                var existing = await ReadOneAsync(command, cancellationToken).ConfigureAwait(false);
                command.Parameters.Clear();
                string id;
                if (existing is null)
                {
                    id = MemoryText.NewId();
                    command.CommandText = """
                        INSERT INTO memories (id, scope, scope_key, kind, text, text_key, tags, created_at, updated_at, source, session_id, step)
                        VALUES ($id, $scope, $key, $kind, $text, $text_key, $tags, $now, $now, $source, $session, $step);
                        """;
                    command.Parameters.AddWithValue("$scope", MemoryNames.Of(draft.Scope));
                    command.Parameters.AddWithValue("$key", draft.ScopeKey);
                    command.Parameters.AddWithValue("$text_key", key);
                    command.Parameters.AddWithValue("$text", text);
                    command.Parameters.AddWithValue("$tags", string.Join(',', MemoryText.NormalizeTags(draft.Tags)));
                    command.Parameters.AddWithValue("$source", draft.Provenance.Source);
                    command.Parameters.AddWithValue("$session", (object?)draft.Provenance.SessionId ?? DBNull.Value);
                    command.Parameters.AddWithValue("$step", (object?)draft.Provenance.Step ?? DBNull.Value);
                }
                else
                {
                    id = existing.Id;
                    command.CommandText = "UPDATE memories SET kind = $kind, tags = $tags, updated_at = $now, version = version + 1 WHERE id = $id;";
                    command.Parameters.AddWithValue("$tags", string.Join(',', MemoryText.NormalizeTags(existing.Tags.Concat(draft.Tags))));
                }

                command.Parameters.AddWithValue("$id", id);
                command.Parameters.AddWithValue("$kind", MemoryNames.Of(draft.Kind));
                command.Parameters.AddWithValue("$now", now);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                var saved = await GetAsync(connection, transaction, id, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return new MemorySaved(saved!, existing is null);
            }
        }
    }

    /// <summary>Finds the memories of the given scopes that match a query, most relevant first (FTS5 BM25).</summary>
    /// <param name="query">
    /// Free text. It is split into words and each word is searched as a quoted term, any of them matching, so FTS5
    /// syntax in it has no effect; a query without searchable words (empty, punctuation, only common words) finds nothing.
    /// </param>
    /// <param name="scopes">The scopes to search (e.g. <see cref="MemoryVisibility.Scopes"/>).</param>
    /// <param name="limit">The most memories to return.</param>
    /// <param name="kind">Only memories of this kind, or null for all.</param>
    /// <param name="cancellationToken">A token to cancel the call.</param>
    /// <returns>The matches, best first.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="scopes"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is less than 1.</exception>
    /// <exception cref="SqliteException">The database cannot be used.</exception>
    public async ValueTask<IReadOnlyList<MemoryMatch>> SearchAsync(string? query, IReadOnlyCollection<MemoryScopeKey> scopes, int limit = 10, MemoryKind? kind = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        if (MemoryText.ToFtsQuery(query) is not { } match || scopes.Count == 0)
        {
            return [];
        }

        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            var filter = ScopeFilter(command, scopes, kind);
            // Text counts twice as much as tags.
            command.CommandText = $"""
                SELECT {Columns}, bm25(memories_fts, 1.0, 0.5) AS rank
                FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid
                WHERE memories_fts MATCH $match AND {filter}
                ORDER BY rank, m.updated_at DESC, m.id
                LIMIT $limit;
                """;
            command.Parameters.AddWithValue("$match", match);
            command.Parameters.AddWithValue("$limit", limit);
            var matches = new List<MemoryMatch>();
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    matches.Add(new MemoryMatch(Read(reader), reader.GetDouble(11)));
                }
            }

            return matches;
        }
    }

    /// <summary>Lists memories, preferences first, then newest first.</summary>
    /// <param name="scopes">The scopes to list, or null for every memory in the file.</param>
    /// <param name="kind">Only memories of this kind, or null for all.</param>
    /// <param name="cancellationToken">A token to cancel the call.</param>
    /// <returns>The memories.</returns>
    /// <exception cref="SqliteException">The database cannot be used.</exception>
    public async ValueTask<IReadOnlyList<MemoryEntry>> ListAsync(IReadOnlyCollection<MemoryScopeKey>? scopes = null, MemoryKind? kind = null, CancellationToken cancellationToken = default)
    {
        if (scopes is { Count: 0 })
        {
            return [];
        }

        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            var filter = ScopeFilter(command, scopes, kind);
            command.CommandText = $"SELECT {Columns} FROM memories m WHERE {filter} ORDER BY m.kind = 'preference' DESC, m.updated_at DESC, m.id;";
            var entries = new List<MemoryEntry>();
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    entries.Add(Read(reader));
                }
            }

            return entries;
        }
    }

    /// <summary>Gets a memory by identifier.</summary>
    /// <param name="id">The identifier.</param>
    /// <param name="cancellationToken">A token to cancel the call.</param>
    /// <returns>The memory, or null when there is none with that identifier.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="id"/> is null.</exception>
    /// <exception cref="SqliteException">The database cannot be used.</exception>
    public async ValueTask<MemoryEntry?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await GetAsync(connection, null, id, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Replaces a memory's text (an edit). Its identifier, scope, kind and provenance stay.</summary>
    /// <param name="id">The identifier.</param>
    /// <param name="text">The new text.</param>
    /// <param name="cancellationToken">A token to cancel the call.</param>
    /// <returns>The updated memory, or null when there is none with that identifier.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="id"/> is null.</exception>
    /// <exception cref="ArgumentException">The text is empty or longer than <see cref="MaxTextLength"/>.</exception>
    /// <exception cref="InvalidOperationException">Another memory of the same scope already has this text.</exception>
    /// <exception cref="SqliteException">The database cannot be used.</exception>
    public async ValueTask<MemoryEntry?> UpdateTextAsync(string id, string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        text = CheckText(text);
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                if (await GetAsync(connection, transaction, id, cancellationToken).ConfigureAwait(false) is not { } current)
                {
                    return null;
                }

                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "SELECT id FROM memories WHERE scope = $scope AND scope_key = $key AND text_key = $text_key AND id <> $id;";
                command.Parameters.AddWithValue("$scope", MemoryNames.Of(current.Scope));
                command.Parameters.AddWithValue("$key", current.ScopeKey);
                command.Parameters.AddWithValue("$text_key", MemoryText.DedupeKey(text));
                command.Parameters.AddWithValue("$id", id);
                if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string other)
                {
                    throw new InvalidOperationException($"Memory {other} already says this; remove one of them instead.");
                }

                command.CommandText = "UPDATE memories SET text = $text, text_key = $text_key, updated_at = $now, version = version + 1 WHERE id = $id;";
                command.Parameters.AddWithValue("$text", text);
                command.Parameters.AddWithValue("$now", ToText(_time.GetUtcNow()));
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                var updated = await GetAsync(connection, transaction, id, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return updated;
            }
        }
    }

    /// <summary>Removes a memory.</summary>
    /// <param name="id">The identifier.</param>
    /// <param name="cancellationToken">A token to cancel the call.</param>
    /// <returns>Whether a memory was removed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="id"/> is null.</exception>
    /// <exception cref="SqliteException">The database cannot be used.</exception>
    public async ValueTask<bool> RemoveAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM memories WHERE id = $id;";
            command.Parameters.AddWithValue("$id", id);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        }
    }

    private static string CheckText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text.Length == 0)
        {
            throw new ArgumentException("A memory's text must not be empty.", nameof(text));
        }

        return text.Length > MaxTextLength
            ? throw new ArgumentException($"A memory's text must be at most {MaxTextLength} characters, not {text.Length}.", nameof(text))
            : text;
    }

    private static string ScopeFilter(SqliteCommand command, IReadOnlyCollection<MemoryScopeKey>? scopes, MemoryKind? kind)
    {
        var filter = new StringBuilder("(");
        if (scopes is null)
        {
            filter.Append('1');
        }
        else
        {
            var i = 0;
            foreach (var scope in scopes)
            {
                filter.Append(i == 0 ? "" : " OR ").Append(CultureInfo.InvariantCulture, $"(m.scope = $s{i} AND m.scope_key = $k{i})");
                command.Parameters.AddWithValue($"$s{i}", MemoryNames.Of(scope.Scope));
                command.Parameters.AddWithValue($"$k{i}", scope.Key);
                i++;
            }
        }

        filter.Append(')');
        if (kind is { } k)
        {
            filter.Append(" AND m.kind = $kind_filter");
            command.Parameters.AddWithValue("$kind_filter", MemoryNames.Of(k));
        }

        return filter.ToString();
    }

    private static async ValueTask<MemoryEntry?> GetAsync(SqliteConnection connection, SqliteTransaction? transaction, string id, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {Columns} FROM memories m WHERE m.id = $id;";
        command.Parameters.AddWithValue("$id", id);
        return await ReadOneAsync(command, cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask<MemoryEntry?> ReadOneAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
        }
    }

    private static MemoryEntry Read(SqliteDataReader reader)
    {
        // The schema's CHECK constraints admit only known names.
        _ = MemoryNames.TryParseScope(reader.GetString(1), out var scope);
        _ = MemoryNames.TryParseKind(reader.GetString(3), out var kind);
        var tags = reader.GetString(5);
        return new MemoryEntry(
            reader.GetString(0),
            scope,
            reader.GetString(2),
            kind,
            reader.GetString(4),
            tags.Length == 0 ? [] : tags.Split(','),
            ParseTime(reader.GetString(6)),
            ParseTime(reader.GetString(7)),
            new MemoryProvenance(reader.GetString(8), reader.IsDBNull(9) ? null : reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetInt32(10)));
    }

    private static string ToText(DateTimeOffset value) => value.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string text) =>
        new(DateTime.SpecifyKind(DateTime.ParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.None), DateTimeKind.Utc));

    private static async ValueTask<SqliteTransaction> BeginWriteAsync(SqliteConnection connection, CancellationToken cancellationToken) =>
        // Serializable is BEGIN IMMEDIATE: the write lock is taken before reading, so a check-then-insert cannot race another process.
        (SqliteTransaction)await connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken).ConfigureAwait(false);

    private async ValueTask<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (System.IO.Path.GetDirectoryName(Path) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using (var pragmas = connection.CreateCommand())
            {
                pragmas.CommandText = _pragmas;
                await pragmas.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            if (!_migrated)
            {
                await MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async ValueTask MigrateAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await _migrationGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_migrated)
            {
                return;
            }

            // journal_mode is kept in the file and cannot change inside a transaction.
            using (var wal = connection.CreateCommand())
            {
                wal.CommandText = "PRAGMA journal_mode=WAL;";
                await wal.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            var transaction = await BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = """
                    CREATE TABLE IF NOT EXISTS memory_schema (
                        version    INTEGER NOT NULL PRIMARY KEY,
                        applied_at TEXT    NOT NULL
                    ) STRICT;
                    SELECT coalesce(max(version), 0) FROM memory_schema;
                    """;
                var current = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
                if (current > SchemaVersion)
                {
                    throw new InvalidOperationException(
                        $"The memory database '{Path}' has schema version {current}, but this version of Rein only knows versions up to {SchemaVersion}. " +
                        "It was created by a newer Rein: upgrade Rein, or point it at another file.");
                }

                foreach (var (version, sql) in MemorySchema.Migrations)
                {
                    if (version <= current)
                    {
                        continue;
                    }

                    command.CommandText = sql;
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    command.CommandText = "INSERT INTO memory_schema (version, applied_at) VALUES ($version, $at);";
                    command.Parameters.Clear();
                    command.Parameters.AddWithValue("$version", version);
                    command.Parameters.AddWithValue("$at", ToText(_time.GetUtcNow()));
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            _migrated = true;
        }
        finally
        {
            _migrationGate.Release();
        }
    }
}
