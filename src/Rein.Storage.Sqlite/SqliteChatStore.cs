using Microsoft.Data.Sqlite;
using Rein.Chat;

namespace Rein.Storage.Sqlite;

/// <summary>What the chat surfaces of a Rein server remember, in the same SQLite file as the sessions.</summary>
/// <remarks>
/// Safe for concurrent use; each operation opens a pooled connection, and writes queue asynchronously behind the
/// file's in-process write gate. The schema comes from the same numbered migrations as <see cref="SqliteSessionStore"/>.
/// Delivery times come from <see cref="SqliteSessionStoreOptions.TimeProvider"/>.
/// </remarks>
public sealed class SqliteChatStore : IChatStore, IDisposable
{
    private const int PruneEvery = 100;
    private static readonly TimeSpan DeliveryRetention = TimeSpan.FromDays(1);

    // The session store owns the file's connection settings and migrations; this store borrows its connections.
    private readonly SqliteSessionStore _sessions;
    private readonly SqliteDatabase _database;
    private readonly TimeProvider _timeProvider;
    private long _recorded;

    /// <summary>Initializes a store over a database file.</summary>
    /// <param name="options">The file, busy timeout and clock (the same options as the session store's).</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or its time provider is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    public SqliteChatStore(SqliteSessionStoreOptions options)
    {
        _sessions = new SqliteSessionStore(options);
        _database = SqliteDatabase.For(_sessions.Path);
        _timeProvider = options.TimeProvider;
    }

    /// <inheritdoc />
    public async ValueTask<bool> TryRecordDeliveryAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var now = _timeProvider.GetUtcNow();
        var cutoff = SqliteTime.ToText(now - DeliveryRetention);
        if (Interlocked.Increment(ref _recorded) % PruneEvery == 1)
        {
            await ExecuteWriteAsync("DELETE FROM chat_deliveries WHERE seen_at < $cutoff;", [("$cutoff", cutoff)], cancellationToken).ConfigureAwait(false);
        }

        // One statement, so two deliveries of a key cannot both win: a row already there changes only when it has expired
        // (as if pruned), and the change count says whether this call recorded the key.
        const string Sql = """
            INSERT INTO chat_deliveries (key, seen_at) VALUES ($key, $at)
            ON CONFLICT (key) DO UPDATE SET seen_at = excluded.seen_at WHERE chat_deliveries.seen_at < $cutoff;
            """;
        return await ExecuteWriteAsync(Sql, [("$key", key), ("$at", SqliteTime.ToText(now)), ("$cutoff", cutoff)], cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async ValueTask<string?> GetConversationAsync(string address, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        var connection = await _sessions.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT session_id FROM chat_conversations WHERE address = $address;";
            command.Parameters.AddWithValue("$address", address);
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        }
    }

    /// <inheritdoc />
    public async ValueTask SetConversationAsync(string address, string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        await ExecuteWriteAsync(
            "INSERT OR REPLACE INTO chat_conversations (address, session_id, updated_at) VALUES ($address, $session, $at);",
            [("$address", address), ("$session", sessionId), ("$at", SqliteTime.ToText(_timeProvider.GetUtcNow()))],
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> ForgetConversationAsync(string address, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        return await ExecuteWriteAsync("DELETE FROM chat_conversations WHERE address = $address;", [("$address", address)], cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async ValueTask FollowAsync(string sessionId, string origin, long relayedThrough, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        ArgumentException.ThrowIfNullOrEmpty(origin);
        ArgumentOutOfRangeException.ThrowIfNegative(relayedThrough);
        await ExecuteWriteAsync(
            "INSERT OR IGNORE INTO chat_follows (session_id, origin, relayed_through) VALUES ($session, $origin, $through);",
            [("$session", sessionId), ("$origin", origin), ("$through", relayedThrough)],
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ChatFollow>> ListFollowedAsync(CancellationToken cancellationToken = default)
    {
        var connection = await _sessions.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT session_id, origin, relayed_through FROM chat_follows ORDER BY session_id;";
            var result = new List<ChatFollow>();
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    result.Add(new ChatFollow(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
                }
            }

            return result;
        }
    }

    /// <inheritdoc />
    public async ValueTask AdvanceAsync(string sessionId, long relayedThrough, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        ArgumentOutOfRangeException.ThrowIfNegative(relayedThrough);
        await ExecuteWriteAsync(
            "UPDATE chat_follows SET relayed_through = MAX(relayed_through, $through), version = version + 1 WHERE session_id = $session;",
            [("$session", sessionId), ("$through", relayedThrough)],
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask SaveApprovalMessageAsync(ChatApprovalMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        // REPLACE removes the rows that conflict on either unique key: the same token, or the same session and call.
        await ExecuteWriteAsync(
            """
            INSERT OR REPLACE INTO chat_approval_messages (token, session_id, call_id, origin, message_ref)
            VALUES ($token, $session, $call, $origin, $ref);
            """,
            [("$token", message.Token), ("$session", message.SessionId), ("$call", message.CallId), ("$origin", message.Origin), ("$ref", message.MessageRef)],
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<ChatApprovalMessage?> FindApprovalMessageAsync(string token, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        var connection = await _sessions.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT token, session_id, call_id, origin, message_ref FROM chat_approval_messages WHERE token = $token;";
            command.Parameters.AddWithValue("$token", token);
            return await ReadApprovalMessageAsync(command, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask<ChatApprovalMessage?> FindApprovalMessageAsync(string sessionId, string callId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        ArgumentException.ThrowIfNullOrEmpty(callId);
        var connection = await _sessions.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT token, session_id, call_id, origin, message_ref FROM chat_approval_messages
                WHERE session_id = $session AND call_id = $call;
                """;
            command.Parameters.AddWithValue("$session", sessionId);
            command.Parameters.AddWithValue("$call", callId);
            return await ReadApprovalMessageAsync(command, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Returns this store's pooled connections; the file stays as it is.</summary>
    public void Dispose() => _sessions.Dispose();

    private static async ValueTask<ChatApprovalMessage?> ReadApprovalMessageAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            return new ChatApprovalMessage(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4));
        }
    }

    /// <summary>Runs one write statement.</summary>
    /// <returns>How many rows it changed.</returns>
    private async ValueTask<int> ExecuteWriteAsync(string sql, IReadOnlyList<(string Name, object Value)> parameters, CancellationToken cancellationToken)
    {
        var connection = await _sessions.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            // Through the write gate like the session store's writes: waiting here is asynchronous, where SQLite's busy handler would block a thread.
            await _database.WriteGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _database.WriteGate.Release();
            }
        }
    }
}
