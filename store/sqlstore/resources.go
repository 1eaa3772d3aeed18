package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

// Registered resources and their shares (store.ResourceStore). Each
// mutation runs in one write transaction that writes the rows and, through
// systemTuples, the system tuples they stand for with their changelog rows.

var _ store.ResourceStore = (*Store)(nil)

// RegisterResource stores a resource with its system tuples (see
// store.ResourceStore). Registering a stored key again returns it unchanged
// when the workspace and owner are the same, and fails with
// store.ErrAlreadyExists otherwise: the original returned the stored row
// whatever was asked, which would hand a caller naming workspace B the
// resource (owner, shares) of workspace A.
func (s *Store) RegisterResource(ctx context.Context, reg store.ResourceRegistration) (store.Resource, bool, error) {
	reg, err := checkRegistration(reg)
	if err != nil {
		return store.Resource{}, false, fmt.Errorf("register resource: %w", err)
	}
	var (
		row     resourceRow
		created bool
	)
	at := now()
	err = s.writeTx(ctx, func(w *writer) error {
		existing, err := loadResource(ctx, w.c, `r.service_name = ? AND r.resource_type = ? AND r.resource_id = ?`,
			reg.Key.Service, reg.Key.Type, reg.Key.ID)
		switch {
		case err == nil:
			if existing.WorkspaceID != reg.WorkspaceID || existing.OwnerID != reg.OwnerID {
				return fmt.Errorf("%w: registered in another workspace or to another owner", store.ErrAlreadyExists)
			}
			row = existing
			return nil
		case !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("look up resource: %w", err)
		}
		if _, err := userByID(ctx, w.c, reg.OwnerID); err != nil {
			return fmt.Errorf("owner: %w", err)
		}
		row = resourceRow{Resource: store.Resource{
			ID: uuid.NewString(), Key: reg.Key, WorkspaceID: reg.WorkspaceID, OwnerID: reg.OwnerID,
			Visibility: reg.Visibility, ParentID: reg.ParentID, CreatedAt: at,
		}}
		var parentID any // NULL without a parent
		if reg.ParentID != "" {
			parent, err := loadResource(ctx, w.c, `r.id = ?`, reg.ParentID)
			if err == nil && (parent.Key.Service != reg.Key.Service || parent.WorkspaceID != reg.WorkspaceID) {
				err = store.ErrNotFound // do not tell what is elsewhere
			}
			if err != nil {
				return fmt.Errorf("parent %s in service %s, workspace %s: %w", reg.ParentID, reg.Key.Service, reg.WorkspaceID, err)
			}
			row.parent, parentID = parent.Key, reg.ParentID
		}
		if _, err := w.c.exec(ctx, `INSERT INTO resource_permissions (id, service_name, resource_type, resource_id,
			workspace_id, owner_id, visibility, parent_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			row.ID, row.Key.Service, row.Key.Type, row.Key.ID, row.WorkspaceID, row.OwnerID,
			string(row.Visibility), parentID, row.CreatedAt); err != nil {
			return fmt.Errorf("insert resource: %w", err)
		}
		created = true
		w.produce(row.Resource) // only when created: a repeat records nothing
		return w.systemTuples(ctx, row.baseTuples(), nil, at)
	})
	if err != nil {
		return store.Resource{}, false, fmt.Errorf("register resource %s: %w", keyString(reg.Key), err)
	}
	return row.Resource, created, nil
}

// checkRegistration validates reg and returns it in canonical form.
func checkRegistration(reg store.ResourceRegistration) (store.ResourceRegistration, error) {
	var err error
	if reg.Key, err = checkKey(reg.Key); err != nil {
		return reg, err
	}
	if reg.WorkspaceID, err = canonicalUUID("workspace id", reg.WorkspaceID); err != nil {
		return reg, err
	}
	if reg.OwnerID, err = canonicalUUID("owner id", reg.OwnerID); err != nil {
		return reg, err
	}
	if reg.Visibility, err = checkVisibility(reg.Visibility); err != nil {
		return reg, err
	}
	if reg.ParentID != "" {
		if reg.ParentID, err = canonicalUUID("parent id", reg.ParentID); err != nil {
			return reg, err
		}
	}
	return reg, nil
}

// keyString renders k as service/type/id for error messages.
func keyString(k store.ResourceKey) string { return k.Service + "/" + k.Type + "/" + k.ID }

// ResourceByKey returns the resource registered under k, with its shares,
// or store.ErrNotFound. A malformed key is store.ErrInvalidResource.
func (s *Store) ResourceByKey(ctx context.Context, k store.ResourceKey) (store.Resource, error) {
	ck, err := checkKey(k)
	if err != nil {
		return store.Resource{}, fmt.Errorf("resource %s: %w", keyString(k), err)
	}
	var row resourceRow
	err = s.readTx(ctx, func(c conn) error {
		row, err = loadResource(ctx, c, `r.service_name = ? AND r.resource_type = ? AND r.resource_id = ?`,
			ck.Service, ck.Type, ck.ID)
		return err
	})
	if err != nil {
		return store.Resource{}, fmt.Errorf("resource %s: %w", keyString(k), err)
	}
	return row.Resource, nil
}

// ResourceByID returns the resource with that registration id, with its
// shares, or store.ErrNotFound.
func (s *Store) ResourceByID(ctx context.Context, id string) (store.Resource, error) {
	var row resourceRow
	err := s.readTx(ctx, func(c conn) error {
		var err error
		row, err = loadResource(ctx, c, `r.id = ?`, strings.ToLower(id))
		return err
	})
	if err != nil {
		return store.Resource{}, fmt.Errorf("resource %s: %w", id, err)
	}
	return row.Resource, nil
}

// ListResourceIDs returns the ids of the service's resources of that type
// in the workspace, ascending, at most limit (limit <= 0: all). It reads one
// index range, for the "accessible" answer of those who may see
// everything.
func (s *Store) ListResourceIDs(ctx context.Context, service, resourceType, workspaceID string, limit int) ([]string, error) {
	what := fmt.Sprintf("list %s/%s ids of workspace %s", service, resourceType, workspaceID)
	if err := checkName("service name", service); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := checkName("resource type", resourceType); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	wid, err := canonicalUUID("workspace id", workspaceID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	q := `SELECT resource_id FROM resource_permissions
		WHERE service_name = ? AND resource_type = ? AND workspace_id = ? ORDER BY resource_id`
	args := []any{service, resourceType, wid}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.c.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out := []string{}
	err = scanAll(rows, func(r Rows) error {
		var id string
		err := r.Scan(&id)
		out = append(out, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// Page sizes of ListResources.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
	maxPage         = 1 << 40 // keeps the offset far from overflowing
)

// ListResources returns page (from 1) of the resources matching f, newest
// first, with their shares, and the number that match, read in one
// snapshot. pageSize <= 0 means 50 and is capped at 1000.
func (s *Store) ListResources(ctx context.Context, f store.ResourceFilter, page, pageSize int) ([]store.Resource, int, error) {
	page = min(max(page, 1), maxPage)
	if pageSize <= 0 {
		pageSize = defaultPageSize
	}
	pageSize = min(pageSize, maxPageSize)
	where := []string{"1 = 1"}
	var args []any
	for _, c := range []struct{ col, v string }{
		{"r.service_name", f.Service}, {"r.resource_type", f.Type},
		{"r.workspace_id", strings.ToLower(f.WorkspaceID)}, {"r.owner_id", strings.ToLower(f.OwnerID)},
	} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	cond := strings.Join(where, " AND ")
	var (
		rows  []resourceRow
		total int
	)
	err := s.readTx(ctx, func(c conn) error {
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM resource_permissions r WHERE `+cond, args...).Scan(&total); err != nil {
			return fmt.Errorf("count resources: %w", err)
		}
		var err error
		rows, err = loadResources(ctx, c, cond, `ORDER BY r.created_at DESC, r.id DESC LIMIT ? OFFSET ?`,
			append(args, pageSize, (page-1)*pageSize)...)
		if err != nil || len(rows) == 0 {
			return err
		}
		in, ids := idList(rows)
		return attachShares(ctx, c, rows, `s.resource_permission_id IN (`+in+`)`, ids...)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list resources: %w", err)
	}
	out := make([]store.Resource, len(rows))
	for i, r := range rows {
		out[i] = r.Resource
	}
	return out, total, nil
}
