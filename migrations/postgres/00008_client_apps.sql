-- Client apps (PostgreSQL): the applications allowed to start a proxy-mode
-- login, each with the redirect URIs it may ask for (the original
-- Sentinel's client_apps; `sentinel import` fills it).
--
-- redirect_uris is a JSON array of strings kept as text, so both engines
-- store it alike. created_by is a user id, or '' when none is known.

-- +goose Up
CREATE TABLE client_apps (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    redirect_uris TEXT NOT NULL DEFAULT '[]',
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_by    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE client_apps;
