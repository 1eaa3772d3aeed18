package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// The cleanups of deleting a workspace or a group, or removing a member,
// reach system tuples written by other tables' rows (resources, shares,
// roles) without knowing those tables: they read the tuples table of the
// system service. An object belongs to workspace W if it is workspace:W or
// has the tuple <object>#workspace@workspace:W, which every workspace-scoped
// object type of the default model has.

// sysTupleColumns are tupleColumns of the tuples table aliased t.
const sysTupleColumns = "t.object_type, t.object_id, t.relation, t.user_type, t.user_id, t.user_relation"

// objectTuples returns every system tuple whose object is typ:id or whose
// user is typ:id (with or without a relation), in insertion order.
func (w *writer) objectTuples(ctx context.Context, typ, id string) ([]tuple.Tuple, error) {
	ts, err := readSystemTuples(ctx, w.c, `SELECT `+sysTupleColumns+` FROM tuples t WHERE t.service_id = ?
		AND ((t.object_type = ? AND t.object_id = ?) OR (t.user_type = ? AND t.user_id = ?)) ORDER BY t.id`,
		store.SystemServiceID, typ, id, typ, id)
	if err != nil {
		return nil, fmt.Errorf("system tuples of %s:%s: %w", typ, id, err)
	}
	return ts, nil
}

// workspaceObjectTuples returns every system tuple whose object belongs to
// the workspace or whose user is such an object (a userset of it
// included), in insertion order: all that must go with the workspace.
func (w *writer) workspaceObjectTuples(ctx context.Context, workspaceID string) ([]tuple.Tuple, error) {
	ts, err := readSystemTuples(ctx, w.c, `WITH objs(ot, oid) AS (
			SELECT CAST('workspace' AS TEXT), CAST(? AS TEXT)
			UNION
			SELECT object_type, object_id FROM tuples WHERE service_id = ? AND relation = 'workspace'
				AND user_type = 'workspace' AND user_id = ? AND user_relation = ''
		), hits(id) AS (
			SELECT t.id FROM tuples t JOIN objs ON t.object_type = objs.ot AND t.object_id = objs.oid WHERE t.service_id = ?
			UNION
			SELECT t.id FROM tuples t JOIN objs ON t.user_type = objs.ot AND t.user_id = objs.oid WHERE t.service_id = ?
		)
		SELECT `+sysTupleColumns+` FROM tuples t JOIN hits ON hits.id = t.id ORDER BY t.id`,
		workspaceID, store.SystemServiceID, workspaceID, store.SystemServiceID, store.SystemServiceID)
	if err != nil {
		return nil, fmt.Errorf("system tuples of workspace %s: %w", workspaceID, err)
	}
	return ts, nil
}

// userShareTuples returns the system tuples sharing an object of the
// workspace with the user directly (relations shared_viewer and
// shared_editor of the default model), in insertion order.
func (w *writer) userShareTuples(ctx context.Context, workspaceID, userID string) ([]tuple.Tuple, error) {
	ts, err := readSystemTuples(ctx, w.c, `SELECT `+sysTupleColumns+` FROM tuples t WHERE t.service_id = ?
		AND t.user_type = 'user' AND t.user_id = ? AND t.user_relation = ''
		AND t.relation IN ('shared_viewer', 'shared_editor')
		AND EXISTS (SELECT 1 FROM tuples o WHERE o.service_id = t.service_id
			AND o.object_type = t.object_type AND o.object_id = t.object_id AND o.relation = 'workspace'
			AND o.user_type = 'workspace' AND o.user_id = ? AND o.user_relation = '')
		ORDER BY t.id`, store.SystemServiceID, userID, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("shares to user %s in workspace %s: %w", userID, workspaceID, err)
	}
	return ts, nil
}

// memberRemoved is called by RemoveMember inside its transaction. It
// deletes the user's shares on the workspace's resources (rows and tuples,
// removeUserShares) and returns the other system tuples to delete with the
// membership beyond its own: their assignments to the workspace's custom
// roles (whose rows rbacMemberRemoved deletes, so a return does not
// restore them), and any direct share tuple on an object of the workspace
// that no resource row stands for.
func (w *writer) memberRemoved(ctx context.Context, workspaceID, userID string, at time.Time) ([]tuple.Tuple, error) {
	if _, err := w.removeUserShares(ctx, workspaceID, userID, at); err != nil {
		return nil, err
	}
	shares, err := w.userShareTuples(ctx, workspaceID, userID)
	if err != nil {
		return nil, err
	}
	roles, err := w.rbacMemberRemoved(ctx, workspaceID, userID)
	if err != nil {
		return nil, err
	}
	return append(shares, roles...), nil
}

// groupDeleted is called by DeleteGroup inside its transaction, before the
// group's rows go: it deletes the shares to the group (resource_shares
// names groups without a foreign key). The group's other tuples are found
// by objectTuples; rows of roles assigned to it go by foreign key.
func (w *writer) groupDeleted(ctx context.Context, groupID string, at time.Time) error {
	_, err := w.removeGroupShares(ctx, groupID, at)
	return err
}

// workspaceDeleted is called by DeleteWorkspace inside its transaction,
// before the workspace's rows go: it deletes the workspace's resources and
// their shares (resource_permissions names workspaces without a foreign
// key), rows and tuples. Other tuples are found by workspaceObjectTuples;
// roles go by foreign key.
func (w *writer) workspaceDeleted(ctx context.Context, workspaceID string, at time.Time) error {
	_, err := w.deleteResources(ctx, at, `r.workspace_id = ?`, workspaceID)
	return err
}

// readSystemTuples runs a query returning sysTupleColumns.
func readSystemTuples(ctx context.Context, c conn, query string, args ...any) ([]tuple.Tuple, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []tuple.Tuple
	err = scanAll(rows, func(r Rows) error {
		t, err := scanTuple(r)
		out = append(out, t)
		return err
	})
	return out, err
}
