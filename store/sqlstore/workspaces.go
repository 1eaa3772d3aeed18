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

// Workspaces, their memberships, invitations and groups are rows mirrored
// by system tuples (see store.WorkspaceStore); this file has the workspace
// rows, workspaces_members.go the members and invitations, groups.go the
// groups, workspaces_tuples.go the tuple shapes and the generic cleanups.

var _ store.WorkspaceStore = (*Store)(nil)

const workspaceColumns = "id, slug, name, description, created_by, created_at"

// CreateWorkspace stores a workspace and makes creatorID its owner, with
// the owner's system tuple, in one write transaction.
func (s *Store) CreateWorkspace(ctx context.Context, slug, name, description, creatorID string) (store.Workspace, error) {
	ws := store.Workspace{ID: uuid.NewString(), Slug: strings.TrimSpace(slug), Name: strings.TrimSpace(name),
		Description: description, CreatedBy: creatorID, CreatedAt: now()}
	if ws.Slug == "" || ws.Name == "" {
		return store.Workspace{}, fmt.Errorf("create workspace %q: %w: slug and name are required", slug, store.ErrInvalidWorkspaceInput)
	}
	err := s.writeTx(ctx, func(w *writer) error {
		if err := requireUser(ctx, w.c, creatorID); err != nil {
			return err
		}
		if err := w.requireFreeSlug(ctx, ws.Slug); err != nil {
			return err
		}
		if _, err := w.c.exec(ctx, `INSERT INTO workspaces (`+workspaceColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
			ws.ID, ws.Slug, ws.Name, ws.Description, ws.CreatedBy, ws.CreatedAt); err != nil {
			return fmt.Errorf("insert workspace: %w", err)
		}
		w.produce(ws)
		return w.insertMembership(ctx, store.Membership{WorkspaceID: ws.ID, UserID: creatorID,
			Role: store.RoleOwner, JoinedAt: ws.CreatedAt})
	})
	if err != nil {
		return store.Workspace{}, fmt.Errorf("create workspace %q: %w", slug, err)
	}
	return ws, nil
}

// requireFreeSlug fails with store.ErrAlreadyExists if a workspace has the
// slug. Under the writers' lock nothing can take it before the insert.
func (w *writer) requireFreeSlug(ctx context.Context, slug string) error {
	var one int
	err := w.c.queryRow(ctx, `SELECT 1 FROM workspaces WHERE slug = ?`, slug).Scan(&one)
	if err == nil {
		return fmt.Errorf("slug %q: %w", slug, store.ErrAlreadyExists)
	}
	if !errors.Is(notFound(err), store.ErrNotFound) {
		return fmt.Errorf("look up slug: %w", err)
	}
	return nil
}

// Workspace returns the workspace with that id, or store.ErrNotFound.
func (s *Store) Workspace(ctx context.Context, id string) (store.Workspace, error) {
	ws, err := workspaceByID(ctx, s.c, id)
	if err != nil {
		return store.Workspace{}, err
	}
	return ws, nil
}

func workspaceByID(ctx context.Context, c conn, id string) (store.Workspace, error) {
	ws, err := scanWorkspace(c.queryRow(ctx, `SELECT `+workspaceColumns+` FROM workspaces WHERE id = ?`, id))
	if err != nil {
		return store.Workspace{}, fmt.Errorf("workspace %s: %w", id, err)
	}
	return ws, nil
}

// WorkspaceBySlug returns the workspace with that slug, or store.ErrNotFound.
func (s *Store) WorkspaceBySlug(ctx context.Context, slug string) (store.Workspace, error) {
	ws, err := scanWorkspace(s.c.queryRow(ctx, `SELECT `+workspaceColumns+` FROM workspaces WHERE slug = ?`, slug))
	if err != nil {
		return store.Workspace{}, fmt.Errorf("workspace with slug %q: %w", slug, err)
	}
	return ws, nil
}

// WorkspacesOf lists the workspaces the user is a member of, with the
// user's role, ordered by name then id.
func (s *Store) WorkspacesOf(ctx context.Context, userID string) ([]store.MemberWorkspace, error) {
	rows, err := s.c.query(ctx, `SELECT w.id, w.slug, w.name, w.description, w.created_by, w.created_at, m.role, m.joined_at
		FROM workspace_memberships m JOIN workspaces w ON w.id = m.workspace_id
		WHERE m.user_id = ? ORDER BY w.name, w.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("workspaces of user %s: %w", userID, err)
	}
	var out []store.MemberWorkspace
	err = scanAll(rows, func(r Rows) error {
		var (
			mw   store.MemberWorkspace
			role string
		)
		if err := r.Scan(&mw.ID, &mw.Slug, &mw.Name, &mw.Description, &mw.CreatedBy, &mw.CreatedAt,
			&role, &mw.JoinedAt); err != nil {
			return err
		}
		mw.Role, mw.CreatedAt, mw.JoinedAt = store.Role(role), mw.CreatedAt.UTC(), mw.JoinedAt.UTC()
		out = append(out, mw)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("workspaces of user %s: %w", userID, err)
	}
	return out, nil
}

// UpdateWorkspace changes the name and/or description (no tuples mirror
// them) and returns the workspace as updated.
func (s *Store) UpdateWorkspace(ctx context.Context, id string, u store.WorkspaceUpdate) (store.Workspace, error) {
	var ws store.Workspace
	err := s.writeTx(ctx, func(w *writer) error {
		var err error
		if ws, err = workspaceByID(ctx, w.c, id); err != nil {
			return err
		}
		if u.Name != nil {
			if ws.Name = strings.TrimSpace(*u.Name); ws.Name == "" {
				return fmt.Errorf("%w: name is required", store.ErrInvalidWorkspaceInput)
			}
		}
		if u.Description != nil {
			ws.Description = *u.Description
		}
		w.produce(ws)
		_, err = w.c.exec(ctx, `UPDATE workspaces SET name = ?, description = ? WHERE id = ?`, ws.Name, ws.Description, id)
		return err
	})
	if err != nil {
		return store.Workspace{}, fmt.Errorf("update workspace %s: %w", id, err)
	}
	return ws, nil
}

// DeleteWorkspace deletes the workspace and, through the tables' foreign
// keys, its memberships, invitations, groups, group members and roles; its
// registered resources and their shares go through workspaceDeleted. Its
// system tuples are found generically in the tuples table
// (workspaceObjectTuples): every tuple of an object that names the
// workspace with a #workspace tuple, or whose user is such an object.
func (s *Store) DeleteWorkspace(ctx context.Context, id string) error {
	at := now()
	err := s.writeTx(ctx, func(w *writer) error {
		if _, err := workspaceByID(ctx, w.c, id); err != nil {
			return err
		}
		deletes, err := w.workspaceObjectTuples(ctx, id)
		if err != nil {
			return err
		}
		if err := w.workspaceDeleted(ctx, id, at); err != nil {
			return err
		}
		if _, err := w.c.exec(ctx, `DELETE FROM workspaces WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete workspace row: %w", err)
		}
		return w.systemTuples(ctx, nil, deletes, at)
	})
	if err != nil {
		return fmt.Errorf("delete workspace %s: %w", id, err)
	}
	return nil
}

// scanWorkspace scans one row of workspaceColumns; no row is
// store.ErrNotFound.
func scanWorkspace(r Row) (store.Workspace, error) {
	var ws store.Workspace
	if err := r.Scan(&ws.ID, &ws.Slug, &ws.Name, &ws.Description, &ws.CreatedBy, &ws.CreatedAt); err != nil {
		return store.Workspace{}, notFound(err)
	}
	ws.CreatedAt = ws.CreatedAt.UTC()
	return ws, nil
}

// requireUser fails with store.ErrNotFound unless the user exists.
func requireUser(ctx context.Context, c conn, id string) error {
	var one int
	if err := c.queryRow(ctx, `SELECT 1 FROM users WHERE id = ?`, id).Scan(&one); err != nil {
		return fmt.Errorf("user %s: %w", id, notFound(err))
	}
	return nil
}

// memberTuple is the system tuple of a membership.
func memberTuple(workspaceID, userID string, role store.Role) tuple.Tuple {
	return tuple.Tuple{Object: tuple.Object{Type: "workspace", ID: workspaceID}, Relation: string(role),
		User: tuple.User{Type: "user", ID: userID}}
}
