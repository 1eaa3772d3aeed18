package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

const keyColumns = "id, service_id, prefix, created_at, last_used_at, expires_at, revoked_at"

// CreateKey stores a new key of the service and appends an OpKey change. If
// graceOthers is non-nil, every other non-revoked key of the service that
// would outlive now+grace gets ExpiresAt = now+grace (rotation), in the same
// transaction. An unknown service is store.ErrNotFound; a hash already
// stored is store.ErrAlreadyExists.
func (s *Store) CreateKey(ctx context.Context, serviceID, hash, prefix string, graceOthers *time.Duration) (store.Key, error) {
	k := store.Key{ID: uuid.NewString(), ServiceID: serviceID, Prefix: prefix, CreatedAt: now()}
	err := s.writeTx(ctx, func(w *writer) error {
		if err := requireService(ctx, w.c, serviceID); err != nil {
			return err
		}
		if graceOthers != nil {
			// Runs before the insert, so the new key is not affected.
			deadline := k.CreatedAt.Add(*graceOthers)
			_, err := w.c.exec(ctx, `UPDATE service_keys SET expires_at = ?
				WHERE service_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`,
				deadline, serviceID, deadline)
			if err != nil {
				return fmt.Errorf("expire other keys: %w", err)
			}
		}
		n, err := w.c.exec(ctx, `INSERT INTO service_keys (id, service_id, key_hash, prefix, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			k.ID, serviceID, hash, prefix, k.CreatedAt)
		if err != nil {
			return fmt.Errorf("insert key: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("key hash: %w", store.ErrAlreadyExists)
		}
		w.produce(k)
		_, err = w.appendChanges(ctx, []store.Change{{ServiceID: serviceID, Op: store.OpKey, At: k.CreatedAt}})
		return err
	})
	if err != nil {
		return store.Key{}, fmt.Errorf("create key for service %s: %w", serviceID, err)
	}
	return k, nil
}

// KeyByHash returns the key with that hash, active or not, or
// store.ErrNotFound.
func (s *Store) KeyByHash(ctx context.Context, hash string) (store.Key, error) {
	k, err := scanKey(s.c.queryRow(ctx, `SELECT `+keyColumns+` FROM service_keys WHERE key_hash = ?`, hash))
	if err != nil {
		return store.Key{}, fmt.Errorf("key by hash: %w", notFound(err))
	}
	return k, nil
}

// ListKeys returns every key of the service, oldest first.
func (s *Store) ListKeys(ctx context.Context, serviceID string) ([]store.Key, error) {
	rows, err := s.c.query(ctx, `SELECT `+keyColumns+` FROM service_keys WHERE service_id = ? ORDER BY created_at, id`, serviceID)
	if err != nil {
		return nil, fmt.Errorf("list keys of service %s: %w", serviceID, err)
	}
	var out []store.Key
	err = scanAll(rows, func(r Rows) error {
		k, err := scanKey(r)
		out = append(out, k)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list keys of service %s: %w", serviceID, err)
	}
	return out, nil
}

// RevokeKey revokes the key now (a key revoked already keeps its revocation
// time) and appends an OpKey change. A key that does not exist or belongs to
// another service is store.ErrNotFound.
func (s *Store) RevokeKey(ctx context.Context, serviceID, keyID string) error {
	at := now()
	err := s.writeTx(ctx, func(w *writer) error {
		n, err := w.c.exec(ctx, `UPDATE service_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND service_id = ?`,
			at, keyID, serviceID)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		_, err = w.appendChanges(ctx, []store.Change{{ServiceID: serviceID, Op: store.OpKey, At: at}})
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke key %s of service %s: %w", keyID, serviceID, err)
	}
	return nil
}

// TouchKey sets the key's LastUsedAt. It is not in the changelog. An
// unknown key is store.ErrNotFound.
func (s *Store) TouchKey(ctx context.Context, keyID string, at time.Time) error {
	n, err := s.c.exec(ctx, `UPDATE service_keys SET last_used_at = ? WHERE id = ?`, normTime(at), keyID)
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("touch key %s: %w", keyID, err)
	}
	return nil
}

// scanKey scans one row of keyColumns.
func scanKey(r Row) (store.Key, error) {
	var k store.Key
	if err := r.Scan(&k.ID, &k.ServiceID, &k.Prefix, &k.CreatedAt, &k.LastUsedAt, &k.ExpiresAt, &k.RevokedAt); err != nil {
		return store.Key{}, err
	}
	k.CreatedAt = k.CreatedAt.UTC()
	k.LastUsedAt, k.ExpiresAt, k.RevokedAt = utcPtr(k.LastUsedAt), utcPtr(k.ExpiresAt), utcPtr(k.RevokedAt)
	return k, nil
}

// utcPtr returns t in UTC (nil stays nil).
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

// AdminKeyHashes returns the hashes of the stored admin credentials, oldest
// first.
func (s *Store) AdminKeyHashes(ctx context.Context) ([]string, error) {
	rows, err := s.c.query(ctx, `SELECT key_hash FROM admin_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list admin keys: %w", err)
	}
	var out []string
	err = scanAll(rows, func(r Rows) error {
		var h string
		err := r.Scan(&h)
		out = append(out, h)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list admin keys: %w", err)
	}
	return out, nil
}

// AddAdminKey stores an admin credential hash. Adding a stored hash again
// is a no-op.
func (s *Store) AddAdminKey(ctx context.Context, hash string) error {
	_, err := s.c.exec(ctx, `INSERT INTO admin_keys (id, key_hash, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		uuid.NewString(), hash, now())
	if err != nil {
		return fmt.Errorf("add admin key: %w", err)
	}
	return nil
}
