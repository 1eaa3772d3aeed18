-- Proxy-mode login (SQLite): what the login flow must remember between
-- requests, kept across restarts. See the PostgreSQL migration for what
-- each table holds. Times are INTEGER unix microseconds, as in 00001.

-- +goose Up
CREATE TABLE login_states (
    state_hash TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    provider   TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX login_states_expires ON login_states (expires_at);

CREATE TABLE login_codes (
    code_hash      TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL,
    provider       TEXT NOT NULL,
    client_app_id  TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX login_codes_expires ON login_codes (expires_at);

CREATE TABLE refresh_families (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL,
    workspace_id     TEXT NOT NULL,
    client_app_id    TEXT NOT NULL DEFAULT '',
    current_jti_hash TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    rotated_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    revoked_at       INTEGER
) STRICT;
CREATE INDEX refresh_families_user ON refresh_families (user_id);
CREATE INDEX refresh_families_expires ON refresh_families (expires_at);

-- +goose Down
DROP TABLE refresh_families;
DROP TABLE login_codes;
DROP TABLE login_states;
