-- Sentinel's initial schema for PostgreSQL.
--
-- Times are timestamptz. Every table is unqualified so that it lands in the
-- connection's current schema (search_path), which is how tests isolate
-- themselves and how an operator can host Sentinel in a schema of choice.

-- +goose Up
CREATE TABLE services (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE service_keys (
    id           TEXT PRIMARY KEY,
    service_id   TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    key_hash     TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    expires_at   TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX service_keys_service_id ON service_keys (service_id);

CREATE TABLE admin_keys (
    id         TEXT PRIMARY KEY,
    key_hash   TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE models (
    id         TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    dsl        TEXT NOT NULL,
    json       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    revision   BIGINT NOT NULL,
    UNIQUE (service_id, version)
);

-- user_relation is '' for a plain user or a wildcard, so that the unique
-- constraint (NULLs are distinct) really forbids duplicates.
CREATE TABLE tuples (
    id            BIGSERIAL PRIMARY KEY,
    service_id    TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    object_type   TEXT NOT NULL,
    object_id     TEXT NOT NULL,
    relation      TEXT NOT NULL,
    user_type     TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    user_relation TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (service_id, object_type, object_id, relation, user_type, user_id, user_relation)
);
CREATE INDEX tuples_by_user ON tuples (service_id, user_type, user_id, user_relation, relation, object_type);

-- revision is allocated under a transaction-scoped advisory lock (see
-- store/sqlstore), so revisions commit in ascending order.
CREATE TABLE changelog (
    revision      BIGSERIAL PRIMARY KEY,
    service_id    TEXT NOT NULL,
    op            TEXT NOT NULL,
    object_type   TEXT NOT NULL DEFAULT '',
    object_id     TEXT NOT NULL DEFAULT '',
    relation      TEXT NOT NULL DEFAULT '',
    user_type     TEXT NOT NULL DEFAULT '',
    user_id       TEXT NOT NULL DEFAULT '',
    user_relation TEXT NOT NULL DEFAULT '',
    model_id      TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX changelog_service_revision ON changelog (service_id, revision);

-- +goose Down
DROP TABLE changelog;
DROP TABLE tuples;
DROP TABLE models;
DROP TABLE admin_keys;
DROP TABLE service_keys;
DROP TABLE services;
