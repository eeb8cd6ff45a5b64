using Microsoft.Data.Sqlite;

namespace Rein.Storage.Sqlite;

/// <summary>
/// The statements an append runs, prepared once on the store's writer connection and reused by every append.
/// </summary>
/// <remarks>
/// An append read the session's row, inserted its events, updated the row and wrapped itself in a savepoint: five
/// statements, each compiled again by SQLite for every append because each ran from a new command. A command keeps its
/// compiled statement between executions, so these are kept for as long as the writer connection is. Not thread-safe:
/// only the batch writer uses them, one batch at a time.
/// </remarks>
internal sealed class AppendStatements : IDisposable
{
    private readonly SqliteCommand[] _all;

    public AppendStatements(SqliteConnection connection)
    {
        ReadSession = Create(connection, "SELECT version, status, stop_reason, title FROM sessions WHERE id = $id;", "$id");
        CreateSession = Create(
            connection,
            """
            INSERT INTO sessions (id, workspace, model, agent, title, status, stop_reason, started_at, updated_at, version)
            VALUES ($id, $workspace, $model, $agent, NULL, $status, NULL, $now, $now, 0);
            """,
            "$id", "$workspace", "$model", "$agent", "$status", "$now");
        InsertEvent = Create(
            connection,
            "INSERT INTO events (session_id, seq, type, at, data) VALUES ($id, $seq, $type, $at, $data);",
            "$id", "$seq", "$type", "$at", "$data");
        UpdateSession = Create(
            connection,
            """
            UPDATE sessions SET version = $version, status = $status, stop_reason = $stop, title = $title, updated_at = $now
            WHERE id = $id;
            """,
            "$version", "$status", "$stop", "$title", "$now", "$id");
        Savepoint = Create(connection, "SAVEPOINT append;");
        ReleaseSavepoint = Create(connection, "RELEASE SAVEPOINT append;");
        RollbackToSavepoint = Create(connection, "ROLLBACK TO SAVEPOINT append;");
        _all = [ReadSession, CreateSession, InsertEvent, UpdateSession, Savepoint, ReleaseSavepoint, RollbackToSavepoint];
    }

    /// <summary>Reads a session's <c>version, status, stop_reason, title</c> (<c>$id</c>).</summary>
    public SqliteCommand ReadSession { get; }

    /// <summary>Inserts a session's row at version 0 (<c>$id, $workspace, $model, $agent, $status, $now</c>).</summary>
    public SqliteCommand CreateSession { get; }

    /// <summary>Inserts one event (<c>$id, $seq, $type, $at, $data</c>).</summary>
    public SqliteCommand InsertEvent { get; }

    /// <summary>Updates a session's row after its events (<c>$version, $status, $stop, $title, $now, $id</c>).</summary>
    public SqliteCommand UpdateSession { get; }

    /// <summary>Starts the savepoint that one append can be rolled back to.</summary>
    public SqliteCommand Savepoint { get; }

    /// <summary>Releases the savepoint.</summary>
    public SqliteCommand ReleaseSavepoint { get; }

    /// <summary>Undoes what the append wrote since the savepoint (which stays open until released).</summary>
    public SqliteCommand RollbackToSavepoint { get; }

    /// <summary>Makes every statement run in <paramref name="transaction"/>, the writer connection's current one.</summary>
    public void Enlist(SqliteTransaction transaction)
    {
        foreach (var command in _all)
        {
            command.Transaction = transaction;
        }
    }

    public void Dispose()
    {
        foreach (var command in _all)
        {
            command.Dispose();
        }
    }

    private static SqliteCommand Create(SqliteConnection connection, string text, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = text;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }
}
