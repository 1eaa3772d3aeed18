package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

const groupColumns = "id, workspace_id, name, description, created_by, created_at"

// CreateGroup stores a group of the workspace and its system tuple
// group:<gid>#workspace@workspace:<wid>. A name taken in the workspace is
// store.ErrAlreadyExists.
func (s *Store) CreateGroup(ctx context.Context, workspaceID, name, description, createdBy string) (store.Group, error) {
	g := store.Group{ID: uuid.NewString(), WorkspaceID: workspaceID, Name: strings.TrimSpace(name),
		Description: description, CreatedBy: createdBy, CreatedAt: now()}
	if g.Name == "" {
		return store.Group{}, fmt.Errorf("create group in workspace %s: %w: name is required", workspaceID, store.ErrInvalidWorkspaceInput)
	}
	err := s.writeTx(ctx, func(w *writer) error {
		if _, err := workspaceByID(ctx, w.c, workspaceID); err != nil {
			return err
		}
		if err := w.requireFreeGroupName(ctx, workspaceID, g.Name, ""); err != nil {
			return err
		}
		if _, err := w.c.exec(ctx, `INSERT INTO workspace_groups (`+groupColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
			g.ID, g.WorkspaceID, g.Name, g.Description, g.CreatedBy, g.CreatedAt); err != nil {
			return fmt.Errorf("insert group: %w", err)
		}
		w.produce(g)
		return w.systemTuples(ctx, []tuple.Tuple{groupWorkspaceTuple(g.ID, workspaceID)}, nil, g.CreatedAt)
	})
	if err != nil {
		return store.Group{}, fmt.Errorf("create group %q in workspace %s: %w", name, workspaceID, err)
	}
	return g, nil
}

// requireFreeGroupName fails with store.ErrAlreadyExists if a group of the
// workspace other than except has the name.
func (w *writer) requireFreeGroupName(ctx context.Context, workspaceID, name, except string) error {
	var one int
	err := w.c.queryRow(ctx, `SELECT 1 FROM workspace_groups WHERE workspace_id = ? AND name = ? AND id <> ?`,
		workspaceID, name, except).Scan(&one)
	if err == nil {
		return fmt.Errorf("group name %q: %w", name, store.ErrAlreadyExists)
	}
	if !errors.Is(notFound(err), store.ErrNotFound) {
		return fmt.Errorf("look up group name: %w", err)
	}
	return nil
}

// Group returns the group with that id, or store.ErrNotFound.
func (s *Store) Group(ctx context.Context, id string) (store.Group, error) {
	return groupByID(ctx, s.c, id)
}

func groupByID(ctx context.Context, c conn, id string) (store.Group, error) {
	g, err := scanGroup(c.queryRow(ctx, `SELECT `+groupColumns+` FROM workspace_groups WHERE id = ?`, id))
	if err != nil {
		return store.Group{}, fmt.Errorf("group %s: %w", id, err)
	}
	return g, nil
}

// GroupsOf lists the workspace's groups by name.
func (s *Store) GroupsOf(ctx context.Context, workspaceID string) ([]store.Group, error) {
	rows, err := s.c.query(ctx, `SELECT `+groupColumns+` FROM workspace_groups WHERE workspace_id = ? ORDER BY name, id`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("groups of workspace %s: %w", workspaceID, err)
	}
	var out []store.Group
	err = scanAll(rows, func(r Rows) error {
		g, err := scanGroup(r)
		out = append(out, g)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("groups of workspace %s: %w", workspaceID, err)
	}
	return out, nil
}

// UpdateGroup renames the group and/or changes its description.
func (s *Store) UpdateGroup(ctx context.Context, id string, u store.GroupUpdate) (store.Group, error) {
	var g store.Group
	err := s.writeTx(ctx, func(w *writer) error {
		var err error
		if g, err = groupByID(ctx, w.c, id); err != nil {
			return err
		}
		if u.Name != nil {
			if g.Name = strings.TrimSpace(*u.Name); g.Name == "" {
				return fmt.Errorf("%w: name is required", store.ErrInvalidWorkspaceInput)
			}
			if err := w.requireFreeGroupName(ctx, g.WorkspaceID, g.Name, id); err != nil {
				return err
			}
		}
		if u.Description != nil {
			g.Description = *u.Description
		}
		w.produce(g)
		_, err = w.c.exec(ctx, `UPDATE workspace_groups SET name = ?, description = ? WHERE id = ?`, g.Name, g.Description, id)
		return err
	})
	if err != nil {
		return store.Group{}, fmt.Errorf("update group %s: %w", id, err)
	}
	return g, nil
}

// DeleteGroup deletes the group, its member rows, the rows making it a
// member of other groups, and every system tuple whose object or user is
// the group (its members, its place in other groups, shares to it, roles
// assigned to it), found in the tuples table (objectTuples).
func (s *Store) DeleteGroup(ctx context.Context, id string) error {
	at := now()
	err := s.writeTx(ctx, func(w *writer) error {
		if _, err := groupByID(ctx, w.c, id); err != nil {
			return err
		}
		deletes, err := w.objectTuples(ctx, "group", id)
		if err != nil {
			return err
		}
		if err := w.groupDeleted(ctx, id, at); err != nil {
			return err
		}
		if _, err := w.c.exec(ctx, `DELETE FROM group_members WHERE member_type = ? AND member_id = ?`,
			string(store.GroupMemberGroup), id); err != nil {
			return fmt.Errorf("leave parent groups: %w", err)
		}
		if _, err := w.c.exec(ctx, `DELETE FROM workspace_groups WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete group row: %w", err)
		}
		return w.systemTuples(ctx, nil, deletes, at)
	})
	if err != nil {
		return fmt.Errorf("delete group %s: %w", id, err)
	}
	return nil
}

// ListGroupMembers lists the group's direct members, oldest first: users
// with their email and name, nested groups with their name. An unknown
// group is store.ErrNotFound.
func (s *Store) ListGroupMembers(ctx context.Context, groupID string) ([]store.GroupMember, error) {
	var out []store.GroupMember
	err := s.readTx(ctx, func(c conn) error {
		if _, err := groupByID(ctx, c, groupID); err != nil {
			return err
		}
		rows, err := c.query(ctx, `SELECT gm.member_type, gm.member_id, COALESCE(u.email, ''), COALESCE(u.name, g.name, ''), gm.added_at
			FROM group_members gm
			LEFT JOIN users u ON gm.member_type = 'user' AND u.id = gm.member_id
			LEFT JOIN workspace_groups g ON gm.member_type = 'group' AND g.id = gm.member_id
			WHERE gm.group_id = ? ORDER BY gm.added_at, gm.member_type DESC, gm.member_id`, groupID)
		if err != nil {
			return err
		}
		return scanAll(rows, func(r Rows) error {
			var (
				m   store.GroupMember
				typ string
			)
			if err := r.Scan(&typ, &m.ID, &m.Email, &m.Name, &m.AddedAt); err != nil {
				return err
			}
			m.Type, m.AddedAt = store.GroupMemberType(typ), m.AddedAt.UTC()
			out = append(out, m)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("members of group %s: %w", groupID, err)
	}
	return out, nil
}

// AddGroupMember adds a user or a nested group to the group, with its
// system tuple. A user must be a member of the group's workspace
// (store.ErrNotMember); a group must be of the same workspace
// (store.ErrNotFound otherwise) and must not contain this group, directly
// or transitively (store.ErrGroupCycle; the group itself included).
func (s *Store) AddGroupMember(ctx context.Context, groupID string, memberType store.GroupMemberType, memberID string) (store.GroupMember, error) {
	m := store.GroupMember{Type: memberType, ID: memberID, AddedAt: now()}
	err := s.writeTx(ctx, func(w *writer) error {
		g, err := groupByID(ctx, w.c, groupID)
		if err != nil {
			return err
		}
		switch memberType {
		case store.GroupMemberUser:
			if _, err := membership(ctx, w.c, g.WorkspaceID, memberID); err != nil {
				return err
			}
			u, err := userByID(ctx, w.c, memberID)
			if err != nil {
				return err
			}
			m.Email, m.Name = u.Email, u.Name
		case store.GroupMemberGroup:
			h, err := groupByID(ctx, w.c, memberID)
			if err != nil {
				return err
			}
			if h.WorkspaceID != g.WorkspaceID {
				return fmt.Errorf("group %s is in another workspace: %w", memberID, store.ErrNotFound)
			}
			if err := w.refuseCycle(ctx, groupID, memberID); err != nil {
				return err
			}
			m.Name = h.Name
		default:
			return fmt.Errorf("%w: member type %q", store.ErrInvalidWorkspaceInput, memberType)
		}
		n, err := w.c.exec(ctx, `INSERT INTO group_members (group_id, member_type, member_id, added_at)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, groupID, string(memberType), memberID, m.AddedAt)
		if err != nil {
			return fmt.Errorf("insert group member: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("%s %s is a member already: %w", memberType, memberID, store.ErrAlreadyExists)
		}
		w.produce(m)
		return w.systemTuples(ctx, []tuple.Tuple{groupMemberTuple(groupID, memberType, memberID)}, nil, m.AddedAt)
	})
	if err != nil {
		return store.GroupMember{}, fmt.Errorf("add %s %s to group %s: %w", memberType, memberID, groupID, err)
	}
	return m, nil
}

// refuseCycle fails with store.ErrGroupCycle if making child a member of
// parent would close a cycle: child is parent, or contains it through
// nested groups. UNION (not UNION ALL) ends the walk on existing cycles.
func (w *writer) refuseCycle(ctx context.Context, parent, child string) error {
	var found int
	err := w.c.queryRow(ctx, `WITH RECURSIVE below(id) AS (
			SELECT CAST(? AS TEXT)
			UNION
			SELECT gm.member_id FROM group_members gm JOIN below ON gm.group_id = below.id
			WHERE gm.member_type = 'group'
		) SELECT COUNT(*) FROM below WHERE id = ?`, child, parent).Scan(&found)
	if err != nil {
		return fmt.Errorf("walk nested groups: %w", err)
	}
	if found > 0 {
		return fmt.Errorf("group %s contains group %s: %w", child, parent, store.ErrGroupCycle)
	}
	return nil
}

// RemoveGroupMember removes a direct member of the group and its system
// tuple; store.ErrNotFound if it is not one.
func (s *Store) RemoveGroupMember(ctx context.Context, groupID string, memberType store.GroupMemberType, memberID string) error {
	at := now()
	err := s.writeTx(ctx, func(w *writer) error {
		n, err := w.c.exec(ctx, `DELETE FROM group_members WHERE group_id = ? AND member_type = ? AND member_id = ?`,
			groupID, string(memberType), memberID)
		if err != nil {
			return fmt.Errorf("delete group member: %w", err)
		}
		if n == 0 {
			return store.ErrNotFound
		}
		return w.systemTuples(ctx, nil, []tuple.Tuple{groupMemberTuple(groupID, memberType, memberID)}, at)
	})
	if err != nil {
		return fmt.Errorf("remove %s %s from group %s: %w", memberType, memberID, groupID, err)
	}
	return nil
}

// GroupsOfUser returns the ids of the workspace's groups the user is in,
// directly or through nested groups (nesting never leaves a workspace),
// sorted: the authz token's groups claim.
func (s *Store) GroupsOfUser(ctx context.Context, workspaceID, userID string) ([]string, error) {
	ids, err := queryStrings(ctx, s.c, `WITH RECURSIVE above(id) AS (
			SELECT gm.group_id FROM group_members gm JOIN workspace_groups g ON g.id = gm.group_id
			WHERE g.workspace_id = ? AND gm.member_type = 'user' AND gm.member_id = ?
			UNION
			SELECT gm.group_id FROM group_members gm JOIN above ON gm.member_id = above.id
			WHERE gm.member_type = 'group'
		) SELECT id FROM above ORDER BY id`, workspaceID, userID)
	if err != nil {
		return nil, fmt.Errorf("groups of user %s in workspace %s: %w", userID, workspaceID, err)
	}
	return ids, nil
}

// scanGroup scans one row of groupColumns; no row is store.ErrNotFound.
func scanGroup(r Row) (store.Group, error) {
	var g store.Group
	if err := r.Scan(&g.ID, &g.WorkspaceID, &g.Name, &g.Description, &g.CreatedBy, &g.CreatedAt); err != nil {
		return store.Group{}, notFound(err)
	}
	g.CreatedAt = g.CreatedAt.UTC()
	return g, nil
}

// groupWorkspaceTuple places a group in its workspace.
func groupWorkspaceTuple(groupID, workspaceID string) tuple.Tuple {
	return tuple.Tuple{Object: tuple.Object{Type: "group", ID: groupID}, Relation: "workspace",
		User: tuple.User{Type: "workspace", ID: workspaceID}}
}

// groupMemberTuple is the system tuple of a group member: a user, or every
// member of a nested group.
func groupMemberTuple(groupID string, memberType store.GroupMemberType, memberID string) tuple.Tuple {
	u := tuple.User{Type: "user", ID: memberID}
	if memberType == store.GroupMemberGroup {
		u = tuple.User{Type: "group", ID: memberID, Relation: "member"}
	}
	return tuple.Tuple{Object: tuple.Object{Type: "group", ID: groupID}, Relation: "member", User: u}
}
