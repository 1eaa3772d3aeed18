-- Per-user token revocation (PostgreSQL): the verifier refuses a user's
-- tokens issued (iat) before tokens_valid_after; NULL when the user's
-- tokens were never revoked. A whole second.

-- +goose Up
ALTER TABLE users ADD COLUMN tokens_valid_after TIMESTAMPTZ;

-- +goose Down
ALTER TABLE users DROP COLUMN tokens_valid_after;
