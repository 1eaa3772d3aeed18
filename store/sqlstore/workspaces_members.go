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

// ListMembers lists up to limit members of the workspace (limit <= 0:
// 100) with their user's email, name and avatar, oldest membership first.
// A non-empty q keeps members whose name or email contains q, ignoring
// case (SQLite folds ASCII letters only). An unknown workspace is
// store.ErrNotFound.
func (s *Store) ListMembers(ctx context.Context, workspaceID, q string, limit int) ([]store.Member, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []store.Member
	err := s.readTx(ctx, func(c conn) error {
		if _, err := workspaceByID(ctx, c, workspaceID); err != nil {
			return err
		}
		query := `SELECT u.id, u.email, u.name, u.avatar_url, m.role, m.joined_at
			FROM workspace_memberships m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ?`
		args := []any{workspaceID}
		if q = strings.TrimSpace(q); q != "" {
			pattern := "%" + likeEscaper.Replace(strings.ToLower(q)) + "%"
			query += ` AND (LOWER(u.name) LIKE ? ESCAPE '\' OR u.email LIKE ? ESCAPE '\')`
			args = append(args, pattern, pattern)
		}
		query += ` ORDER BY m.joined_at, u.id LIMIT ?`
		rows, err := c.query(ctx, query, append(args, limit)...)
		if err != nil {
			return err
		}
		return scanAll(rows, func(r Rows) error {
			var (
				m    store.Member
				role string
			)
			if err := r.Scan(&m.UserID, &m.Email, &m.Name, &m.AvatarURL, &role, &m.JoinedAt); err != nil {
				return err
			}
			m.Role, m.JoinedAt = store.Role(role), m.JoinedAt.UTC()
			out = append(out, m)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list members of workspace %s: %w", workspaceID, err)
	}
	return out, nil
}

// likeEscaper escapes LIKE's wildcards (with ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// Membership returns the user's membership of the workspace, or
// store.ErrNotMember (also when the workspace does not exist).
func (s *Store) Membership(ctx context.Context, workspaceID, userID string) (store.Membership, error) {
	m, err := membership(ctx, s.c, workspaceID, userID)
	if err != nil {
		return store.Membership{}, fmt.Errorf("membership of user %s in workspace %s: %w", userID, workspaceID, err)
	}
	return m, nil
}

func membership(ctx context.Context, c conn, workspaceID, userID string) (store.Membership, error) {
	m := store.Membership{WorkspaceID: workspaceID, UserID: userID}
	var role string
	err := c.queryRow(ctx, `SELECT role, joined_at FROM workspace_memberships WHERE workspace_id = ? AND user_id = ?`,
		workspaceID, userID).Scan(&role, &m.JoinedAt)
	if errors.Is(notFound(err), store.ErrNotFound) {
		return store.Membership{}, store.ErrNotMember
	}
	if err != nil {
		return store.Membership{}, err
	}
	m.Role, m.JoinedAt = store.Role(role), m.JoinedAt.UTC()
	return m, nil
}

// AddMember makes an existing user a member of the workspace with role,
// writes the membership's system tuple, and drops a pending invitation of
// the user's email to the workspace.
func (s *Store) AddMember(ctx context.Context, workspaceID, userID string, role store.Role) (store.Membership, error) {
	var m store.Membership
	err := s.writeTx(ctx, func(w *writer) error {
		if _, err := workspaceByID(ctx, w.c, workspaceID); err != nil {
			return err
		}
		u, err := userByID(ctx, w.c, userID)
		if err != nil {
			return err
		}
		m, err = w.addMember(ctx, workspaceID, u, role)
		w.produce(m)
		return err
	})
	if err != nil {
		return store.Membership{}, fmt.Errorf("add user %s to workspace %s: %w", userID, workspaceID, err)
	}
	return m, nil
}

// addMember adds u (an existing user) to an existing workspace.
func (w *writer) addMember(ctx context.Context, workspaceID string, u store.User, role store.Role) (store.Membership, error) {
	if !role.Valid() {
		return store.Membership{}, fmt.Errorf("%w: %q", store.ErrInvalidRole, role)
	}
	if _, err := membership(ctx, w.c, workspaceID, u.ID); err == nil {
		return store.Membership{}, fmt.Errorf("user %s is a member already: %w", u.ID, store.ErrAlreadyExists)
	} else if !errors.Is(err, store.ErrNotMember) {
		return store.Membership{}, err
	}
	if _, err := w.c.exec(ctx, `DELETE FROM invitations WHERE workspace_id = ? AND email = ?`, workspaceID, u.Email); err != nil {
		return store.Membership{}, fmt.Errorf("drop invitation: %w", err)
	}
	m := store.Membership{WorkspaceID: workspaceID, UserID: u.ID, Role: role, JoinedAt: now()}
	return m, w.insertMembership(ctx, m)
}

// insertMembership inserts the row and writes its system tuple.
func (w *writer) insertMembership(ctx context.Context, m store.Membership) error {
	if _, err := w.c.exec(ctx, `INSERT INTO workspace_memberships (workspace_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)`,
		m.WorkspaceID, m.UserID, string(m.Role), m.JoinedAt); err != nil {
		return fmt.Errorf("insert membership: %w", err)
	}
	return w.systemTuples(ctx, []tuple.Tuple{memberTuple(m.WorkspaceID, m.UserID, m.Role)}, nil, m.JoinedAt)
}

// SetRole changes a member's role and swaps the membership's system tuple.
// Demoting the last owner is store.ErrLastOwner: the count of owners is
// read under the writers' lock, so two concurrent demotions cannot both
// see a second owner.
func (s *Store) SetRole(ctx context.Context, workspaceID, userID string, role store.Role) (store.Membership, error) {
	if !role.Valid() {
		return store.Membership{}, fmt.Errorf("set role of user %s in workspace %s: %w: %q", userID, workspaceID, store.ErrInvalidRole, role)
	}
	var m store.Membership
	at := now()
	err := s.writeTx(ctx, func(w *writer) error {
		var err error
		if m, err = membership(ctx, w.c, workspaceID, userID); err != nil {
			return err
		}
		if m.Role == role {
			return nil
		}
		if m.Role == store.RoleOwner || role == store.RoleOwner {
			if err := w.ownerOnly(); err != nil {
				return err
			}
		}
		if m.Role == store.RoleOwner {
			if err := w.requireAnotherOwner(ctx, workspaceID); err != nil {
				return err
			}
		}
		if _, err := w.c.exec(ctx, `UPDATE workspace_memberships SET role = ? WHERE workspace_id = ? AND user_id = ?`,
			string(role), workspaceID, userID); err != nil {
			return fmt.Errorf("update role: %w", err)
		}
		old := m.Role
		m.Role = role
		w.produce(store.RoleChange{Membership: m, Previous: old})
		return w.systemTuples(ctx, []tuple.Tuple{memberTuple(workspaceID, userID, role)},
			[]tuple.Tuple{memberTuple(workspaceID, userID, old)}, at)
	})
	if err != nil {
		return store.Membership{}, fmt.Errorf("set role of user %s in workspace %s to %q: %w", userID, workspaceID, role, err)
	}
	return m, nil
}

// requireAnotherOwner fails with store.ErrLastOwner unless the workspace
// has at least two owners (one of whom is about to go).
func (w *writer) requireAnotherOwner(ctx context.Context, workspaceID string) error {
	var owners int
	if err := w.c.queryRow(ctx, `SELECT COUNT(*) FROM workspace_memberships WHERE workspace_id = ? AND role = ?`,
		workspaceID, string(store.RoleOwner)).Scan(&owners); err != nil {
		return fmt.Errorf("count owners: %w", err)
	}
	if owners < 2 {
		return store.ErrLastOwner
	}
	return nil
}

// RemoveMember removes the membership and its system tuple, the user's
// memberships of the workspace's groups (rows and tuples), and the user's
// shares on the workspace's objects (memberRemoved). The last owner is
// store.ErrLastOwner.
func (s *Store) RemoveMember(ctx context.Context, workspaceID, userID string) error {
	at := now()
	err := s.writeTx(ctx, func(w *writer) error {
		m, err := membership(ctx, w.c, workspaceID, userID)
		if err != nil {
			return err
		}
		if m.Role == store.RoleOwner {
			if err := w.ownerOnly(); err != nil {
				return err
			}
			if err := w.requireAnotherOwner(ctx, workspaceID); err != nil {
				return err
			}
		}
		w.produce(m) // the membership removed, as it was in this transaction
		deletes := []tuple.Tuple{memberTuple(workspaceID, userID, m.Role)}
		groups, err := queryStrings(ctx, w.c, `SELECT gm.group_id FROM group_members gm
			JOIN workspace_groups g ON g.id = gm.group_id
			WHERE g.workspace_id = ? AND gm.member_type = ? AND gm.member_id = ? ORDER BY gm.group_id`,
			workspaceID, string(store.GroupMemberUser), userID)
		if err != nil {
			return fmt.Errorf("groups of the member: %w", err)
		}
		for _, gid := range groups {
			deletes = append(deletes, groupMemberTuple(gid, store.GroupMemberUser, userID))
			if _, err := w.c.exec(ctx, `DELETE FROM group_members WHERE group_id = ? AND member_type = ? AND member_id = ?`,
				gid, string(store.GroupMemberUser), userID); err != nil {
				return fmt.Errorf("leave group %s: %w", gid, err)
			}
		}
		shares, err := w.memberRemoved(ctx, workspaceID, userID, at)
		if err != nil {
			return err
		}
		if _, err := w.c.exec(ctx, `DELETE FROM workspace_memberships WHERE workspace_id = ? AND user_id = ?`,
			workspaceID, userID); err != nil {
			return fmt.Errorf("delete membership: %w", err)
		}
		return w.systemTuples(ctx, nil, append(deletes, shares...), at)
	})
	if err != nil {
		return fmt.Errorf("remove user %s from workspace %s: %w", userID, workspaceID, err)
	}
	return nil
}

// Invite adds the user with that email at once, if there is one (see
// AddMember). Otherwise it stores a pending invitation, or updates the
// role and inviter of the one pending for that email; no tuple is
// written until it is accepted.
func (s *Store) Invite(ctx context.Context, workspaceID, email string, role store.Role, invitedBy string) (store.InviteResult, error) {
	email = normEmail(email)
	if err := checkInvite(email, role); err != nil {
		return store.InviteResult{}, fmt.Errorf("invite %q to workspace %s: %w", email, workspaceID, err)
	}
	var res store.InviteResult
	err := s.writeTx(ctx, func(w *writer) error {
		if _, err := workspaceByID(ctx, w.c, workspaceID); err != nil {
			return err
		}
		u, err := scanUser(w.c.queryRow(ctx, `SELECT `+userRowColumns+` FROM users WHERE email = ?`, email))
		if err == nil {
			m, err := w.addMember(ctx, workspaceID, u, role)
			res.Member = &m
			w.produce(res)
			return err
		}
		if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("look up email: %w", err)
		}
		inv := store.Invitation{ID: uuid.NewString(), WorkspaceID: workspaceID, Email: email, Role: role,
			InvitedBy: invitedBy, CreatedAt: now()}
		// An invitation pending already keeps its id and creation time.
		if _, err := w.c.exec(ctx, `INSERT INTO invitations (id, workspace_id, email, role, invited_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (workspace_id, email) DO UPDATE SET role = excluded.role, invited_by = excluded.invited_by`,
			inv.ID, inv.WorkspaceID, inv.Email, string(inv.Role), inv.InvitedBy, inv.CreatedAt); err != nil {
			return fmt.Errorf("store invitation: %w", err)
		}
		inv, err = scanInvitation(w.c.queryRow(ctx, `SELECT `+invitationColumns+` FROM invitations
			WHERE workspace_id = ? AND email = ?`, workspaceID, email))
		res.Invitation = &inv
		w.produce(res)
		return err
	})
	if err != nil {
		return store.InviteResult{}, fmt.Errorf("invite %q to workspace %s: %w", email, workspaceID, err)
	}
	return res, nil
}

// checkInvite validates an invitation's (normalized) email and role.
func checkInvite(email string, role store.Role) error {
	if email == "" {
		return fmt.Errorf("%w: email is required", store.ErrInvalidWorkspaceInput)
	}
	if !role.Valid() {
		return fmt.Errorf("%w: %q", store.ErrInvalidRole, role)
	}
	return nil
}

const invitationColumns = "id, workspace_id, email, role, invited_by, created_at"

// Invitations lists the workspace's pending invitations, oldest first.
func (s *Store) Invitations(ctx context.Context, workspaceID string) ([]store.Invitation, error) {
	rows, err := s.c.query(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE workspace_id = ?
		ORDER BY created_at, email`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("invitations of workspace %s: %w", workspaceID, err)
	}
	var out []store.Invitation
	err = scanAll(rows, func(r Rows) error {
		inv, err := scanInvitation(r)
		out = append(out, inv)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("invitations of workspace %s: %w", workspaceID, err)
	}
	return out, nil
}

// DeleteInvitation withdraws the pending invitation of email to the
// workspace, or fails with store.ErrNotFound.
func (s *Store) DeleteInvitation(ctx context.Context, workspaceID, email string) error {
	err := s.writeTx(ctx, func(w *writer) error {
		n, err := w.c.exec(ctx, `DELETE FROM invitations WHERE workspace_id = ? AND email = ?`, workspaceID, normEmail(email))
		if err == nil && n == 0 {
			err = store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("withdraw invitation of %q to workspace %s: %w", email, workspaceID, err)
	}
	return nil
}

// AcceptInvitations turns every invitation pending for email into a
// membership of userID with the invited role (a membership the user has
// already is kept as is) and deletes them, in one transaction. email must
// be the user's (store.ErrInvalidWorkspaceInput otherwise): invitations
// go to the person who owns the address, never to whoever asks.
func (s *Store) AcceptInvitations(ctx context.Context, userID, email string) ([]store.Membership, error) {
	var out []store.Membership
	err := s.writeTx(ctx, func(w *writer) error {
		u, err := userByID(ctx, w.c, userID)
		if err != nil {
			return err
		}
		if u.Email != normEmail(email) {
			return fmt.Errorf("%w: %q is not the user's email", store.ErrInvalidWorkspaceInput, email)
		}
		rows, err := w.c.query(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE email = ?
			ORDER BY created_at, workspace_id`, u.Email)
		if err != nil {
			return fmt.Errorf("read invitations: %w", err)
		}
		var invs []store.Invitation
		if err := scanAll(rows, func(r Rows) error {
			inv, err := scanInvitation(r)
			invs = append(invs, inv)
			return err
		}); err != nil {
			return fmt.Errorf("read invitations: %w", err)
		}
		for _, inv := range invs {
			m, err := w.addMember(ctx, inv.WorkspaceID, u, inv.Role)
			switch {
			case err == nil:
				out = append(out, m)
			case errors.Is(err, store.ErrAlreadyExists):
				// addMember did not run its delete.
				if _, err := w.c.exec(ctx, `DELETE FROM invitations WHERE id = ?`, inv.ID); err != nil {
					return fmt.Errorf("drop invitation: %w", err)
				}
			default:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("accept invitations of user %s: %w", userID, err)
	}
	return out, nil
}

// scanInvitation scans one row of invitationColumns; no row is
// store.ErrNotFound.
func scanInvitation(r Row) (store.Invitation, error) {
	var (
		inv  store.Invitation
		role string
	)
	if err := r.Scan(&inv.ID, &inv.WorkspaceID, &inv.Email, &role, &inv.InvitedBy, &inv.CreatedAt); err != nil {
		return store.Invitation{}, notFound(err)
	}
	inv.Role, inv.CreatedAt = store.Role(role), inv.CreatedAt.UTC()
	return inv, nil
}

// queryStrings returns the single string column of every row.
func queryStrings(ctx context.Context, c conn, query string, args ...any) ([]string, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []string
	err = scanAll(rows, func(r Rows) error {
		var v string
		err := r.Scan(&v)
		out = append(out, v)
		return err
	})
	return out, err
}
