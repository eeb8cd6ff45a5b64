using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Rein.Storage.Sqlite;

/// <summary>Applies the numbered scripts embedded under <c>Migrations/</c> (<c>0001_init.sql</c>, ...), each once.</summary>
internal static class SqliteMigrator
{
    private const string ResourcePrefix = "Rein.Storage.Sqlite.Migrations.";

    /// <summary>Gets the embedded migrations in version order.</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> Migrations { get; } = LoadMigrations();

    /// <summary>Gets the newest schema version this build knows.</summary>
    public static int LatestVersion => Migrations[^1].Version;

    /// <summary>Brings a database up to <see cref="LatestVersion"/>.</summary>
    /// <exception cref="InvalidOperationException">The database was created by a newer version of Rein.</exception>
    public static async ValueTask MigrateAsync(SqliteConnection connection, string path, CancellationToken cancellationToken)
    {
        // journal_mode is stored in the file and cannot change inside a transaction.
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            await wal.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // Serializable is BEGIN IMMEDIATE: a second process migrating at the same time waits, then sees our rows.
        var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    INTEGER NOT NULL PRIMARY KEY,
                    name       TEXT    NOT NULL,
                    applied_at TEXT    NOT NULL
                ) STRICT;
                SELECT coalesce(max(version), 0) FROM schema_migrations;
                """;
            var current = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            if (current > LatestVersion)
            {
                throw new InvalidOperationException(
                    $"The session database '{path}' has schema version {current}, but this version of Rein only knows versions up to {LatestVersion}. " +
                    "It was created by a newer Rein: upgrade Rein, or point it at another database file.");
            }

            foreach (var (version, name, sql) in Migrations)
            {
                if (version <= current)
                {
                    continue;
                }

                using var apply = connection.CreateCommand();
                apply.Transaction = transaction;
                apply.CommandText = sql;
                await apply.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

                apply.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($version, $name, $at);";
                apply.Parameters.AddWithValue("$version", version);
                apply.Parameters.AddWithValue("$name", name);
                apply.Parameters.AddWithValue("$at", SqliteTime.ToText(TimeProvider.System.GetUtcNow()));
                await apply.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static List<(int Version, string Name, string Sql)> LoadMigrations()
    {
        var assembly = typeof(SqliteMigrator).Assembly;
        var migrations = new List<(int Version, string Name, string Sql)>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[ResourcePrefix.Length..];
            var version = int.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), NumberStyles.None, CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add((version, name, reader.ReadToEnd()));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new InvalidOperationException($"Migration scripts must be numbered 1, 2, 3, ... without gaps; found {migrations[i].Name}.");
            }
        }

        return migrations;
    }
}
