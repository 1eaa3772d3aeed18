-- Per-user token revocation (SQLite): the verifier refuses a user's tokens
-- issued (iat) before tokens_valid_after; NULL when the user's tokens were
-- never revoked. A whole second, as INTEGER unix microseconds like every
-- time of 00001.

-- +goose Up
ALTER TABLE users ADD COLUMN tokens_valid_after INTEGER;

-- +goose Down
ALTER TABLE users DROP COLUMN tokens_valid_after;
