package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// SetResourceVisibility changes the visibility of the resource with that
// registration id and adds or removes its visible_to and editable_by
// tuples. The current visibility again changes nothing.
func (s *Store) SetResourceVisibility(ctx context.Context, id string, v store.Visibility) (store.Resource, error) {
	if v == "" { // "" is the default at registration only
		return store.Resource{}, fmt.Errorf("set visibility of resource %s: %w", id,
			invalidResource("visibility is required"))
	}
	v, err := checkVisibility(v)
	if err != nil {
		return store.Resource{}, fmt.Errorf("set visibility of resource %s: %w", id, err)
	}
	var row resourceRow
	at := now()
	err = s.writeTx(ctx, func(w *writer) error {
		var err error
		if row, err = loadResource(ctx, w.c, `r.id = ?`, strings.ToLower(id)); err != nil {
			return err
		}
		if row.Visibility == v {
			return nil
		}
		if _, err := w.c.exec(ctx, `UPDATE resource_permissions SET visibility = ? WHERE id = ?`, string(v), row.ID); err != nil {
			return fmt.Errorf("update resource: %w", err)
		}
		row.Visibility = v
		w.produce(row.Resource)
		ts := visibilityTuples(row.Key, row.WorkspaceID)
		if v == store.VisibilityWorkspace {
			return w.systemTuples(ctx, ts, nil, at)
		}
		return w.systemTuples(ctx, nil, ts, at)
	})
	if err != nil {
		return store.Resource{}, fmt.Errorf("set visibility of resource %s to %s: %w", id, v, err)
	}
	return row.Resource, nil
}

// ShareResource grants g on the resource with that registration id, or
// changes the permission of the grantee's share (replacing its
// shared_viewer tuple by shared_editor or back). The grantee must be in
// the resource's workspace as the system tuples say: a user with a role
// tuple workspace:<wid>#<role>@user:<uid>, a group with
// group:<gid>#workspace@workspace:<wid>. Checked under the writers' lock,
// so a share never outlives a membership removal that purged shares.
func (s *Store) ShareResource(ctx context.Context, id string, g store.ResourceGrant) (store.ResourceShare, error) {
	what := fmt.Sprintf("share resource %s with %s %s", id, g.GranteeType, g.GranteeID)
	granteeID, err := checkGrantee(g.GranteeType, g.GranteeID)
	if err != nil {
		return store.ResourceShare{}, fmt.Errorf("%s: %w", what, err)
	}
	if g.Permission != store.ShareView && g.Permission != store.ShareEdit {
		return store.ResourceShare{}, fmt.Errorf("%s: %w", what, invalidResource("permission %q must be view or edit", g.Permission))
	}
	grantedBy := "" // the admin credential
	if g.GrantedBy != "" {
		if grantedBy, err = canonicalUUID("granted by", g.GrantedBy); err != nil {
			return store.ResourceShare{}, fmt.Errorf("%s: %w", what, err)
		}
	}
	var sh store.ResourceShare
	at := now()
	err = s.writeTx(ctx, func(w *writer) error {
		row, err := loadResource(ctx, w.c, `r.id = ?`, strings.ToLower(id))
		if err != nil {
			return err
		}
		if err := granteeInWorkspace(ctx, w.c, row.WorkspaceID, g.GranteeType, granteeID); err != nil {
			return err
		}
		var old *store.ResourceShare
		for i := range row.Shares {
			if row.Shares[i].GranteeType == g.GranteeType && row.Shares[i].GranteeID == granteeID {
				old = &row.Shares[i]
			}
		}
		if old != nil && old.Permission == g.Permission {
			sh = *old
			return nil
		}
		write := shareTuple(row.Key, g.GranteeType, granteeID, g.Permission)
		if old != nil {
			sh = store.ResourceShare{ID: old.ID, GranteeType: g.GranteeType, GranteeID: granteeID,
				Permission: g.Permission, GrantedBy: grantedBy, GrantedAt: at}
			if _, err := w.c.exec(ctx, `UPDATE resource_shares SET permission = ?, granted_by = ?, granted_at = ? WHERE id = ?`,
				string(sh.Permission), sh.GrantedBy, sh.GrantedAt, sh.ID); err != nil {
				return fmt.Errorf("update share: %w", err)
			}
			del := shareTuple(row.Key, old.GranteeType, old.GranteeID, old.Permission)
			w.produce(sh)
			return w.systemTuples(ctx, []tuple.Tuple{write}, []tuple.Tuple{del}, at)
		}
		sh = store.ResourceShare{ID: uuid.NewString(), GranteeType: g.GranteeType, GranteeID: granteeID,
			Permission: g.Permission, GrantedBy: grantedBy, GrantedAt: at}
		if _, err := w.c.exec(ctx, `INSERT INTO resource_shares (id, resource_permission_id, grantee_type, grantee_id,
			permission, granted_by, granted_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			sh.ID, row.ID, string(sh.GranteeType), sh.GranteeID, string(sh.Permission), sh.GrantedBy, sh.GrantedAt); err != nil {
			return fmt.Errorf("insert share: %w", err)
		}
		w.produce(sh)
		return w.systemTuples(ctx, []tuple.Tuple{write}, nil, at)
	})
	if err != nil {
		return store.ResourceShare{}, fmt.Errorf("%s: %w", what, err)
	}
	return sh, nil
}

// granteeInWorkspace fails with store.ErrGranteeNotInWorkspace unless the
// system tuples put the grantee in the workspace.
func granteeInWorkspace(ctx context.Context, c conn, workspaceID string, t store.GranteeType, granteeID string) error {
	var (
		q    string
		args []any
	)
	if t == store.GranteeUser {
		q = `SELECT 1 FROM tuples WHERE service_id = ? AND object_type = ? AND object_id = ?
			AND relation IN (?, ?, ?, ?) AND user_type = ? AND user_id = ? AND user_relation = '' LIMIT 1`
		args = []any{store.SystemServiceID, "workspace", workspaceID, "owner", "admin", "editor", "viewer", "user", granteeID}
	} else {
		q = `SELECT 1 FROM tuples WHERE service_id = ? AND object_type = ? AND object_id = ?
			AND relation = ? AND user_type = ? AND user_id = ? AND user_relation = '' LIMIT 1`
		args = []any{store.SystemServiceID, "group", granteeID, "workspace", "workspace", workspaceID}
	}
	var one int
	err := c.queryRow(ctx, q, args...).Scan(&one)
	err = notFound(err)
	if errors.Is(err, store.ErrNotFound) {
		return store.ErrGranteeNotInWorkspace
	}
	if err != nil {
		return fmt.Errorf("look up grantee: %w", err)
	}
	return nil
}

// UnshareResource removes the grantee's share of the resource with that
// registration id, and its tuple. No such share is store.ErrNotFound.
func (s *Store) UnshareResource(ctx context.Context, id string, t store.GranteeType, granteeID string) error {
	what := fmt.Sprintf("unshare resource %s with %s %s", id, t, granteeID)
	gid, err := checkGrantee(t, granteeID)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	at := now()
	err = s.writeTx(ctx, func(w *writer) error {
		n, err := w.removeShares(ctx, at, `r.id = ? AND s.grantee_type = ? AND s.grantee_id = ?`,
			strings.ToLower(id), string(t), gid)
		if err == nil && n == 0 {
			err = store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// RemoveUserShares removes every share to the user on resources of the
// workspace, with their tuples, and returns how many there were.
func (s *Store) RemoveUserShares(ctx context.Context, workspaceID, userID string) (int, error) {
	var n int
	err := s.writeTx(ctx, func(w *writer) error {
		var err error
		n, err = w.removeUserShares(ctx, workspaceID, userID, now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("remove shares to user %s in workspace %s: %w", userID, workspaceID, err)
	}
	return n, nil
}

// RemoveGroupShares removes every share to the group, with their tuples,
// and returns how many there were.
func (s *Store) RemoveGroupShares(ctx context.Context, groupID string) (int, error) {
	var n int
	err := s.writeTx(ctx, func(w *writer) error {
		var err error
		n, err = w.removeGroupShares(ctx, groupID, now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("remove shares to group %s: %w", groupID, err)
	}
	return n, nil
}

// removeUserShares is RemoveUserShares inside the write transaction w (for
// a member removal that purges the member's shares in its own
// transaction).
func (w *writer) removeUserShares(ctx context.Context, workspaceID, userID string, at time.Time) (int, error) {
	return w.removeShares(ctx, at, `r.workspace_id = ? AND s.grantee_type = ? AND s.grantee_id = ?`,
		strings.ToLower(workspaceID), string(store.GranteeUser), strings.ToLower(userID))
}

// removeGroupShares is RemoveGroupShares inside the write transaction w
// (for a group deletion).
func (w *writer) removeGroupShares(ctx context.Context, groupID string, at time.Time) (int, error) {
	return w.removeShares(ctx, at, `s.grantee_type = ? AND s.grantee_id = ?`,
		string(store.GranteeGroup), strings.ToLower(groupID))
}

// removeShares deletes the shares matching where (on shares s joined with
// their resources r) and their tuples, and returns how many there were.
func (w *writer) removeShares(ctx context.Context, at time.Time, where string, args ...any) (int, error) {
	rows, err := w.c.query(ctx, `SELECT s.id, r.service_name, r.resource_type, r.resource_id, s.grantee_type, s.grantee_id, s.permission
		FROM resource_shares s JOIN resource_permissions r ON r.id = s.resource_permission_id WHERE `+where, args...)
	if err != nil {
		return 0, fmt.Errorf("read shares: %w", err)
	}
	var (
		ids     []any
		deletes []tuple.Tuple
	)
	err = scanAll(rows, func(r Rows) error {
		var (
			id, gtype, gid, perm string
			k                    store.ResourceKey
		)
		if err := r.Scan(&id, &k.Service, &k.Type, &k.ID, &gtype, &gid, &perm); err != nil {
			return err
		}
		ids = append(ids, id)
		deletes = append(deletes, shareTuple(k, store.GranteeType(gtype), gid, store.SharePermission(perm)))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("read shares: %w", err)
	}
	for start := 0; start < len(ids); start += batchSize {
		batch := ids[start:min(start+batchSize, len(ids))]
		in := strings.TrimSuffix(strings.Repeat("?,", len(batch)), ",")
		if _, err := w.c.exec(ctx, `DELETE FROM resource_shares WHERE id IN (`+in+`)`, batch...); err != nil {
			return 0, fmt.Errorf("delete shares: %w", err)
		}
	}
	return len(ids), w.systemTuples(ctx, nil, deletes, at)
}

// DeregisterResource removes the resource registered under k, its shares
// and all their tuples; the resources whose parent it was lose the parent
// (row and tuple). An unregistered key is store.ErrNotFound.
func (s *Store) DeregisterResource(ctx context.Context, k store.ResourceKey) error {
	ck, err := checkKey(k)
	if err != nil {
		return fmt.Errorf("deregister resource %s: %w", keyString(k), err)
	}
	at := now()
	err = s.writeTx(ctx, func(w *writer) error {
		row, err := loadResource(ctx, w.c, `r.service_name = ? AND r.resource_type = ? AND r.resource_id = ?`,
			ck.Service, ck.Type, ck.ID)
		if err != nil {
			return err
		}
		children, err := loadResources(ctx, w.c, `r.parent_id = ?`, ``, row.ID)
		if err != nil {
			return err
		}
		deletes := row.allTuples()
		for _, c := range children {
			deletes = append(deletes, parentTuple(c.Key, row.Key))
		}
		for _, q := range []string{
			`UPDATE resource_permissions SET parent_id = NULL WHERE parent_id = ?`,
			`DELETE FROM resource_shares WHERE resource_permission_id = ?`,
			`DELETE FROM resource_permissions WHERE id = ?`,
		} {
			if _, err := w.c.exec(ctx, q, row.ID); err != nil {
				return fmt.Errorf("delete resource: %w", err)
			}
		}
		return w.systemTuples(ctx, nil, deletes, at)
	})
	if err != nil {
		return fmt.Errorf("deregister resource %s: %w", keyString(k), err)
	}
	return nil
}

// PurgeServiceResources deregisters every resource of the service in one
// transaction and returns how many there were.
func (s *Store) PurgeServiceResources(ctx context.Context, service string) (int, error) {
	if err := checkName("service name", service); err != nil {
		return 0, fmt.Errorf("purge resources of service %s: %w", service, err)
	}
	var n int
	err := s.writeTx(ctx, func(w *writer) error {
		var err error
		n, err = w.deleteResources(ctx, now(), `r.service_name = ?`, service)
		w.produce(n) // zero too: the purge is recorded whatever it found
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge resources of service %s: %w", service, err)
	}
	return n, nil
}

// deleteResources deletes the resources matching where (on r), their
// shares and all their tuples, and returns how many there were. The set
// must hold the children of its members (a parent is in the same service
// and workspace, so a where that fixes a service or a workspace does).
func (w *writer) deleteResources(ctx context.Context, at time.Time, where string, args ...any) (int, error) {
	rows, err := loadResources(ctx, w.c, where, ``, args...)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	if err := attachShares(ctx, w.c, rows, where, args...); err != nil {
		return 0, err
	}
	var deletes []tuple.Tuple
	for _, r := range rows {
		deletes = append(deletes, r.allTuples()...)
	}
	sub := `(SELECT r.id FROM resource_permissions r WHERE ` + where + `)`
	if _, err := w.c.exec(ctx, `DELETE FROM resource_shares WHERE resource_permission_id IN `+sub, args...); err != nil {
		return 0, fmt.Errorf("delete shares: %w", err)
	}
	n, err := w.c.exec(ctx, `DELETE FROM resource_permissions WHERE id IN `+sub, args...)
	if err != nil {
		return 0, fmt.Errorf("delete resources: %w", err)
	}
	if int(n) != len(rows) {
		return 0, fmt.Errorf("delete resources: deleted %d rows, read %d", n, len(rows))
	}
	return len(rows), w.systemTuples(ctx, nil, deletes, at)
}
