-- Registered resources and their shares (SQLite): the original Sentinel's
-- resource_permissions and resource_shares, plus an optional parent.
--
-- Each row is mirrored by system tuples of the reserved system service
-- (see store/resources.go), written by the store in the same transaction;
-- these rows are the source of truth. workspace_id is a plain TEXT (no
-- foreign key): the workspace store keeps those rows. Ids are canonical
-- lower-case UUIDs. Times are INTEGER unix microseconds, as in 00001.

-- +goose Up
-- parent_id: a resource of the same service and workspace whose
-- permissions this one inherits (checked by the store).
CREATE TABLE resource_permissions (
    id            TEXT PRIMARY KEY,
    service_name  TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    workspace_id  TEXT NOT NULL,
    owner_id      TEXT NOT NULL,
    visibility    TEXT NOT NULL DEFAULT 'workspace' CHECK (visibility IN ('private', 'workspace')),
    parent_id     TEXT REFERENCES resource_permissions (id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (service_name, resource_type, resource_id)
) STRICT;
-- ListResourceIDs (accessible): an index-only range in resource_id order.
CREATE INDEX resource_permissions_scope ON resource_permissions (service_name, resource_type, workspace_id, resource_id);
CREATE INDEX resource_permissions_workspace ON resource_permissions (workspace_id);
CREATE INDEX resource_permissions_owner ON resource_permissions (owner_id);
CREATE INDEX resource_permissions_parent ON resource_permissions (parent_id);
CREATE INDEX resource_permissions_created ON resource_permissions (created_at);

-- grantee_id is a user id or a group id, by grantee_type.
CREATE TABLE resource_shares (
    id                     TEXT PRIMARY KEY,
    resource_permission_id TEXT NOT NULL REFERENCES resource_permissions (id) ON DELETE CASCADE,
    grantee_type           TEXT NOT NULL CHECK (grantee_type IN ('user', 'group')),
    grantee_id             TEXT NOT NULL,
    permission             TEXT NOT NULL CHECK (permission IN ('view', 'edit')),
    granted_by             TEXT NOT NULL,
    granted_at             INTEGER NOT NULL,
    UNIQUE (resource_permission_id, grantee_type, grantee_id)
) STRICT;
CREATE INDEX resource_shares_grantee ON resource_shares (grantee_type, grantee_id);

-- +goose Down
DROP TABLE resource_shares;
DROP TABLE resource_permissions;
