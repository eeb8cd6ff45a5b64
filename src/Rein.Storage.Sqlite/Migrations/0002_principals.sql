-- 0002: principals (people and services) and their API tokens.
-- A token is kept only as its public lookup prefix and the SHA-256 of the whole token.

CREATE TABLE principals (
    name       TEXT    NOT NULL PRIMARY KEY,
    role       TEXT    NOT NULL CHECK (role IN ('owner', 'operator', 'viewer')),
    created_at TEXT    NOT NULL,
    version    INTEGER NOT NULL
) STRICT;

CREATE TABLE principal_tokens (
    prefix     TEXT    NOT NULL PRIMARY KEY,
    principal  TEXT    NOT NULL REFERENCES principals (name) ON DELETE CASCADE,
    hash       TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    revoked_at TEXT    NULL,
    version    INTEGER NOT NULL
) STRICT;

CREATE INDEX ix_principal_tokens_principal ON principal_tokens (principal);
