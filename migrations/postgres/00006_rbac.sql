-- Custom RBAC (PostgreSQL): actions registered by services, workspace roles as
-- sets of actions, and their assignment to users and to groups.
--
-- Each row is mirrored by system tuples written in the same transaction
-- (see store/rbac.go); the RBAC policy decides from those, never from these
-- tables. Rows go with their workspace, group or user (ON DELETE CASCADE);
-- the store removes their system tuples in the same transaction.

-- +goose Up
CREATE TABLE service_actions (
    id           TEXT PRIMARY KEY,
    service_name TEXT NOT NULL,
    action       TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (service_name, action)
);

CREATE TABLE roles (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE role_actions (
    role_id           TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    service_action_id TEXT NOT NULL REFERENCES service_actions (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, service_action_id)
);
CREATE INDEX role_actions_service_action_id ON role_actions (service_action_id);

CREATE TABLE user_roles (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id     TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    assigned_by TEXT NOT NULL DEFAULT '',
    assigned_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role_id ON user_roles (role_id);

-- Our addition to the original: roles held by every member of a group.
CREATE TABLE group_roles (
    group_id    TEXT NOT NULL REFERENCES workspace_groups (id) ON DELETE CASCADE,
    role_id     TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    assigned_by TEXT NOT NULL DEFAULT '',
    assigned_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (group_id, role_id)
);
CREATE INDEX group_roles_role_id ON group_roles (role_id);

-- +goose Down
DROP TABLE group_roles;
DROP TABLE user_roles;
DROP TABLE role_actions;
DROP TABLE roles;
DROP TABLE service_actions;
