-- A service's directory access (SQLite): 1 when an administrator allows the
-- service's model to opt in to the directory (see README "PUT /v1/model"
-- and PUT /v1/admin/services/{name}/directory). 0 by default: a service
-- key alone can no longer opt in.
--
-- A service whose current model opted in before this migration keeps the
-- access it was using, so that the upgrade changes no answer and the
-- invariant the store keeps from now on holds at once: a current model
-- opts in only if its service has directory access. An administrator
-- revokes it like any other grant (which opts the model out).

-- +goose Up
ALTER TABLE services ADD COLUMN directory_access INTEGER NOT NULL DEFAULT 0 CHECK (directory_access IN (0, 1));
UPDATE services SET directory_access = 1
WHERE id <> '00000000-0000-0000-0000-000000000000'
  AND id IN (SELECT m.service_id FROM models m WHERE m.directory = 1
             AND m.version = (SELECT MAX(version) FROM models WHERE service_id = m.service_id));

-- +goose Down
ALTER TABLE services DROP COLUMN directory_access;
