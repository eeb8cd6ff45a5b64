-- 0001: session journals and single-writer leases.
-- Timestamps are UTC ISO-8601 text with a fixed width (yyyy-MM-ddTHH:mm:ss.fffffffZ), so they sort and compare as text.

CREATE TABLE sessions (
    id          TEXT    NOT NULL PRIMARY KEY,
    workspace   TEXT    NOT NULL,
    model       TEXT    NOT NULL,
    agent       TEXT    NULL,
    title       TEXT    NULL,
    status      TEXT    NOT NULL,
    stop_reason TEXT    NULL,
    started_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    version     INTEGER NOT NULL
) STRICT;

CREATE INDEX ix_sessions_updated_at ON sessions (updated_at DESC, started_at DESC);

CREATE TABLE events (
    session_id TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    at         TEXT    NOT NULL,
    data       TEXT    NOT NULL,
    PRIMARY KEY (session_id, seq)
) STRICT, WITHOUT ROWID;

-- No foreign key to sessions: a writer may take the lease before it appends SessionStarted.
CREATE TABLE session_writers (
    session_id         TEXT    NOT NULL PRIMARY KEY,
    owner              TEXT    NOT NULL,
    pid                INTEGER NOT NULL,
    host               TEXT    NOT NULL,
    process_started_at TEXT    NULL,
    acquired_at        TEXT    NOT NULL,
    heartbeat_at       TEXT    NOT NULL
) STRICT;
