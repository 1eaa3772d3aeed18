-- The activity log (PostgreSQL): every mutation with its actor, action, target,
-- workspace and detail (store.ActivityEntry).
--
-- Entries outlive what they name (a deleted workspace or user keeps its
-- history), so the ids are plain TEXT, not foreign keys; '' means "none".
-- actor_id is the user's id for actor_type 'user' and '' for a service or
-- the admin credential (actor_label then names it). detail is a JSON object
-- kept as text (byte for byte, like identities.claims).
--
-- Lists are newest first, (created_at DESC, id DESC); every index ends with
-- (created_at, id) so a filtered page is read in index order.

-- +goose Up
CREATE TABLE activity_logs (
    id           TEXT PRIMARY KEY,
    action       TEXT NOT NULL CHECK (action <> ''),
    actor_type   TEXT NOT NULL CHECK (actor_type IN ('user', 'service', 'admin')),
    actor_id     TEXT NOT NULL DEFAULT '',
    actor_label  TEXT NOT NULL DEFAULT '',
    target_type  TEXT NOT NULL DEFAULT '',
    target_id    TEXT NOT NULL DEFAULT '',
    workspace_id TEXT NOT NULL DEFAULT '',
    detail       TEXT NOT NULL DEFAULT '{}',
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX activity_logs_created ON activity_logs (created_at, id);
CREATE INDEX activity_logs_action ON activity_logs (action, created_at, id);
CREATE INDEX activity_logs_target_type ON activity_logs (target_type, created_at, id);
CREATE INDEX activity_logs_workspace ON activity_logs (workspace_id, created_at, id);
CREATE INDEX activity_logs_actor ON activity_logs (actor_id, created_at, id);

-- +goose Down
DROP TABLE activity_logs;
