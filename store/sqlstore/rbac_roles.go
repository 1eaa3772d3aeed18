package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// Custom roles of a workspace and their actions. Tuples (store/rbac.go):
//
//	role:<rid>#workspace@workspace:<wid>
//	action:<wid>/<said>#granted@role:<rid>#assignee

const roleColumns = "id, workspace_id, name, description, created_by, created_at"

// roleWorkspaceTuple places a role in its workspace.
func roleWorkspaceTuple(roleID, workspaceID string) tuple.Tuple {
	return tuple.Tuple{Object: tuple.Object{Type: "role", ID: roleID}, Relation: "workspace",
		User: tuple.User{Type: "workspace", ID: workspaceID}}
}

// grantTuple says that the holders of a role may do a service action in
// the role's workspace.
func grantTuple(workspaceID, serviceActionID, roleID string) tuple.Tuple {
	return tuple.Tuple{Object: tuple.Object{Type: "action", ID: workspaceID + "/" + serviceActionID}, Relation: "granted",
		User: tuple.User{Type: "role", ID: roleID, Relation: "assignee"}}
}

// checkRoleName validates a role name: not blank, at most rbacMaxName
// bytes of UTF-8, no control characters.
func checkRoleName(name string) error {
	if strings.TrimSpace(name) == "" || len(name) > rbacMaxName || !utf8.ValidString(name) ||
		strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return invalidRBAC("role name %q must be 1 to %d bytes, not blank, without control characters", name, rbacMaxName)
	}
	return nil
}

// CreateRole creates a role in the workspace and its workspace tuple. An
// unknown workspace is store.ErrNotFound, a name taken there
// store.ErrAlreadyExists.
func (s *Store) CreateRole(ctx context.Context, workspaceID, name, description, createdBy string) (store.RBACRole, error) {
	if err := checkRoleName(name); err != nil {
		return store.RBACRole{}, fmt.Errorf("create role: %w", err)
	}
	r := store.RBACRole{ID: uuid.NewString(), WorkspaceID: workspaceID, Name: name, Description: description,
		CreatedBy: createdBy, CreatedAt: now()}
	err := s.writeTx(ctx, func(w *writer) error {
		if _, err := workspaceByID(ctx, w.c, workspaceID); err != nil {
			return err
		}
		n, err := w.c.exec(ctx, `INSERT INTO roles (`+roleColumns+`) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			r.ID, r.WorkspaceID, r.Name, r.Description, r.CreatedBy, r.CreatedAt)
		if err != nil {
			return fmt.Errorf("insert role: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("role name %q: %w", name, store.ErrAlreadyExists)
		}
		w.produce(r)
		return w.systemTuples(ctx, []tuple.Tuple{roleWorkspaceTuple(r.ID, workspaceID)}, nil, r.CreatedAt)
	})
	if err != nil {
		return store.RBACRole{}, fmt.Errorf("create role %q in workspace %s: %w", name, workspaceID, err)
	}
	return r, nil
}

// Roles lists the workspace's roles ordered by name.
func (s *Store) Roles(ctx context.Context, workspaceID string) ([]store.RBACRole, error) {
	out, err := queryRoles(ctx, s.c, `SELECT `+roleColumns+` FROM roles WHERE workspace_id = ? ORDER BY name, id`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("roles of workspace %s: %w", workspaceID, err)
	}
	return out, nil
}

// Role returns the role with that id, or store.ErrNotFound.
func (s *Store) Role(ctx context.Context, id string) (store.RBACRole, error) {
	return roleByID(ctx, s.c, id)
}

func roleByID(ctx context.Context, c conn, id string) (store.RBACRole, error) {
	r, err := scanRole(c.queryRow(ctx, `SELECT `+roleColumns+` FROM roles WHERE id = ?`, id))
	if err != nil {
		return store.RBACRole{}, fmt.Errorf("role %s: %w", id, err)
	}
	return r, nil
}

// UpdateRole renames or redescribes a role; its tuples do not change. A
// name taken by another role of the workspace is store.ErrAlreadyExists.
func (s *Store) UpdateRole(ctx context.Context, id string, u store.RBACRoleUpdate) (store.RBACRole, error) {
	if u.Name != nil {
		if err := checkRoleName(*u.Name); err != nil {
			return store.RBACRole{}, fmt.Errorf("update role %s: %w", id, err)
		}
	}
	var r store.RBACRole
	err := s.writeTx(ctx, func(w *writer) error {
		var err error
		if r, err = roleByID(ctx, w.c, id); err != nil {
			return err
		}
		prev := r
		if u.Name != nil && *u.Name != r.Name {
			var other string
			err := w.c.queryRow(ctx, `SELECT id FROM roles WHERE workspace_id = ? AND name = ?`, r.WorkspaceID, *u.Name).Scan(&other)
			if err == nil {
				return fmt.Errorf("role name %q: %w", *u.Name, store.ErrAlreadyExists)
			}
			if !errors.Is(notFound(err), store.ErrNotFound) {
				return fmt.Errorf("look up role name: %w", err)
			}
			r.Name = *u.Name
		}
		if u.Description != nil {
			r.Description = *u.Description
		}
		if _, err := w.c.exec(ctx, `UPDATE roles SET name = ?, description = ? WHERE id = ?`, r.Name, r.Description, id); err != nil {
			return fmt.Errorf("update role row: %w", err)
		}
		if r != prev {
			w.produce(store.RBACRoleChange{Role: r, Previous: prev})
		}
		return nil
	})
	if err != nil {
		return store.RBACRole{}, fmt.Errorf("update role %s: %w", id, err)
	}
	return r, nil
}

// DeleteRole removes the role, its actions and assignments, and all their
// tuples. An unknown role is store.ErrNotFound.
func (s *Store) DeleteRole(ctx context.Context, id string) error {
	at := now()
	err := s.writeTx(ctx, func(w *writer) error {
		if _, err := roleByID(ctx, w.c, id); err != nil {
			return err
		}
		return w.purgeRoles(ctx, `id = ?`, id, at)
	})
	if err != nil {
		return fmt.Errorf("delete role %s: %w", id, err)
	}
	return nil
}

// purgeRoles deletes the roles matching where (a condition on roles, a
// constant of this package) with their actions and assignments, rows and
// tuples.
func (w *writer) purgeRoles(ctx context.Context, where, arg string, at time.Time) error {
	roles, err := queryRoles(ctx, w.c, `SELECT `+roleColumns+` FROM roles WHERE `+where+` ORDER BY id`, arg)
	if err != nil {
		return fmt.Errorf("read roles: %w", err)
	}
	if len(roles) == 0 {
		return nil
	}
	var deletes []tuple.Tuple
	for _, r := range roles {
		deletes = append(deletes, roleWorkspaceTuple(r.ID, r.WorkspaceID))
	}
	inRoles := `role_id IN (SELECT id FROM roles WHERE ` + where + `)`
	grants, err := w.grantTuples(ctx, `ra.`+inRoles, arg)
	if err != nil {
		return err
	}
	held, err := w.assignmentTuples(ctx, inRoles, arg)
	if err != nil {
		return err
	}
	deletes = append(append(deletes, grants...), held...)
	for _, table := range []string{"role_actions", "user_roles", "group_roles"} {
		if _, err := w.c.exec(ctx, `DELETE FROM `+table+` WHERE `+inRoles, arg); err != nil {
			return fmt.Errorf("delete %s: %w", table, err)
		}
	}
	if _, err := w.c.exec(ctx, `DELETE FROM roles WHERE `+where, arg); err != nil {
		return fmt.Errorf("delete roles: %w", err)
	}
	return w.systemTuples(ctx, nil, deletes, at)
}

// AddRoleActions adds service actions to the role with their tuples;
// actions it has already are skipped. An unknown role or action is
// store.ErrNotFound and adds nothing.
func (s *Store) AddRoleActions(ctx context.Context, roleID string, serviceActionIDs []string) error {
	at := now()
	err := s.writeTx(ctx, func(w *writer) error {
		r, err := roleByID(ctx, w.c, roleID)
		if err != nil {
			return err
		}
		var writes []tuple.Tuple
		seen := map[string]bool{}
		for _, aid := range serviceActionIDs {
			if seen[aid] {
				continue
			}
			seen[aid] = true
			var one int
			if err := w.c.queryRow(ctx, `SELECT 1 FROM service_actions WHERE id = ?`, aid).Scan(&one); err != nil {
				return fmt.Errorf("service action %s: %w", aid, notFound(err))
			}
			n, err := w.c.exec(ctx, `INSERT INTO role_actions (role_id, service_action_id) VALUES (?, ?) ON CONFLICT DO NOTHING`,
				roleID, aid)
			if err != nil {
				return fmt.Errorf("insert role action: %w", err)
			}
			if n > 0 {
				writes = append(writes, grantTuple(r.WorkspaceID, aid, roleID))
			}
		}
		return w.systemTuples(ctx, writes, nil, at)
	})
	if err != nil {
		return fmt.Errorf("add actions to role %s: %w", roleID, err)
	}
	return nil
}

// RemoveRoleAction removes one action from the role, and its tuple. If the
// role does not have it: store.ErrNotFound.
func (s *Store) RemoveRoleAction(ctx context.Context, roleID, serviceActionID string) error {
	at := now()
	err := s.writeTx(ctx, func(w *writer) error {
		r, err := roleByID(ctx, w.c, roleID)
		if err != nil {
			return err
		}
		n, err := w.c.exec(ctx, `DELETE FROM role_actions WHERE role_id = ? AND service_action_id = ?`, roleID, serviceActionID)
		if err != nil {
			return fmt.Errorf("delete role action: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("action %s of the role: %w", serviceActionID, store.ErrNotFound)
		}
		return w.systemTuples(ctx, nil, []tuple.Tuple{grantTuple(r.WorkspaceID, serviceActionID, roleID)}, at)
	})
	if err != nil {
		return fmt.Errorf("remove action %s from role %s: %w", serviceActionID, roleID, err)
	}
	return nil
}

// RoleActions lists the role's actions ordered by service name and action
// (none for an unknown role).
func (s *Store) RoleActions(ctx context.Context, roleID string) ([]store.ServiceAction, error) {
	out, err := queryServiceActions(ctx, s.c, `SELECT sa.id, sa.service_name, sa.action, sa.description, sa.created_at
		FROM service_actions sa JOIN role_actions ra ON ra.service_action_id = sa.id
		WHERE ra.role_id = ? ORDER BY sa.service_name, sa.action`, roleID)
	if err != nil {
		return nil, fmt.Errorf("actions of role %s: %w", roleID, err)
	}
	return out, nil
}

// queryRoles runs a query selecting roleColumns.
func queryRoles(ctx context.Context, c conn, query string, args ...any) ([]store.RBACRole, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []store.RBACRole
	err = scanAll(rows, func(r Rows) error {
		role, err := scanRole(r)
		out = append(out, role)
		return err
	})
	return out, err
}

// scanRole scans one row of roleColumns; no row is store.ErrNotFound.
func scanRole(r Row) (store.RBACRole, error) {
	var role store.RBACRole
	if err := r.Scan(&role.ID, &role.WorkspaceID, &role.Name, &role.Description, &role.CreatedBy, &role.CreatedAt); err != nil {
		return store.RBACRole{}, notFound(err)
	}
	role.CreatedAt = role.CreatedAt.UTC()
	return role, nil
}
