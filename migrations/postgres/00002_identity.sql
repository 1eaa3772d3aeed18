-- Users, their linked IdP identities, and Sentinel's JWT signing keys
-- (PostgreSQL).
--
-- A user is provisioned on the first sight of one of their identities;
-- (provider, subject) names that user for good. Emails are stored
-- lower-cased by the store, so the unique constraint makes them unique
-- case-insensitively without depending on the database's collation.

-- +goose Up
CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL DEFAULT '',
    avatar_url TEXT NOT NULL DEFAULT '',
    is_active  BOOLEAN NOT NULL DEFAULT TRUE,
    is_admin   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- claims is the IdP's JSON object kept as text, byte for byte as last seen.
CREATE TABLE identities (
    provider     TEXT NOT NULL,
    subject      TEXT NOT NULL,
    issuer       TEXT NOT NULL DEFAULT '',
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    claims       TEXT NOT NULL DEFAULT '{}',
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX identities_user_id ON identities (user_id);

-- private_sealed is encrypted by package identity/keys; never clear text.
CREATE TABLE signing_keys (
    kid            TEXT PRIMARY KEY,
    alg            TEXT NOT NULL,
    private_sealed BYTEA NOT NULL,
    public_jwk     TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    sign_from      TIMESTAMPTZ NOT NULL
);

-- The user an OpUser change is about ('' for every other op).
ALTER TABLE changelog ADD COLUMN user_ref TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE changelog DROP COLUMN user_ref;
DROP TABLE signing_keys;
DROP TABLE identities;
DROP TABLE users;
