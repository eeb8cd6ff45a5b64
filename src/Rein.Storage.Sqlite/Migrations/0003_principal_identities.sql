-- 0003: accounts on other surfaces (slack:U…, telegram:…) linked to principals. An account belongs to one principal.

CREATE TABLE principal_identities (
    identity   TEXT    NOT NULL PRIMARY KEY,
    principal  TEXT    NOT NULL REFERENCES principals (name) ON DELETE CASCADE,
    linked_at  TEXT    NOT NULL,
    version    INTEGER NOT NULL
) STRICT;

CREATE INDEX ix_principal_identities_principal ON principal_identities (principal);
