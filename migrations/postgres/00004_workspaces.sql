-- Workspaces, their members, pending invitations, and groups (PostgreSQL).
--
-- Each membership, group and group member is mirrored by system tuples of
-- the reserved system service (see store/workspaces.go), written by the
-- store in the same transaction; these rows are the source of truth.
-- Emails are stored lower-cased by the store.

-- +goose Up
CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE workspace_memberships (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id),
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
    joined_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_memberships_user_id ON workspace_memberships (user_id);

-- invited_by is a user id, or '' when no user invited (admin credential).
CREATE TABLE invitations (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
    invited_by   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (workspace_id, email)
);
CREATE INDEX invitations_email ON invitations (email);

-- "groups" is a keyword in both engines' grammars: workspace_groups.
CREATE TABLE workspace_groups (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (workspace_id, name)
);

-- member_id is a user id or a group id (same workspace), by member_type.
CREATE TABLE group_members (
    group_id    TEXT NOT NULL REFERENCES workspace_groups (id) ON DELETE CASCADE,
    member_type TEXT NOT NULL CHECK (member_type IN ('user', 'group')),
    member_id   TEXT NOT NULL,
    added_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (group_id, member_type, member_id)
);
CREATE INDEX group_members_member ON group_members (member_type, member_id);

-- +goose Down
DROP TABLE group_members;
DROP TABLE workspace_groups;
DROP TABLE invitations;
DROP TABLE workspace_memberships;
DROP TABLE workspaces;
