-- The original (Python) Sentinel's PostgreSQL schema, as COMPAT.md lists its
-- tables and columns: what `sentinel import` reads. Enums stand where the
-- original's models used them, so the reader's ::text casts are exercised.
-- Created in the test's own schema (search_path).

CREATE TYPE workspace_role AS ENUM ('owner', 'admin', 'editor', 'viewer');
CREATE TYPE visibility AS ENUM ('private', 'workspace');

CREATE TABLE users (
    id         UUID PRIMARY KEY,
    email      VARCHAR(320) NOT NULL UNIQUE,
    name       VARCHAR(255),
    avatar_url TEXT,
    is_active  BOOLEAN NOT NULL DEFAULT TRUE,
    is_admin   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE social_accounts (
    id               UUID PRIMARY KEY,
    user_id          UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider         VARCHAR(50) NOT NULL,
    provider_user_id VARCHAR(255) NOT NULL,
    provider_data    JSONB,
    UNIQUE (provider, provider_user_id)
);

CREATE TABLE workspaces (
    id          UUID PRIMARY KEY,
    slug        VARCHAR(100) NOT NULL UNIQUE,
    name        VARCHAR(255) NOT NULL,
    description TEXT,
    created_by  UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE workspace_memberships (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         workspace_role NOT NULL DEFAULT 'viewer',
    joined_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, user_id)
);

CREATE TABLE groups (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         VARCHAR(255) NOT NULL,
    description  TEXT,
    created_by   UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, name)
);

CREATE TABLE group_memberships (
    id       UUID PRIMARY KEY,
    group_id UUID NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (group_id, user_id)
);

CREATE TABLE resource_permissions (
    id            UUID PRIMARY KEY,
    service_name  VARCHAR(100) NOT NULL,
    resource_type VARCHAR(100) NOT NULL,
    resource_id   UUID NOT NULL,
    workspace_id  UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    owner_id      UUID NOT NULL REFERENCES users (id),
    visibility    visibility NOT NULL DEFAULT 'workspace',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (service_name, resource_type, resource_id)
);

CREATE TABLE resource_shares (
    id                     UUID PRIMARY KEY,
    resource_permission_id UUID NOT NULL REFERENCES resource_permissions (id) ON DELETE CASCADE,
    grantee_type           VARCHAR(10) NOT NULL,
    grantee_id             UUID NOT NULL,
    permission             VARCHAR(10) NOT NULL,
    granted_by             UUID REFERENCES users (id) ON DELETE SET NULL,
    granted_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (resource_permission_id, grantee_type, grantee_id)
);

CREATE TABLE service_actions (
    id           UUID PRIMARY KEY,
    service_name VARCHAR(100) NOT NULL,
    action       VARCHAR(100) NOT NULL,
    description  TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (service_name, action)
);

CREATE TABLE roles (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         VARCHAR(100) NOT NULL,
    description  TEXT,
    created_by   UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, name)
);

CREATE TABLE role_actions (
    id                UUID PRIMARY KEY,
    role_id           UUID NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    service_action_id UUID NOT NULL REFERENCES service_actions (id) ON DELETE CASCADE,
    UNIQUE (role_id, service_action_id)
);

CREATE TABLE user_roles (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id     UUID NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    assigned_by UUID REFERENCES users (id) ON DELETE SET NULL,
    assigned_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (user_id, role_id)
);

CREATE TABLE service_apps (
    id              UUID PRIMARY KEY,
    name            VARCHAR(255) NOT NULL,
    service_name    VARCHAR(100) NOT NULL UNIQUE,
    key_hash        VARCHAR(64) NOT NULL UNIQUE,
    key_prefix      VARCHAR(20) NOT NULL,
    is_active       BOOLEAN NOT NULL DEFAULT TRUE,
    allowed_origins TEXT[] NOT NULL DEFAULT '{}',
    last_used_at    TIMESTAMPTZ,
    created_by      UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE client_apps (
    id            UUID PRIMARY KEY,
    name          VARCHAR(255) NOT NULL,
    redirect_uris TEXT[] NOT NULL DEFAULT '{}',
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_by    UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE activity_logs (
    id           UUID PRIMARY KEY,
    action       VARCHAR(100) NOT NULL,
    actor_id     UUID,
    target_type  VARCHAR(50),
    target_id    UUID,
    workspace_id UUID,
    detail       JSONB,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
