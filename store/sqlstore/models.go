package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

const modelColumns = "id, service_id, version, dsl, json, created_at, revision, directory"

// WriteModel stores a new model version (previous + 1, starting at 1) with a
// random id, makes it current and appends an OpModel change; the model's
// Revision is that change's revision. An unknown service is
// store.ErrNotFound. The directory opt-in (opts) is refused with
// store.ErrConflict for the system service, which is the directory, with
// store.ErrDirectoryNotGranted for a service without directory access, and
// with store.ErrConflict while the service holds tuples of a directory type.
func (s *Store) WriteModel(ctx context.Context, serviceID, dsl, jsonModel string, opts ...store.ModelOptions) (store.Model, error) {
	var o store.ModelOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	m := store.Model{ID: uuid.NewString(), ServiceID: serviceID, DSL: dsl, JSON: jsonModel, CreatedAt: now(), Directory: o.Directory}
	err := s.writeTx(ctx, func(w *writer) error {
		if err := requireService(ctx, w.c, serviceID); err != nil {
			return err
		}
		if o.Directory {
			// In the writing transaction: writers are serialized, so
			// neither a revocation of the service's directory access nor a
			// tuple of a directory type can slip in before the model.
			if err := refuseDirectoryOptIn(ctx, w.c, serviceID); err != nil {
				return err
			}
		}
		if err := w.insertModel(ctx, &m); err != nil {
			return err
		}
		w.produce(m)
		return nil
	})
	if err != nil {
		return store.Model{}, fmt.Errorf("write model of service %s: %w", serviceID, err)
	}
	return m, nil
}

// insertModel stores m as the service's new current version: it sets
// m.Version (previous + 1) and m.Revision (that of the OpModel change it
// appends). The caller has checked that the service exists.
func (w *writer) insertModel(ctx context.Context, m *store.Model) error {
	// Writers are serialized, so max+1 cannot race.
	if err := w.c.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM models WHERE service_id = ?`,
		m.ServiceID).Scan(&m.Version); err != nil {
		return fmt.Errorf("next version: %w", err)
	}
	rev, err := w.appendChanges(ctx, []store.Change{{ServiceID: m.ServiceID, Op: store.OpModel, ModelID: m.ID, At: m.CreatedAt}})
	if err != nil {
		return err
	}
	m.Revision = rev
	_, err = w.c.exec(ctx, `INSERT INTO models (`+modelColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.ServiceID, m.Version, m.DSL, m.JSON, m.CreatedAt, int64(m.Revision), m.Directory)
	if err != nil {
		return fmt.Errorf("insert model: %w", err)
	}
	return nil
}

// CurrentModel returns the service's newest model: store.ErrNoModel if it
// has none, store.ErrNotFound if the service does not exist.
func (s *Store) CurrentModel(ctx context.Context, serviceID string) (store.Model, error) {
	m, err := scanModel(s.c.queryRow(ctx, `SELECT `+modelColumns+` FROM models WHERE service_id = ?
		ORDER BY version DESC LIMIT 1`, serviceID))
	if errors.Is(err, store.ErrNotFound) {
		err = store.ErrNoModel
		if serr := requireService(ctx, s.c, serviceID); serr != nil {
			err = serr
		}
	}
	if err != nil {
		return store.Model{}, fmt.Errorf("current model of service %s: %w", serviceID, err)
	}
	return m, nil
}

// ModelByID returns one model of the service; a model id of another service
// is store.ErrNotFound.
func (s *Store) ModelByID(ctx context.Context, serviceID, modelID string) (store.Model, error) {
	m, err := scanModel(s.c.queryRow(ctx, `SELECT `+modelColumns+` FROM models WHERE service_id = ? AND id = ?`,
		serviceID, modelID))
	if err != nil {
		return store.Model{}, fmt.Errorf("model %s of service %s: %w", modelID, serviceID, err)
	}
	return m, nil
}

// currentModels returns every service's newest model, by service id.
func currentModels(ctx context.Context, c conn) (map[string]store.Model, error) {
	rows, err := c.query(ctx, `SELECT `+modelColumns+` FROM models m
		WHERE version = (SELECT MAX(version) FROM models WHERE service_id = m.service_id)`)
	if err != nil {
		return nil, fmt.Errorf("read current models: %w", err)
	}
	out := make(map[string]store.Model)
	err = scanAll(rows, func(r Rows) error {
		m, err := scanModel(r)
		out[m.ServiceID] = m
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read current models: %w", err)
	}
	return out, nil
}

// scanModel scans one row of modelColumns; no row is store.ErrNotFound.
func scanModel(r Row) (store.Model, error) {
	var (
		m   store.Model
		rev int64
	)
	if err := r.Scan(&m.ID, &m.ServiceID, &m.Version, &m.DSL, &m.JSON, &m.CreatedAt, &rev, &m.Directory); err != nil {
		return store.Model{}, notFound(err)
	}
	m.CreatedAt, m.Revision = m.CreatedAt.UTC(), uint64(rev)
	return m, nil
}

// refuseDirectoryOptIn fails unless the service may opt in to the
// directory: the system service is store.ErrConflict (it is the
// directory); a service an administrator has not granted directory access
// is store.ErrDirectoryNotGranted; a service holding a tuple whose object
// type is a directory type is store.ErrConflict (opted in, the service
// sees the directory's tuples of those types as its own, and its own would
// be mixed with them).
func refuseDirectoryOptIn(ctx context.Context, c conn, serviceID string) error {
	if serviceID == store.SystemServiceID {
		return fmt.Errorf("%w: the system service is the directory; it cannot opt in to it", store.ErrConflict)
	}
	var allowed bool
	if err := c.queryRow(ctx, `SELECT directory_access FROM services WHERE id = ?`, serviceID).Scan(&allowed); err != nil {
		return fmt.Errorf("read directory access: %w", notFound(err))
	}
	if !allowed {
		return store.ErrDirectoryNotGranted
	}
	for _, typ := range store.DirectoryTypes {
		var id string
		err := c.queryRow(ctx, `SELECT object_id FROM tuples WHERE service_id = ? AND object_type = ? LIMIT 1`,
			serviceID, typ).Scan(&id)
		switch {
		case err == nil:
			return fmt.Errorf("%w: the service has tuples of its own of type %s (%s:%s, …); "+
				"the directory provides that type: delete them before opting in", store.ErrConflict, typ, typ, id)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("look for tuples of type %s: %w", typ, err)
		}
	}
	return nil
}
