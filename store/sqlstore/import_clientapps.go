package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sentinel-auth/sentinel/store"
)

// ClientApps lists the client apps (written by Import), by name then id.
// The admin API's client apps will grow from here.
func (s *Store) ClientApps(ctx context.Context) ([]store.ClientApp, error) {
	rows, err := s.c.query(ctx, `SELECT `+clientAppColumns+` FROM client_apps ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("list client apps: %w", err)
	}
	var out []store.ClientApp
	err = scanAll(rows, func(r Rows) error {
		var (
			a    store.ClientApp
			uris string
		)
		if err := r.Scan(&a.ID, &a.Name, &uris, &a.Active, &a.CreatedBy, &a.CreatedAt, &a.UpdatedAt); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(uris), &a.RedirectURIs); err != nil {
			return fmt.Errorf("client app %s: redirect uris: %w", a.ID, err)
		}
		a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list client apps: %w", err)
	}
	return out, nil
}
