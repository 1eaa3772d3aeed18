-- Users, their linked IdP identities, and Sentinel's JWT signing keys
-- (SQLite).
--
-- A user is provisioned on the first sight of one of their identities;
-- (provider, subject) names that user for good. Emails are stored
-- lower-cased by the store (SQLite's lower() folds ASCII only), so the
-- unique constraint makes them unique case-insensitively. Times are INTEGER
-- unix microseconds and booleans INTEGER 0/1, as in 00001.

-- +goose Up
CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL DEFAULT '',
    avatar_url TEXT NOT NULL DEFAULT '',
    is_active  INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    is_admin   INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- claims is the IdP's JSON object kept as text, byte for byte as last seen.
CREATE TABLE identities (
    provider     TEXT NOT NULL,
    subject      TEXT NOT NULL,
    issuer       TEXT NOT NULL DEFAULT '',
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    claims       TEXT NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    PRIMARY KEY (provider, subject)
) STRICT;
CREATE INDEX identities_user_id ON identities (user_id);

-- private_sealed is encrypted by package identity/keys; never clear text.
CREATE TABLE signing_keys (
    kid            TEXT PRIMARY KEY,
    alg            TEXT NOT NULL,
    private_sealed BLOB NOT NULL,
    public_jwk     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    sign_from      INTEGER NOT NULL
) STRICT;

-- The user an OpUser change is about ('' for every other op).
ALTER TABLE changelog ADD COLUMN user_ref TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE changelog DROP COLUMN user_ref;
DROP TABLE signing_keys;
DROP TABLE identities;
DROP TABLE users;
