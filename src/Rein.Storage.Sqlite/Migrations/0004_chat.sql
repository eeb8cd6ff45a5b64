-- 0004: what the chat surfaces (Slack, Telegram) remember: deliveries already handled, the session each
-- conversation continues, sessions whose updates go back to their conversation, and posted approval messages.
-- No foreign keys to sessions: a session may be removed without the chat state that names it.

CREATE TABLE chat_deliveries (
    key     TEXT NOT NULL PRIMARY KEY,
    seen_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE INDEX ix_chat_deliveries_seen_at ON chat_deliveries (seen_at);

CREATE TABLE chat_conversations (
    address    TEXT NOT NULL PRIMARY KEY,
    session_id TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE chat_follows (
    session_id      TEXT    NOT NULL PRIMARY KEY,
    origin          TEXT    NOT NULL,
    relayed_through INTEGER NOT NULL CHECK (relayed_through >= 0),
    version         INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE chat_approval_messages (
    token       TEXT NOT NULL PRIMARY KEY,
    session_id  TEXT NOT NULL,
    call_id     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    message_ref TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    UNIQUE (session_id, call_id)
) STRICT;
