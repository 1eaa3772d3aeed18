package sqlstore

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// This file holds what the resource operations share: input validation,
// the system tuples a resource row stands for, and row loading.

// nameRe is the form of service names and resource types (the original's).
var nameRe = regexp.MustCompile(`^[a-z][a-z0-9_.-]*$`)

// maxNameLen bounds service names and resource types so that a resource's
// tuple object ("resource:" + svc/type/uuid) stays within the 256 bytes a
// tuple object may have.
const maxNameLen = 100

// System tuple vocabulary of resources (the default model's types and
// relations).
const (
	resourceObjectType = "resource"
	relWorkspace       = "workspace"
	relOwner           = "owner"
	relParent          = "parent"
	relVisibleTo       = "visible_to"
	relEditableBy      = "editable_by"
	relSharedViewer    = "shared_viewer"
	relSharedEditor    = "shared_editor"
)

// invalidResource wraps store.ErrInvalidResource with a reason.
func invalidResource(format string, args ...any) error {
	return fmt.Errorf("%w: %s", store.ErrInvalidResource, fmt.Sprintf(format, args...))
}

// checkName validates a service name or resource type.
func checkName(what, s string) error {
	if len(s) > maxNameLen || !nameRe.MatchString(s) {
		return invalidResource("%s %q must match %s and have at most %d bytes", what, s, nameRe, maxNameLen)
	}
	return nil
}

// canonicalUUID returns id in its canonical lower-case form, or an
// ErrInvalidResource naming what.
func canonicalUUID(what, id string) (string, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return "", invalidResource("%s %q is not a UUID", what, id)
	}
	return u.String(), nil
}

// checkKey validates k and returns it with a canonical resource id.
func checkKey(k store.ResourceKey) (store.ResourceKey, error) {
	if err := checkName("service name", k.Service); err != nil {
		return k, err
	}
	if err := checkName("resource type", k.Type); err != nil {
		return k, err
	}
	id, err := canonicalUUID("resource id", k.ID)
	if err != nil {
		return k, err
	}
	k.ID = id
	return k, nil
}

// checkVisibility validates v; "" means the default, workspace.
func checkVisibility(v store.Visibility) (store.Visibility, error) {
	switch v {
	case "":
		return store.VisibilityWorkspace, nil
	case store.VisibilityPrivate, store.VisibilityWorkspace:
		return v, nil
	}
	return "", invalidResource("visibility %q must be private or workspace", v)
}

// checkGrantee validates a grantee and returns its canonical id.
func checkGrantee(t store.GranteeType, id string) (string, error) {
	if t != store.GranteeUser && t != store.GranteeGroup {
		return "", invalidResource("grantee type %q must be user or group", t)
	}
	return canonicalUUID("grantee id", id)
}

// resourceRow is a resource as loaded, with its parent's key (what the
// parent tuple names).
type resourceRow struct {
	store.Resource
	parent store.ResourceKey // zero without a parent
}

// object is the resource's tuple object.
func object(k store.ResourceKey) tuple.Object {
	return tuple.Object{Type: resourceObjectType, ID: k.Service + "/" + k.Type + "/" + k.ID}
}

// baseTuples are the tuples of the row itself (not of its shares).
func (r resourceRow) baseTuples() []tuple.Tuple {
	obj := object(r.Key)
	ts := []tuple.Tuple{
		{Object: obj, Relation: relWorkspace, User: tuple.User{Type: "workspace", ID: r.WorkspaceID}},
		{Object: obj, Relation: relOwner, User: tuple.User{Type: "user", ID: r.OwnerID}},
	}
	if r.ParentID != "" {
		ts = append(ts, parentTuple(r.Key, r.parent))
	}
	if r.Visibility == store.VisibilityWorkspace {
		ts = append(ts, visibilityTuples(r.Key, r.WorkspaceID)...)
	}
	return ts
}

// allTuples are the tuples of the row and of every share.
func (r resourceRow) allTuples() []tuple.Tuple {
	ts := r.baseTuples()
	for _, sh := range r.Shares {
		ts = append(ts, shareTuple(r.Key, sh.GranteeType, sh.GranteeID, sh.Permission))
	}
	return ts
}

// parentTuple links child to parent.
func parentTuple(child, parent store.ResourceKey) tuple.Tuple {
	p := object(parent)
	return tuple.Tuple{Object: object(child), Relation: relParent, User: tuple.User{Type: p.Type, ID: p.ID}}
}

// visibilityTuples are present iff the visibility is workspace.
func visibilityTuples(k store.ResourceKey, workspaceID string) []tuple.Tuple {
	obj := object(k)
	return []tuple.Tuple{
		{Object: obj, Relation: relVisibleTo, User: tuple.User{Type: "workspace", ID: workspaceID, Relation: "member"}},
		{Object: obj, Relation: relEditableBy, User: tuple.User{Type: "workspace", ID: workspaceID, Relation: "editor"}},
	}
}

// shareTuple is the tuple of one share.
func shareTuple(k store.ResourceKey, t store.GranteeType, granteeID string, p store.SharePermission) tuple.Tuple {
	rel := relSharedViewer
	if p == store.ShareEdit {
		rel = relSharedEditor
	}
	u := tuple.User{Type: "user", ID: granteeID}
	if t == store.GranteeGroup {
		u = tuple.User{Type: "group", ID: granteeID, Relation: "member"}
	}
	return tuple.Tuple{Object: object(k), Relation: rel, User: u}
}

// resourceSelect reads resourceRow columns (scanResource's order) from
// resource_permissions r, with the parent's key from p.
const resourceSelect = `SELECT r.id, r.service_name, r.resource_type, r.resource_id, r.workspace_id, r.owner_id,
	r.visibility, COALESCE(r.parent_id, ''), r.created_at, COALESCE(p.resource_type, ''), COALESCE(p.resource_id, '')
	FROM resource_permissions r LEFT JOIN resource_permissions p ON p.id = r.parent_id`

// scanResource scans one row of resourceSelect.
func scanResource(r Row) (resourceRow, error) {
	var (
		row resourceRow
		vis string
	)
	err := r.Scan(&row.ID, &row.Key.Service, &row.Key.Type, &row.Key.ID, &row.WorkspaceID, &row.OwnerID,
		&vis, &row.ParentID, &row.CreatedAt, &row.parent.Type, &row.parent.ID)
	if err != nil {
		return resourceRow{}, notFound(err)
	}
	row.Visibility = store.Visibility(vis)
	row.CreatedAt = row.CreatedAt.UTC()
	if row.ParentID != "" {
		row.parent.Service = row.Key.Service // a parent is always of the same service
	}
	return row, nil
}

// loadResource returns the one resource matching where (on r), with its
// shares, or store.ErrNotFound.
func loadResource(ctx context.Context, c conn, where string, args ...any) (resourceRow, error) {
	row, err := scanResource(c.queryRow(ctx, resourceSelect+` WHERE `+where, args...))
	if err != nil {
		return resourceRow{}, err
	}
	rows := []resourceRow{row}
	if err := attachShares(ctx, c, rows, `s.resource_permission_id = ?`, row.ID); err != nil {
		return resourceRow{}, err
	}
	return rows[0], nil
}

// loadResources returns every resource matching where (on r), in the order
// tail says (ORDER BY / LIMIT, may be empty), without shares.
func loadResources(ctx context.Context, c conn, where, tail string, args ...any) ([]resourceRow, error) {
	rows, err := c.query(ctx, resourceSelect+` WHERE `+where+` `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("read resources: %w", err)
	}
	var out []resourceRow
	err = scanAll(rows, func(r Rows) error {
		row, err := scanResource(r)
		out = append(out, row)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read resources: %w", err)
	}
	return out, nil
}

// shareSelect reads the shares s of resources r (scanShare's columns plus
// the resource's registration id first).
const shareSelect = `SELECT s.resource_permission_id, s.id, s.grantee_type, s.grantee_id, s.permission, s.granted_by, s.granted_at
	FROM resource_shares s JOIN resource_permissions r ON r.id = s.resource_permission_id`

// attachShares loads the shares matching where (on s and r) and appends
// each to its resource in rows (shares of resources not in rows are
// ignored), oldest first.
func attachShares(ctx context.Context, c conn, rows []resourceRow, where string, args ...any) error {
	if len(rows) == 0 {
		return nil
	}
	index := make(map[string]int, len(rows))
	for i, r := range rows {
		index[r.ID] = i
	}
	res, err := c.query(ctx, shareSelect+` WHERE `+where+` ORDER BY s.granted_at, s.id`, args...)
	if err != nil {
		return fmt.Errorf("read shares: %w", err)
	}
	err = scanAll(res, func(r Rows) error {
		var (
			rid        string
			sh         store.ResourceShare
			gtype, per string
		)
		if err := r.Scan(&rid, &sh.ID, &gtype, &sh.GranteeID, &per, &sh.GrantedBy, &sh.GrantedAt); err != nil {
			return err
		}
		sh.GranteeType, sh.Permission, sh.GrantedAt = store.GranteeType(gtype), store.SharePermission(per), sh.GrantedAt.UTC()
		if i, ok := index[rid]; ok {
			rows[i].Shares = append(rows[i].Shares, sh)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read shares: %w", err)
	}
	return nil
}

// idList returns "?,?,…" for n ids and the ids as arguments.
func idList(rows []resourceRow) (string, []any) {
	args := make([]any, len(rows))
	for i, r := range rows {
		args[i] = r.ID
	}
	return strings.TrimSuffix(strings.Repeat("?,", len(rows)), ","), args
}
