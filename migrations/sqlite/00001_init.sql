-- Sentinel's initial schema for SQLite.
--
-- Times are INTEGER unix microseconds (UTC): the store's SQLite adapter
-- converts time.Time arguments and scan targets, so times round-trip exactly
-- and compare correctly in SQL. Tables are STRICT so that a value of the
-- wrong type is an error rather than silently stored.

-- +goose Up
CREATE TABLE services (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE service_keys (
    id           TEXT PRIMARY KEY,
    service_id   TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    key_hash     TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    expires_at   INTEGER,
    revoked_at   INTEGER
) STRICT;
CREATE INDEX service_keys_service_id ON service_keys (service_id);

CREATE TABLE admin_keys (
    id         TEXT PRIMARY KEY,
    key_hash   TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE models (
    id         TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    dsl        TEXT NOT NULL,
    json       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revision   INTEGER NOT NULL,
    UNIQUE (service_id, version)
) STRICT;

-- user_relation is '' for a plain user or a wildcard, so that the unique
-- constraint (NULLs are distinct) really forbids duplicates.
CREATE TABLE tuples (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id    TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    object_type   TEXT NOT NULL,
    object_id     TEXT NOT NULL,
    relation      TEXT NOT NULL,
    user_type     TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    user_relation TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    UNIQUE (service_id, object_type, object_id, relation, user_type, user_id, user_relation)
) STRICT;
CREATE INDEX tuples_by_user ON tuples (service_id, user_type, user_id, user_relation, relation, object_type);

-- AUTOINCREMENT: a revision is never reused, even after the newest row is
-- gone. SQLite has a single writer, so revisions commit in ascending order.
CREATE TABLE changelog (
    revision      INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id    TEXT NOT NULL,
    op            TEXT NOT NULL,
    object_type   TEXT NOT NULL DEFAULT '',
    object_id     TEXT NOT NULL DEFAULT '',
    relation      TEXT NOT NULL DEFAULT '',
    user_type     TEXT NOT NULL DEFAULT '',
    user_id       TEXT NOT NULL DEFAULT '',
    user_relation TEXT NOT NULL DEFAULT '',
    model_id      TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX changelog_service_revision ON changelog (service_id, revision);

-- +goose Down
DROP TABLE changelog;
DROP TABLE tuples;
DROP TABLE models;
DROP TABLE admin_keys;
DROP TABLE service_keys;
DROP TABLE services;
