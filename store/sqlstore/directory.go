package sqlstore

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/sentinel-auth/sentinel/store"
)

var _ store.DirectoryStore = (*Store)(nil)

// checkPage validates a directory page and returns its row offset.
func checkPage(page, pageSize int) (int64, error) {
	if page < 1 || pageSize < 1 || pageSize > store.MaxDirectoryPageSize {
		return 0, fmt.Errorf("%w: page %d must be >= 1 and page size %d within 1..%d",
			store.ErrInvalidPage, page, pageSize, store.MaxDirectoryPageSize)
	}
	if page-1 > math.MaxInt64/pageSize {
		return 0, fmt.Errorf("%w: page %d is too large", store.ErrInvalidPage, page)
	}
	return int64(page-1) * int64(pageSize), nil
}

// searchWhere returns a WHERE clause (with a leading space, or "") that
// keeps rows where one of columns, lower-cased, contains search
// lower-cased, and its arguments. Columns are constants of the callers.
func searchWhere(search string, columns ...string) (string, []any) {
	search = strings.TrimSpace(search)
	if search == "" {
		return "", nil
	}
	pattern := "%" + likeEscaper.Replace(strings.ToLower(search)) + "%"
	conds := make([]string, len(columns))
	args := make([]any, len(columns))
	for i, col := range columns {
		conds[i] = "LOWER(" + col + `) LIKE ? ESCAPE '\'`
		args[i] = pattern
	}
	return " WHERE (" + strings.Join(conds, " OR ") + ")", args
}

// ListUsers returns one page of the users whose name or email contains
// search, newest first, and how many match, read in one snapshot.
func (s *Store) ListUsers(ctx context.Context, search string, page, pageSize int) ([]store.User, int, error) {
	offset, err := checkPage(page, pageSize)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	where, args := searchWhere(search, "name", "email")
	var (
		users []store.User
		total int
	)
	err = s.readTx(ctx, func(c conn) error {
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM users`+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("count: %w", err)
		}
		if offset >= int64(total) {
			return nil
		}
		rows, err := c.query(ctx, `SELECT `+userRowColumns+` FROM users`+where+`
			ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, append(args, pageSize, offset)...)
		if err != nil {
			return err
		}
		return scanAll(rows, func(r Rows) error {
			u, err := scanUser(r)
			users = append(users, u)
			return err
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	return users, total, nil
}

// UpdateUser applies u to the user in one write transaction with one
// OpUser change; with nothing to set it only reads the user.
func (s *Store) UpdateUser(ctx context.Context, id string, u store.UserAdminUpdate) (store.User, error) {
	if u.Name == nil && u.Active == nil && u.Admin == nil {
		return s.UserByID(ctx, id)
	}
	var out store.User
	at := now()
	err := s.writeTx(ctx, func(w *writer) error {
		var err error
		if out, err = userByID(ctx, w.c, id); err != nil {
			return err
		}
		if u.Name != nil {
			out.Name = *u.Name
		}
		if u.Active != nil {
			out.Active = *u.Active
		}
		if u.Admin != nil {
			out.Admin = *u.Admin
		}
		out.UpdatedAt = at
		if _, err := w.c.exec(ctx, `UPDATE users SET name = ?, is_active = ?, is_admin = ?, updated_at = ? WHERE id = ?`,
			out.Name, out.Active, out.Admin, at, id); err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		w.produce(out)
		_, err = w.appendChanges(ctx, []store.Change{{Op: store.OpUser, UserID: id, At: at}})
		return err
	})
	if err != nil {
		return store.User{}, fmt.Errorf("update user %s: %w", id, err)
	}
	return out, nil
}

// SetUsersActive sets is_active on every listed user, all or none, with
// one OpUser change per user.
func (s *Store) SetUsersActive(ctx context.Context, ids []string, active bool) error {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return nil
	}
	at := now()
	err := s.writeTx(ctx, func(w *writer) error {
		changes := make([]store.Change, 0, len(ids))
		for _, id := range ids {
			n, err := w.c.exec(ctx, `UPDATE users SET is_active = ?, updated_at = ? WHERE id = ?`, active, at, id)
			if err != nil {
				return fmt.Errorf("update user %s: %w", id, err)
			}
			if n == 0 {
				return fmt.Errorf("user %s: %w", id, store.ErrNotFound)
			}
			changes = append(changes, store.Change{Op: store.OpUser, UserID: id, At: at})
		}
		_, err := w.appendChanges(ctx, changes)
		return err
	})
	if err != nil {
		return fmt.Errorf("set %d users active=%v: %w", len(ids), active, err)
	}
	return nil
}

// workspaceSummaryColumns are workspaceColumns (of the alias w) and the
// workspace's sizes.
const workspaceSummaryColumns = `w.id, w.slug, w.name, w.description, w.created_by, w.created_at,
	(SELECT COUNT(*) FROM workspace_memberships m WHERE m.workspace_id = w.id),
	(SELECT COUNT(*) FROM workspace_groups g WHERE g.workspace_id = w.id)`

func scanWorkspaceSummary(r Row) (store.WorkspaceSummary, error) {
	var ws store.WorkspaceSummary
	if err := r.Scan(&ws.ID, &ws.Slug, &ws.Name, &ws.Description, &ws.CreatedBy, &ws.CreatedAt,
		&ws.MemberCount, &ws.GroupCount); err != nil {
		return store.WorkspaceSummary{}, notFound(err)
	}
	ws.CreatedAt = ws.CreatedAt.UTC()
	return ws, nil
}

// ListWorkspaces returns one page of the workspaces whose name or slug
// contains search, newest first, with their sizes, and how many match.
func (s *Store) ListWorkspaces(ctx context.Context, search string, page, pageSize int) ([]store.WorkspaceSummary, int, error) {
	offset, err := checkPage(page, pageSize)
	if err != nil {
		return nil, 0, fmt.Errorf("list workspaces: %w", err)
	}
	where, args := searchWhere(search, "w.name", "w.slug")
	var (
		out   []store.WorkspaceSummary
		total int
	)
	err = s.readTx(ctx, func(c conn) error {
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM workspaces w`+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("count: %w", err)
		}
		if offset >= int64(total) {
			return nil
		}
		rows, err := c.query(ctx, `SELECT `+workspaceSummaryColumns+` FROM workspaces w`+where+`
			ORDER BY w.created_at DESC, w.id DESC LIMIT ? OFFSET ?`, append(args, pageSize, offset)...)
		if err != nil {
			return err
		}
		return scanAll(rows, func(r Rows) error {
			ws, err := scanWorkspaceSummary(r)
			out = append(out, ws)
			return err
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list workspaces: %w", err)
	}
	return out, total, nil
}

// WorkspaceSummary returns the workspace with its sizes, or
// store.ErrNotFound.
func (s *Store) WorkspaceSummary(ctx context.Context, id string) (store.WorkspaceSummary, error) {
	var ws store.WorkspaceSummary
	err := s.readTx(ctx, func(c conn) error {
		var err error
		ws, err = scanWorkspaceSummary(c.queryRow(ctx, `SELECT `+workspaceSummaryColumns+` FROM workspaces w WHERE w.id = ?`, id))
		return err
	})
	if err != nil {
		return store.WorkspaceSummary{}, fmt.Errorf("workspace %s: %w", id, err)
	}
	return ws, nil
}

// Stats counts the rows of each table in one snapshot.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	var st store.Stats
	err := s.readTx(ctx, func(c conn) error {
		return c.queryRow(ctx, `SELECT
			(SELECT COUNT(*) FROM users),
			(SELECT COUNT(*) FROM users WHERE is_active = ?),
			(SELECT COUNT(*) FROM users WHERE is_admin = ?),
			(SELECT COUNT(*) FROM workspaces),
			(SELECT COUNT(*) FROM workspace_memberships),
			(SELECT COUNT(*) FROM invitations),
			(SELECT COUNT(*) FROM workspace_groups),
			(SELECT COUNT(*) FROM resource_permissions),
			(SELECT COUNT(*) FROM resource_shares),
			(SELECT COUNT(*) FROM services WHERE id <> ?),
			(SELECT COUNT(*) FROM service_actions),
			(SELECT COUNT(*) FROM roles),
			(SELECT COUNT(*) FROM client_apps),
			(SELECT COUNT(*) FROM activity_logs)`, true, true, store.SystemServiceID).Scan(
			&st.Users, &st.ActiveUsers, &st.AdminUsers, &st.Workspaces, &st.Memberships, &st.PendingInvitations,
			&st.Groups, &st.Resources, &st.Shares, &st.Services, &st.ServiceActions, &st.Roles, &st.ClientApps,
			&st.ActivityEntries)
	})
	if err != nil {
		return store.Stats{}, fmt.Errorf("count stats: %w", err)
	}
	return st, nil
}
