package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// Role assignments: user_roles and group_roles, and their tuples
//
//	role:<rid>#assignee@user:<uid>
//	role:<rid>#assignee@group:<gid>#member

// assigneeTuple says that a user, or every member of a group, holds a role.
func assigneeTuple(roleID string, a store.Assignee) tuple.Tuple {
	u := tuple.User{Type: "user", ID: a.ID}
	if a.Type == store.AssigneeGroup {
		u = tuple.User{Type: "group", ID: a.ID, Relation: "member"}
	}
	return tuple.Tuple{Object: tuple.Object{Type: "role", ID: roleID}, Relation: "assignee", User: u}
}

// assignmentTable returns the table and id column of an assignee type.
func assignmentTable(t store.AssigneeType) (table, column string, err error) {
	switch t {
	case store.AssigneeUser:
		return "user_roles", "user_id", nil
	case store.AssigneeGroup:
		return "group_roles", "group_id", nil
	}
	return "", "", invalidRBAC("assignee type %q is neither %q nor %q", t, store.AssigneeUser, store.AssigneeGroup)
}

// AssignRole gives the role to a user who is a member of the role's
// workspace, or to a group of that workspace, with the assignee tuple.
// Errors: store.ErrNotFound (role, user or group), store.ErrAssigneeNotInWorkspace,
// store.ErrAlreadyExists (assigned already), store.ErrInvalidRBAC (type).
func (s *Store) AssignRole(ctx context.Context, roleID string, to store.Assignee, assignedBy string) error {
	table, column, err := assignmentTable(to.Type)
	if err != nil {
		return fmt.Errorf("assign role %s: %w", roleID, err)
	}
	at := now()
	err = s.writeTx(ctx, func(w *writer) error {
		r, err := roleByID(ctx, w.c, roleID)
		if err != nil {
			return err
		}
		if err := w.requireInWorkspace(ctx, r.WorkspaceID, to); err != nil {
			return err
		}
		n, err := w.c.exec(ctx, `INSERT INTO `+table+` (`+column+`, role_id, assigned_by, assigned_at)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, to.ID, roleID, assignedBy, at)
		if err != nil {
			return fmt.Errorf("insert assignment: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("%s %s holds the role: %w", to.Type, to.ID, store.ErrAlreadyExists)
		}
		return w.systemTuples(ctx, []tuple.Tuple{assigneeTuple(roleID, to)}, nil, at)
	})
	if err != nil {
		return fmt.Errorf("assign role %s to %s %s: %w", roleID, to.Type, to.ID, err)
	}
	return nil
}

// requireInWorkspace checks that a user is a member of the workspace, or
// that a group belongs to it.
func (w *writer) requireInWorkspace(ctx context.Context, workspaceID string, a store.Assignee) error {
	switch a.Type {
	case store.AssigneeUser:
		if err := requireUser(ctx, w.c, a.ID); err != nil {
			return err
		}
		_, err := membership(ctx, w.c, workspaceID, a.ID)
		if errors.Is(err, store.ErrNotMember) {
			return fmt.Errorf("user %s: %w", a.ID, store.ErrAssigneeNotInWorkspace)
		}
		return err
	default:
		g, err := groupByID(ctx, w.c, a.ID)
		if err != nil {
			return err
		}
		if g.WorkspaceID != workspaceID {
			return fmt.Errorf("group %s: %w", a.ID, store.ErrAssigneeNotInWorkspace)
		}
		return nil
	}
}

// UnassignRole takes the role back from a user or group, with the assignee
// tuple; an assignment that does not exist is store.ErrNotFound.
func (s *Store) UnassignRole(ctx context.Context, roleID string, from store.Assignee) error {
	table, column, err := assignmentTable(from.Type)
	if err != nil {
		return fmt.Errorf("unassign role %s: %w", roleID, err)
	}
	at := now()
	err = s.writeTx(ctx, func(w *writer) error {
		n, err := w.c.exec(ctx, `DELETE FROM `+table+` WHERE `+column+` = ? AND role_id = ?`, from.ID, roleID)
		if err != nil {
			return fmt.Errorf("delete assignment: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("%s %s does not hold the role: %w", from.Type, from.ID, store.ErrNotFound)
		}
		return w.systemTuples(ctx, nil, []tuple.Tuple{assigneeTuple(roleID, from)}, at)
	})
	if err != nil {
		return fmt.Errorf("unassign role %s from %s %s: %w", roleID, from.Type, from.ID, err)
	}
	return nil
}

// assignmentSelect reads every assignment, users and groups alike.
const assignmentSelect = `SELECT role_id, 'user', user_id, assigned_by, assigned_at FROM user_roles WHERE %[1]s
	UNION ALL SELECT role_id, 'group', group_id, assigned_by, assigned_at FROM group_roles WHERE %[1]s`

// RoleAssignments lists the role's users and groups, oldest first (none
// for an unknown role).
func (s *Store) RoleAssignments(ctx context.Context, roleID string) ([]store.RoleAssignment, error) {
	out, err := queryAssignments(ctx, s.c, fmt.Sprintf(assignmentSelect, `role_id = ?`)+` ORDER BY 5, 2, 3`, roleID, roleID)
	if err != nil {
		return nil, fmt.Errorf("assignments of role %s: %w", roleID, err)
	}
	return out, nil
}

// assignmentTuples returns the assignee tuples of the assignments matching
// where (a condition on user_roles and group_roles, a constant of this
// package, with one argument).
func (w *writer) assignmentTuples(ctx context.Context, where, arg string) ([]tuple.Tuple, error) {
	as, err := queryAssignments(ctx, w.c, fmt.Sprintf(assignmentSelect, where)+` ORDER BY 1, 2, 3`, arg, arg)
	if err != nil {
		return nil, fmt.Errorf("read assignments: %w", err)
	}
	out := make([]tuple.Tuple, 0, len(as))
	for _, a := range as {
		out = append(out, assigneeTuple(a.RoleID, a.Assignee))
	}
	return out, nil
}

func queryAssignments(ctx context.Context, c conn, query string, args ...any) ([]store.RoleAssignment, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []store.RoleAssignment
	err = scanAll(rows, func(r Rows) error {
		var (
			a   store.RoleAssignment
			typ string
		)
		if err := r.Scan(&a.RoleID, &typ, &a.Assignee.ID, &a.AssignedBy, &a.AssignedAt); err != nil {
			return err
		}
		a.Assignee.Type, a.AssignedAt = store.AssigneeType(typ), a.AssignedAt.UTC()
		out = append(out, a)
		return nil
	})
	return out, err
}

// RolesOfUser lists, by name, the workspace's roles a member holds:
// assigned to them, or to a group they are in directly or through nested
// groups. A non-member holds none, whatever rows remain (the RBAC policy
// decides the same way).
func (s *Store) RolesOfUser(ctx context.Context, workspaceID, userID string) ([]store.RBACRole, error) {
	out, err := queryRoles(ctx, s.c, `WITH RECURSIVE above(id) AS (
			SELECT group_id FROM group_members WHERE member_type = 'user' AND member_id = ?
			UNION
			SELECT gm.group_id FROM group_members gm JOIN above ON gm.member_id = above.id
			WHERE gm.member_type = 'group'
		)
		SELECT `+roleColumns+` FROM roles
		WHERE workspace_id = ?
		AND EXISTS (SELECT 1 FROM workspace_memberships WHERE workspace_id = ? AND user_id = ?)
		AND (id IN (SELECT role_id FROM user_roles WHERE user_id = ?)
			OR id IN (SELECT role_id FROM group_roles WHERE group_id IN (SELECT id FROM above)))
		ORDER BY name, id`, userID, workspaceID, workspaceID, userID, userID)
	if err != nil {
		return nil, fmt.Errorf("roles of user %s in workspace %s: %w", userID, workspaceID, err)
	}
	return out, nil
}

// rbacMemberRemoved is for RemoveMember, inside its transaction: it deletes
// the user's assignments to the workspace's roles, so that a later return
// to the workspace does not restore them, and returns their tuples for the
// caller to delete. (Deleting a workspace or a group needs no hook: the
// foreign keys take the rows, and the workspace store finds their tuples
// generically.)
func (w *writer) rbacMemberRemoved(ctx context.Context, workspaceID, userID string) ([]tuple.Tuple, error) {
	roleIDs, err := queryStrings(ctx, w.c, `SELECT role_id FROM user_roles
		WHERE user_id = ? AND role_id IN (SELECT id FROM roles WHERE workspace_id = ?) ORDER BY role_id`, userID, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("roles of the member: %w", err)
	}
	if len(roleIDs) == 0 {
		return nil, nil
	}
	deletes := make([]tuple.Tuple, 0, len(roleIDs))
	for _, rid := range roleIDs {
		deletes = append(deletes, assigneeTuple(rid, store.Assignee{Type: store.AssigneeUser, ID: userID}))
	}
	if _, err := w.c.exec(ctx, `DELETE FROM user_roles
		WHERE user_id = ? AND role_id IN (SELECT id FROM roles WHERE workspace_id = ?)`, userID, workspaceID); err != nil {
		return nil, fmt.Errorf("delete the member's roles: %w", err)
	}
	return deletes, nil
}
