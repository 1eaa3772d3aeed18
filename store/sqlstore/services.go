package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

// serviceColumns are the columns scanService reads; serviceInsertColumns
// those a new service is inserted with (its directory access is false, the
// column's default).
const (
	serviceColumns       = "id, name, created_at, directory_access"
	serviceInsertColumns = "id, name, created_at"
)

// CreateService stores a new service with a random (v4) id. A taken name is
// store.ErrAlreadyExists. It runs in a write transaction (no changelog row
// needs it) so that the activity attached to ctx commits with the service.
func (s *Store) CreateService(ctx context.Context, name string) (store.Service, error) {
	svc := store.Service{ID: uuid.NewString(), Name: name, CreatedAt: now()}
	err := s.writeTx(ctx, func(w *writer) error {
		n, err := w.c.exec(ctx, `INSERT INTO services (`+serviceInsertColumns+`) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			svc.ID, svc.Name, svc.CreatedAt)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrAlreadyExists
		}
		w.produce(svc)
		return nil
	})
	if err != nil {
		return store.Service{}, fmt.Errorf("create service %q: %w", name, err)
	}
	return svc, nil
}

// ServiceByName returns the service named name, or store.ErrNotFound.
func (s *Store) ServiceByName(ctx context.Context, name string) (store.Service, error) {
	// The system service has no name callers can use: no keys are ever
	// made for it, so its tuples change only with the rows they mirror.
	svc, err := scanService(s.c.queryRow(ctx, `SELECT `+serviceColumns+` FROM services WHERE name = ? AND id <> ?`, name, store.SystemServiceID))
	if err != nil {
		return store.Service{}, fmt.Errorf("service named %q: %w", name, err)
	}
	return svc, nil
}

// ServiceByID returns the service with that id, or store.ErrNotFound.
func (s *Store) ServiceByID(ctx context.Context, id string) (store.Service, error) {
	svc, err := scanService(s.c.queryRow(ctx, `SELECT `+serviceColumns+` FROM services WHERE id = ?`, id))
	if err != nil {
		return store.Service{}, fmt.Errorf("service %s: %w", id, err)
	}
	return svc, nil
}

// ListServices returns every service, ordered by name.
func (s *Store) ListServices(ctx context.Context) ([]store.Service, error) {
	// The system service is Sentinel's own, not a tenant: not listed.
	rows, err := s.c.query(ctx, `SELECT `+serviceColumns+` FROM services WHERE id <> ? ORDER BY name`, store.SystemServiceID)
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	var out []store.Service
	err = scanAll(rows, func(r Rows) error {
		svc, err := scanService(r)
		out = append(out, svc)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	return out, nil
}

// scanService scans one row of serviceColumns; no row is store.ErrNotFound.
func scanService(r Row) (store.Service, error) {
	var svc store.Service
	if err := r.Scan(&svc.ID, &svc.Name, &svc.CreatedAt, &svc.DirectoryAccess); err != nil {
		return store.Service{}, notFound(err)
	}
	svc.CreatedAt = svc.CreatedAt.UTC()
	return svc, nil
}

// requireService fails with store.ErrNotFound unless the service exists.
func requireService(ctx context.Context, c conn, id string) error {
	var one int
	if err := c.queryRow(ctx, `SELECT 1 FROM services WHERE id = ?`, id).Scan(&one); err != nil {
		return fmt.Errorf("service %s: %w", id, notFound(err))
	}
	return nil
}

// notFound maps "no rows" to store.ErrNotFound and keeps other errors.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}
