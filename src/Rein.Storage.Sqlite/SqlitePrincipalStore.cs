using Microsoft.Data.Sqlite;
using Rein.Identity;

namespace Rein.Storage.Sqlite;

/// <summary>The principals and API-token hashes of a Rein store, in the same SQLite file as the sessions.</summary>
/// <remarks>Safe for concurrent use; each operation opens a pooled connection. The schema comes from the same numbered migrations as <see cref="SqliteSessionStore"/>.</remarks>
public sealed class SqlitePrincipalStore : IPrincipalStore, IDisposable
{
    private const int ConstraintViolation = 19;

    // The session store owns the file's connection settings and migrations; this store borrows its connections.
    private readonly SqliteSessionStore _sessions;

    /// <summary>Initializes a store over a database file.</summary>
    /// <param name="options">The file and busy timeout (the same options as the session store's).</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    public SqlitePrincipalStore(SqliteSessionStoreOptions options) => _sessions = new SqliteSessionStore(options);

    /// <inheritdoc />
    public async ValueTask<PrincipalRecord?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var connection = await _sessions.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT name, role, created_at FROM principals WHERE name = $name;";
            command.Parameters.AddWithValue("$name", name);
            return (await ReadPrincipalsAsync(command, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<PrincipalRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        var connection = await _sessions.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT name, role, created_at FROM principals ORDER BY name;";
            return await ReadPrincipalsAsync(command, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask AddAsync(PrincipalRecord principal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var connection = await _sessions.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO principals (name, role, created_at, version) VALUES ($name, $role, $at, 1);";
            command.Parameters.AddWithValue("$name", principal.Name);
            command.Parameters.AddWithValue("$role", PrincipalRoles.ToName(principal.Role));
            command.Parameters.AddWithValue("$at", SqliteTime.ToText(principal.CreatedAt));
            try
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode == ConstraintViolation)
            {
                throw new PrincipalException($"A principal named '{principal.Name}' exists already.");
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> RemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var connection = await _sessions.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            // Tokens go with it (ON DELETE CASCADE).
            command.CommandText = "DELETE FROM principals WHERE name = $name;";
            command.Parameters.AddWithValue("$name", name);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }
    }

    /// <inheritdoc />
    public async ValueTask AddTokenAsync(ApiTokenRecord token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        var connection = await _sessions.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO principal_tokens (prefix, principal, hash, created_at, revoked_at, version)
                VALUES ($prefix, $principal, $hash, $at, $revoked, 1);
                """;
            command.Parameters.AddWithValue("$prefix", token.Prefix);
            command.Parameters.AddWithValue("$principal", token.Principal);
            command.Parameters.AddWithValue("$hash", token.Hash);
            command.Parameters.AddWithValue("$at", SqliteTime.ToText(token.CreatedAt));
            command.Parameters.AddWithValue("$revoked", token.RevokedAt is { } revoked ? SqliteTime.ToText(revoked) : DBNull.Value);
            try
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode == ConstraintViolation)
            {
                throw new PrincipalException($"The token cannot be stored: there is no principal '{token.Principal}', or its prefix is taken.");
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<ApiTokenRecord?> FindTokenAsync(string prefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var connection = await _sessions.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT prefix, principal, hash, created_at, revoked_at FROM principal_tokens WHERE prefix = $prefix;";
            command.Parameters.AddWithValue("$prefix", prefix);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                return new ApiTokenRecord(
                    reader.GetString(0),
                    reader.GetString(1),
                    reader.GetString(2),
                    SqliteTime.Parse(reader.GetString(3)),
                    reader.IsDBNull(4) ? null : SqliteTime.Parse(reader.GetString(4)));
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<int> RevokeTokensAsync(string name, DateTimeOffset revokedAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var connection = await _sessions.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                UPDATE principal_tokens SET revoked_at = $at, version = version + 1
                WHERE principal = $name AND revoked_at IS NULL;
                """;
            command.Parameters.AddWithValue("$name", name);
            command.Parameters.AddWithValue("$at", SqliteTime.ToText(revokedAt));
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask LinkIdentitiesAsync(string name, IReadOnlyList<string> identities, DateTimeOffset linkedAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(identities);
        var connection = await _sessions.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // Immediate: the check for another owner of an account and the insert must not interleave with another writer's.
            using var transaction = connection.BeginTransaction(deferred: false);
            using (var exists = connection.CreateCommand())
            {
                exists.Transaction = transaction;
                exists.CommandText = "SELECT 1 FROM principals WHERE name = $name;";
                exists.Parameters.AddWithValue("$name", name);
                if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
                {
                    throw new PrincipalException($"There is no principal '{name}'. Add it first: rein principals add {name} --role operator");
                }
            }

            foreach (var identity in identities)
            {
                using var owner = connection.CreateCommand();
                owner.Transaction = transaction;
                owner.CommandText = "SELECT principal FROM principal_identities WHERE identity = $identity;";
                owner.Parameters.AddWithValue("$identity", identity);
                switch (await owner.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))
                {
                    case string linked when linked == name:
                        continue;
                    case string other:
                        throw new PrincipalException($"{identity} is linked to {other}; unlink it first: rein principals unlink {other} {identity}");
                }

                using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = "INSERT INTO principal_identities (identity, principal, linked_at, version) VALUES ($identity, $name, $at, 1);";
                insert.Parameters.AddWithValue("$identity", identity);
                insert.Parameters.AddWithValue("$name", name);
                insert.Parameters.AddWithValue("$at", SqliteTime.ToText(linkedAt));
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask<int> UnlinkIdentitiesAsync(string name, IReadOnlyList<string> identities, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(identities);
        var connection = await _sessions.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            var removed = 0;
            foreach (var identity in identities)
            {
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "DELETE FROM principal_identities WHERE identity = $identity AND principal = $name;";
                command.Parameters.AddWithValue("$identity", identity);
                command.Parameters.AddWithValue("$name", name);
                removed += await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return removed;
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<string>> ListIdentitiesAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var connection = await _sessions.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT identity FROM principal_identities WHERE principal = $name ORDER BY identity;";
            command.Parameters.AddWithValue("$name", name);
            var result = new List<string>();
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    result.Add(reader.GetString(0));
                }
            }

            return result;
        }
    }

    /// <inheritdoc />
    public async ValueTask<string?> FindByIdentityAsync(string identity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var connection = await _sessions.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT principal FROM principal_identities WHERE identity = $identity;";
            command.Parameters.AddWithValue("$identity", identity);
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        }
    }

    /// <summary>Returns this store's pooled connections; the file stays as it is.</summary>
    public void Dispose() => _sessions.Dispose();

    private static async ValueTask<List<PrincipalRecord>> ReadPrincipalsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var result = new List<PrincipalRecord>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var role = reader.GetString(1);
                result.Add(new PrincipalRecord(
                    reader.GetString(0),
                    PrincipalRoles.TryParse(role, out var parsed) ? parsed : throw new InvalidOperationException($"The store names an unknown role '{role}'."),
                    SqliteTime.Parse(reader.GetString(2))));
            }
        }

        return result;
    }
}
