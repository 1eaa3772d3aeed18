package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

// Service apps: a service with its service_app_meta row (00009), which a
// service may lack: then its app has the defaults (named after the
// service, no origins, active), read with a LEFT JOIN.

var _ store.ServiceAppStore = (*Store)(nil)

// serviceAppSelect reads a service's app, with the defaults of a service
// without a record. The system service is never one.
const serviceAppSelect = `SELECT s.id, COALESCE(m.display_name, s.name), COALESCE(m.allowed_origins, '[]'),
	COALESCE(m.is_active, TRUE), COALESCE(m.updated_at, s.created_at)
	FROM services s LEFT JOIN service_app_meta m ON m.service_id = s.id
	WHERE s.id <> ?`

// checkServiceApp validates a display name and origins (nil: not given).
func checkServiceApp(name *string, origins *[]string) error {
	if name != nil {
		if err := store.CheckServiceAppName(*name); err != nil {
			return err
		}
	}
	if origins != nil {
		for _, o := range *origins {
			if err := store.CheckOrigin(o); err != nil {
				return err
			}
		}
	}
	return nil
}

// CreateServiceApp creates the service and its app record in one
// transaction; a taken name is store.ErrAlreadyExists.
func (s *Store) CreateServiceApp(ctx context.Context, serviceName string, spec store.ServiceAppSpec) (store.Service, store.ServiceApp, error) {
	if spec.Name == "" {
		spec.Name = serviceName
	}
	origins := slices.Clone(spec.AllowedOrigins)
	if origins == nil {
		origins = []string{}
	}
	if serviceName == "" {
		return store.Service{}, store.ServiceApp{}, fmt.Errorf("create service app: %w: service name is required", store.ErrInvalidServiceApp)
	}
	if err := checkServiceApp(&spec.Name, &origins); err != nil {
		return store.Service{}, store.ServiceApp{}, fmt.Errorf("create service app %q: %w", serviceName, err)
	}
	svc := store.Service{ID: uuid.NewString(), Name: serviceName, CreatedAt: now()}
	app := store.ServiceApp{ServiceID: svc.ID, Name: spec.Name, AllowedOrigins: origins, Active: true, UpdatedAt: svc.CreatedAt}
	err := s.writeTx(ctx, func(w *writer) error {
		n, err := w.c.exec(ctx, `INSERT INTO services (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			svc.ID, svc.Name, svc.CreatedAt)
		if err != nil {
			return fmt.Errorf("insert service: %w", err)
		}
		if n == 0 {
			return store.ErrAlreadyExists
		}
		w.produce(app)
		return putServiceApp(ctx, w.c, app)
	})
	if err != nil {
		return store.Service{}, store.ServiceApp{}, fmt.Errorf("create service app %q: %w", serviceName, err)
	}
	return svc, app, nil
}

// putServiceApp inserts or replaces the service's app record.
func putServiceApp(ctx context.Context, c conn, app store.ServiceApp) error {
	js, err := json.Marshal(app.AllowedOrigins)
	if err != nil {
		return err
	}
	_, err = c.exec(ctx, `INSERT INTO service_app_meta (service_id, display_name, allowed_origins, is_active, updated_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (service_id) DO UPDATE SET display_name = excluded.display_name,
			allowed_origins = excluded.allowed_origins, is_active = excluded.is_active, updated_at = excluded.updated_at`,
		app.ServiceID, app.Name, string(js), app.Active, app.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store service app record: %w", err)
	}
	return nil
}

// ServiceApp returns the service's app, or store.ErrNotFound.
func (s *Store) ServiceApp(ctx context.Context, serviceID string) (store.ServiceApp, error) {
	app, err := serviceAppByID(ctx, s.c, serviceID)
	if err != nil {
		return store.ServiceApp{}, fmt.Errorf("service app %s: %w", serviceID, err)
	}
	return app, nil
}

func serviceAppByID(ctx context.Context, c conn, serviceID string) (store.ServiceApp, error) {
	return scanServiceApp(c.queryRow(ctx, serviceAppSelect+` AND s.id = ?`, store.SystemServiceID, serviceID))
}

// ServiceApps returns the app of every service but the system service.
func (s *Store) ServiceApps(ctx context.Context) (map[string]store.ServiceApp, error) {
	rows, err := s.c.query(ctx, serviceAppSelect, store.SystemServiceID)
	if err != nil {
		return nil, fmt.Errorf("list service apps: %w", err)
	}
	out := map[string]store.ServiceApp{}
	err = scanAll(rows, func(r Rows) error {
		app, err := scanServiceApp(r)
		out[app.ServiceID] = app
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list service apps: %w", err)
	}
	return out, nil
}

// UpdateServiceApp applies u in one transaction; UpdatedAt changes only if
// a value did.
func (s *Store) UpdateServiceApp(ctx context.Context, serviceID string, u store.ServiceAppUpdate) (store.ServiceApp, error) {
	if err := checkServiceApp(u.Name, u.AllowedOrigins); err != nil {
		return store.ServiceApp{}, fmt.Errorf("update service app %s: %w", serviceID, err)
	}
	var out store.ServiceApp
	err := s.writeTx(ctx, func(w *writer) error {
		app, err := serviceAppByID(ctx, w.c, serviceID)
		if err != nil {
			return err
		}
		next := app
		if u.Name != nil {
			next.Name = *u.Name
		}
		if u.AllowedOrigins != nil {
			next.AllowedOrigins = slices.Clone(*u.AllowedOrigins)
			if next.AllowedOrigins == nil {
				next.AllowedOrigins = []string{}
			}
		}
		out = app
		if next.Name == app.Name && slices.Equal(next.AllowedOrigins, app.AllowedOrigins) {
			return nil
		}
		next.UpdatedAt = now()
		out = next
		w.produce(out)
		return putServiceApp(ctx, w.c, next)
	})
	if err != nil {
		return store.ServiceApp{}, fmt.Errorf("update service app %s: %w", serviceID, err)
	}
	return out, nil
}

// SetServiceAppActive marks the app active or not; deactivating revokes
// every key of the service not revoked yet, with an OpKey change, in the
// same transaction.
func (s *Store) SetServiceAppActive(ctx context.Context, serviceID string, active bool) (store.ServiceApp, error) {
	var out store.ServiceApp
	err := s.writeTx(ctx, func(w *writer) error {
		app, err := serviceAppByID(ctx, w.c, serviceID)
		if err != nil {
			return err
		}
		at := now()
		if !active {
			n, err := w.c.exec(ctx, `UPDATE service_keys SET revoked_at = ? WHERE service_id = ? AND revoked_at IS NULL`, at, serviceID)
			if err != nil {
				return fmt.Errorf("revoke keys: %w", err)
			}
			if n > 0 {
				if _, err := w.appendChanges(ctx, []store.Change{{ServiceID: serviceID, Op: store.OpKey, At: at}}); err != nil {
					return err
				}
			}
		}
		out = app
		if app.Active == active {
			return nil
		}
		out.Active, out.UpdatedAt = active, at
		w.produce(out)
		return putServiceApp(ctx, w.c, out)
	})
	if err != nil {
		return store.ServiceApp{}, fmt.Errorf("set service app %s active=%t: %w", serviceID, active, err)
	}
	return out, nil
}

// DeleteService removes the service and all it owns in one transaction
// (see store.ServiceAppStore). Its tuples are deleted in batches, each
// with its OpDelete changes, so a large service is never held in memory.
func (s *Store) DeleteService(ctx context.Context, serviceID string) (store.ServiceDeletion, error) {
	var del store.ServiceDeletion
	err := s.writeTx(ctx, func(w *writer) error {
		if serviceID == store.SystemServiceID {
			return store.ErrNotFound
		}
		svc, err := scanService(w.c.queryRow(ctx, `SELECT `+serviceColumns+` FROM services WHERE id = ?`, serviceID))
		if err != nil {
			return err
		}
		del = store.ServiceDeletion{Service: svc}
		at := now()
		if del.Resources, err = w.deleteResources(ctx, at, `r.service_name = ?`, svc.Name); err != nil {
			return err
		}
		if del.Actions, err = w.deleteServiceActions(ctx, at, `service_name = ?`, svc.Name); err != nil {
			return err
		}
		if del.Tuples, err = w.deleteServiceTuples(ctx, serviceID, at); err != nil {
			return err
		}
		keys, err := w.c.exec(ctx, `DELETE FROM service_keys WHERE service_id = ?`, serviceID)
		if err != nil {
			return fmt.Errorf("delete keys: %w", err)
		}
		del.Keys = int(keys)
		for _, q := range []string{
			`DELETE FROM models WHERE service_id = ?`,
			`DELETE FROM service_app_meta WHERE service_id = ?`,
			`DELETE FROM services WHERE id = ?`,
		} {
			if _, err := w.c.exec(ctx, q, serviceID); err != nil {
				return fmt.Errorf("delete service: %w", err)
			}
		}
		w.produce(del)
		// Always: replicas drop what they cached about the service's keys.
		_, err = w.appendChanges(ctx, []store.Change{{ServiceID: serviceID, Op: store.OpKey, At: at}})
		return err
	})
	if err != nil {
		return store.ServiceDeletion{}, fmt.Errorf("delete service %s: %w", serviceID, err)
	}
	return del, nil
}

// deleteServiceTuples deletes every tuple of the service, batchSize at a
// time, appending an OpDelete change for each, and returns how many.
func (w *writer) deleteServiceTuples(ctx context.Context, serviceID string, at time.Time) (int, error) {
	total := 0
	for {
		rows, err := w.c.query(ctx, `DELETE FROM tuples WHERE id IN
			(SELECT id FROM tuples WHERE service_id = ? ORDER BY id LIMIT ?)
			RETURNING `+tupleColumns, serviceID, batchSize)
		if err != nil {
			return 0, fmt.Errorf("delete tuples: %w", err)
		}
		var changes []store.Change
		err = scanAll(rows, func(r Rows) error {
			t, err := scanTuple(r)
			changes = append(changes, store.Change{ServiceID: serviceID, Op: store.OpDelete, Tuple: t, At: at})
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("delete tuples: %w", err)
		}
		if len(changes) == 0 {
			return total, nil
		}
		if _, err := w.appendChanges(ctx, changes); err != nil {
			return 0, err
		}
		total += len(changes)
	}
}

// scanServiceApp scans one row of serviceAppSelect; no row is
// store.ErrNotFound.
func scanServiceApp(r Row) (store.ServiceApp, error) {
	var (
		app     store.ServiceApp
		origins string
	)
	if err := r.Scan(&app.ServiceID, &app.Name, &origins, &app.Active, &app.UpdatedAt); err != nil {
		return store.ServiceApp{}, notFound(err)
	}
	if err := json.Unmarshal([]byte(origins), &app.AllowedOrigins); err != nil {
		return store.ServiceApp{}, fmt.Errorf("allowed origins: %w", err)
	}
	if app.AllowedOrigins == nil {
		app.AllowedOrigins = []string{}
	}
	app.UpdatedAt = app.UpdatedAt.UTC()
	return app, nil
}
