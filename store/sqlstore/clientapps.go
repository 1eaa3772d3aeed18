package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

// Client apps: rows only (no tuples, no changelog), validated here so no
// caller can store a redirect URI a login would then trust.

var _ store.ClientAppStore = (*Store)(nil)

// checkClientApp validates a name and redirect URIs (nil: not given).
func checkClientApp(name *string, uris *[]string) error {
	if name != nil {
		if err := store.CheckClientAppName(*name); err != nil {
			return err
		}
	}
	if uris != nil {
		for _, u := range *uris {
			if err := store.CheckRedirectURI(u); err != nil {
				return err
			}
		}
	}
	return nil
}

// CreateClientApp stores a new, active client app with a random id.
func (s *Store) CreateClientApp(ctx context.Context, spec store.ClientAppSpec) (store.ClientApp, error) {
	uris := spec.RedirectURIs
	if uris == nil {
		uris = []string{}
	}
	if err := checkClientApp(&spec.Name, &uris); err != nil {
		return store.ClientApp{}, fmt.Errorf("create client app: %w", err)
	}
	at := now()
	a := store.ClientApp{ID: uuid.NewString(), Name: spec.Name, RedirectURIs: slices.Clone(uris), Active: true,
		CreatedBy: spec.CreatedBy, CreatedAt: at, UpdatedAt: at}
	js, err := json.Marshal(a.RedirectURIs)
	if err != nil {
		return store.ClientApp{}, fmt.Errorf("create client app: %w", err)
	}
	// A write transaction (no changelog row needs it) so that the
	// activity attached to ctx commits with the app.
	err = s.writeTx(ctx, func(w *writer) error {
		_, err := w.c.exec(ctx, `INSERT INTO client_apps (`+clientAppColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.Name, string(js), a.Active, a.CreatedBy, a.CreatedAt, a.UpdatedAt)
		w.produce(a)
		return err
	})
	if err != nil {
		return store.ClientApp{}, fmt.Errorf("create client app %q: %w", spec.Name, err)
	}
	return a, nil
}

// ClientApp returns the client app with that id, or store.ErrNotFound.
func (s *Store) ClientApp(ctx context.Context, id string) (store.ClientApp, error) {
	a, err := clientAppByID(ctx, s.c, id)
	if err != nil {
		return store.ClientApp{}, fmt.Errorf("client app %s: %w", id, err)
	}
	return a, nil
}

func clientAppByID(ctx context.Context, c conn, id string) (store.ClientApp, error) {
	return scanClientApp(c.queryRow(ctx, `SELECT `+clientAppColumns+` FROM client_apps WHERE id = ?`, id))
}

// UpdateClientApp applies u in one transaction and returns the app as
// stored; UpdatedAt changes only if a value did.
func (s *Store) UpdateClientApp(ctx context.Context, id string, u store.ClientAppUpdate) (store.ClientApp, error) {
	if err := checkClientApp(u.Name, u.RedirectURIs); err != nil {
		return store.ClientApp{}, fmt.Errorf("update client app %s: %w", id, err)
	}
	var out store.ClientApp
	err := s.writeTx(ctx, func(w *writer) error {
		a, err := clientAppByID(ctx, w.c, id)
		if err != nil {
			return err
		}
		next := a
		if u.Name != nil {
			next.Name = *u.Name
		}
		if u.RedirectURIs != nil {
			next.RedirectURIs = slices.Clone(*u.RedirectURIs)
			if next.RedirectURIs == nil {
				next.RedirectURIs = []string{}
			}
		}
		if u.Active != nil {
			next.Active = *u.Active
		}
		if next.Name == a.Name && next.Active == a.Active && slices.Equal(next.RedirectURIs, a.RedirectURIs) {
			out = a
			return nil
		}
		next.UpdatedAt = now()
		js, err := json.Marshal(next.RedirectURIs)
		if err != nil {
			return err
		}
		if _, err := w.c.exec(ctx, `UPDATE client_apps SET name = ?, redirect_uris = ?, is_active = ?, updated_at = ? WHERE id = ?`,
			next.Name, string(js), next.Active, next.UpdatedAt, id); err != nil {
			return err
		}
		out = next
		w.produce(out)
		return nil
	})
	if err != nil {
		return store.ClientApp{}, fmt.Errorf("update client app %s: %w", id, err)
	}
	return out, nil
}

// DeleteClientApp removes the client app, or is store.ErrNotFound. It runs
// in a write transaction so that the activity attached to ctx commits with
// the deletion.
func (s *Store) DeleteClientApp(ctx context.Context, id string) error {
	err := s.writeTx(ctx, func(w *writer) error {
		n, err := w.c.exec(ctx, `DELETE FROM client_apps WHERE id = ?`, id)
		if err == nil && n == 0 {
			err = store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete client app %s: %w", id, err)
	}
	return nil
}

// scanClientApp scans one row of clientAppColumns; no row is
// store.ErrNotFound.
func scanClientApp(r Row) (store.ClientApp, error) {
	var (
		a    store.ClientApp
		uris string
	)
	if err := r.Scan(&a.ID, &a.Name, &uris, &a.Active, &a.CreatedBy, &a.CreatedAt, &a.UpdatedAt); err != nil {
		return store.ClientApp{}, notFound(err)
	}
	if err := json.Unmarshal([]byte(uris), &a.RedirectURIs); err != nil {
		return store.ClientApp{}, fmt.Errorf("redirect uris: %w", err)
	}
	if a.RedirectURIs == nil {
		a.RedirectURIs = []string{}
	}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return a, nil
}
