namespace Rein.Memory;

/// <summary>The numbered schema scripts of the memory database; each runs once, in order.</summary>
internal static class MemorySchema
{
    public static IReadOnlyList<(int Version, string Sql)> Migrations { get; } =
    [
        (1, """
            CREATE TABLE memories (
                seq        INTEGER PRIMARY KEY,
                id         TEXT    NOT NULL UNIQUE,
                scope      TEXT    NOT NULL CHECK (scope IN ('user', 'agent', 'project')),
                scope_key  TEXT    NOT NULL,
                kind       TEXT    NOT NULL CHECK (kind IN ('fact', 'preference')),
                text       TEXT    NOT NULL,
                text_key   TEXT    NOT NULL,
                tags       TEXT    NOT NULL DEFAULT '',
                created_at TEXT    NOT NULL,
                updated_at TEXT    NOT NULL,
                source     TEXT    NOT NULL,
                session_id TEXT,
                step       INTEGER,
                version    INTEGER NOT NULL DEFAULT 1,
                UNIQUE (scope, scope_key, text_key)
            ) STRICT;
            CREATE INDEX memories_by_scope ON memories (scope, scope_key, kind);

            -- External-content index: the text lives once, in memories; triggers keep the index in step.
            CREATE VIRTUAL TABLE memories_fts USING fts5(
                text, tags, content = 'memories', content_rowid = 'seq', tokenize = 'porter unicode61 remove_diacritics 2');
            CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN
                INSERT INTO memories_fts (rowid, text, tags) VALUES (new.seq, new.text, new.tags);
            END;
            CREATE TRIGGER memories_ad AFTER DELETE ON memories BEGIN
                INSERT INTO memories_fts (memories_fts, rowid, text, tags) VALUES ('delete', old.seq, old.text, old.tags);
            END;
            CREATE TRIGGER memories_au AFTER UPDATE OF text, tags ON memories BEGIN
                INSERT INTO memories_fts (memories_fts, rowid, text, tags) VALUES ('delete', old.seq, old.text, old.tags);
                INSERT INTO memories_fts (rowid, text, tags) VALUES (new.seq, new.text, new.tags);
            END;
            """),
    ];
}
