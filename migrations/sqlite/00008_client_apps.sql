-- Client apps (SQLite): the applications allowed to start a proxy-mode
-- login, each with the redirect URIs it may ask for (the original
-- Sentinel's client_apps; `sentinel import` fills it).
--
-- redirect_uris is a JSON array of strings kept as text, so both engines
-- store it alike. created_by is a user id, or '' when none is known.
-- Times are INTEGER unix microseconds and booleans INTEGER 0/1, as in 00001.

-- +goose Up
CREATE TABLE client_apps (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    redirect_uris TEXT NOT NULL DEFAULT '[]',
    is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_by    TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

-- +goose Down
DROP TABLE client_apps;
