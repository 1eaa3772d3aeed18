-- A model version's directory opt-in (SQLite): 1 when the service's model
-- reads the system service's workspace and group tuples as its own (engine
-- mirroring; see README "PUT /v1/model"). Stored with the version, so every
-- replica and every restart install the model the same way.

-- +goose Up
ALTER TABLE models ADD COLUMN directory INTEGER NOT NULL DEFAULT 0 CHECK (directory IN (0, 1));

-- +goose Down
ALTER TABLE models DROP COLUMN directory;
