-- Proxy-mode login (PostgreSQL): what the login flow must remember between
-- requests, shared by every replica and kept across restarts.
--
-- login_states: one row per login started (proxy, admin or GitHub authz),
-- named by the SHA-256 (hex) of the state parameter sent to the IdP, taken
-- (deleted) by the callback: single use. data is the flow's own JSON.
-- login_codes: the one-time codes handed to a client app's redirect URI,
-- named by the SHA-256 (hex) of the code, taken by POST /auth/token.
-- refresh_families: one row per chain of rotated refresh tokens (the fid
-- claim); current_jti_hash is the SHA-256 (hex) of the one refresh token
-- of the family that may still be used. A family whose spent token comes
-- back is revoked (revoked_at). Rows are pruned once expired.

-- +goose Up
CREATE TABLE login_states (
    state_hash TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    provider   TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_states_expires ON login_states (expires_at);

CREATE TABLE login_codes (
    code_hash      TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL,
    provider       TEXT NOT NULL,
    client_app_id  TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_codes_expires ON login_codes (expires_at);

CREATE TABLE refresh_families (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL,
    workspace_id     TEXT NOT NULL,
    client_app_id    TEXT NOT NULL DEFAULT '',
    current_jti_hash TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    rotated_at       TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL,
    revoked_at       TIMESTAMPTZ
);
CREATE INDEX refresh_families_user ON refresh_families (user_id);
CREATE INDEX refresh_families_expires ON refresh_families (expires_at);

-- +goose Down
DROP TABLE refresh_families;
DROP TABLE login_codes;
DROP TABLE login_states;
