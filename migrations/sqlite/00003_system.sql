-- The reserved system service (store.SystemServiceID): its tuples describe
-- workspaces, memberships, groups, resources and roles, written by the store
-- with those rows, and its model is the built-in default model.

-- +goose Up
INSERT INTO services (id, name, created_at)
VALUES ('00000000-0000-0000-0000-000000000000', '_system', CAST(unixepoch('subsec') * 1000000 AS INTEGER))
ON CONFLICT DO NOTHING;

-- +goose Down
DELETE FROM services WHERE id = '00000000-0000-0000-0000-000000000000';
