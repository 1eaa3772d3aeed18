-- Service apps (PostgreSQL): what the original Sentinel kept about a
-- service besides its key, so its /admin/service-apps routes can be
-- served. A service app is a service (services) with its keys
-- (service_keys); this table adds its display name, the browser origins
-- allowed to call with it, and whether an administrator deactivated it. A
-- service without a row here is an app named after its service, with no
-- origins, not deactivated.
--
-- allowed_origins is a JSON array of strings kept as text, as
-- client_apps.redirect_uris (00008), so both engines store it alike.

-- +goose Up
CREATE TABLE service_app_meta (
    service_id      TEXT PRIMARY KEY REFERENCES services (id) ON DELETE CASCADE,
    display_name    TEXT NOT NULL,
    allowed_origins TEXT NOT NULL DEFAULT '[]',
    is_active       BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE service_app_meta;
