package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sentinel-auth/sentinel/store"
)

// Reading the original (Python) Sentinel's PostgreSQL database into an
// import snapshot: its tables and columns as COMPAT.md lists them, read in
// one REPEATABLE READ READ ONLY transaction (one consistent snapshot while
// the original may still be running), mapped to Sentinel's rows.

// original is what was read: the snapshot, and what has no place in it.
type original struct {
	snap store.ImportSnapshot
	// read counts the original's rows per import table.
	read map[string]int
	// dropped are rows the reader could not place (a share of a resource
	// that is not there).
	dropped []store.ImportSkip
	// apps are the service apps' display names and allowed origins,
	// which Sentinel does not keep yet: printed for the operator.
	apps []originalApp
	// missing names the optional tables the database does not have.
	missing []string
}

type originalApp struct {
	Service, Name string
	Origins       []string
}

// originalTables are the original's tables; only users is required (older
// versions lack some of the others).
var originalTables = []string{"users", "social_accounts", "workspaces", "workspace_memberships", "groups",
	"group_memberships", "resource_permissions", "resource_shares", "service_actions", "roles", "role_actions",
	"user_roles", "service_apps", "client_apps", "activity_logs"}

// readOriginal connects to url and reads every table. providers renames
// social account providers (the original's name → a configured provider).
func readOriginal(ctx context.Context, url string, providers map[string]string) (*original, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect to the original database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("begin a read-only transaction on the original database: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // read only: nothing to keep
	o := &original{read: map[string]int{}}
	have := map[string]bool{}
	for _, table := range originalTables {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, `"`+table+`"`).Scan(&ok); err != nil {
			return nil, fmt.Errorf("look for table %s: %w", table, err)
		}
		if have[table] = ok; !ok {
			o.missing = append(o.missing, table)
		}
	}
	if !have["users"] {
		return nil, errors.New("the original database has no users table: is --from the original Sentinel's database (and its schema in search_path)?")
	}
	r := &reader{tx: tx, o: o, have: have, providers: providers}
	for _, step := range []func(context.Context) error{
		r.users, r.identities, r.workspaces, r.groups, r.resources, r.rbac, r.apps, r.activity,
	} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return o, nil
}

type reader struct {
	tx        pgx.Tx
	o         *original
	have      map[string]bool
	providers map[string]string
}

// each runs q on table (if the database has it) and calls scan per row.
func (r *reader) each(ctx context.Context, table, q string, scan func(pgx.Rows) error) error {
	if !r.have[table] {
		return nil
	}
	rows, err := r.tx.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	return nil
}

// tv is a nullable timestamp's value (zero for NULL: the import stands
// in a default).
func tv(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func (r *reader) users(ctx context.Context) error {
	return r.each(ctx, "users", `SELECT id::text, email, COALESCE(name, ''), COALESCE(avatar_url, ''),
		COALESCE(is_active, TRUE), COALESCE(is_admin, FALSE), created_at, updated_at FROM users ORDER BY created_at, id`,
		func(row pgx.Rows) error {
			var (
				u                store.User
				created, updated *time.Time
			)
			if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.AvatarURL, &u.Active, &u.Admin, &created, &updated); err != nil {
				return err
			}
			u.CreatedAt, u.UpdatedAt = tv(created), tv(updated)
			r.o.snap.Users = append(r.o.snap.Users, u)
			r.o.read[store.ImportUsers]++
			return nil
		})
}

// numeric matches GitHub's numeric user ids.
var numeric = regexp.MustCompile(`^[0-9]+$`)

// identities maps social_accounts to identities: the subject is the
// provider's user id, except GitHub's, which the original kept as the bare
// numeric id and Sentinel's github verifier names "github|{id}".
func (r *reader) identities(ctx context.Context) error {
	return r.each(ctx, "social_accounts", `SELECT user_id::text, provider, provider_user_id, COALESCE(provider_data::text, '')
		FROM social_accounts ORDER BY user_id, provider, provider_user_id`,
		func(row pgx.Rows) error {
			var (
				id     store.Identity
				claims string
			)
			if err := row.Scan(&id.UserID, &id.Provider, &id.Subject, &claims); err != nil {
				return err
			}
			if to, ok := r.providers[id.Provider]; ok {
				id.Provider = to
			}
			id.Claims = []byte(claims)
			id.Subject = originalSubject(id.Provider, id.Subject, id.Claims)
			r.o.snap.Identities = append(r.o.snap.Identities, id)
			r.o.read[store.ImportIdentities]++
			return nil
		})
}

// originalSubject is the subject Sentinel's verifier of provider gives
// the account the original stored as providerUserID with its provider
// data: "github|{id}" for GitHub's numeric id; else the "sub" claim kept in
// the provider data when there is one (an OpenID subject, which is what the
// verifiers return, even where the original kept another id, such as
// Entra's oid); else providerUserID.
func originalSubject(provider, providerUserID string, data []byte) string {
	if provider == "github" {
		if numeric.MatchString(providerUserID) {
			return "github|" + providerUserID
		}
		return providerUserID
	}
	var claims struct {
		Sub any `json:"sub"`
	}
	if json.Unmarshal(data, &claims) == nil {
		if sub, ok := claims.Sub.(string); ok && sub != "" {
			return sub
		}
	}
	return providerUserID
}

func (r *reader) workspaces(ctx context.Context) error {
	err := r.each(ctx, "workspaces", `SELECT id::text, slug, name, COALESCE(description, ''), COALESCE(created_by::text, ''),
		created_at FROM workspaces ORDER BY created_at, id`,
		func(row pgx.Rows) error {
			var (
				ws      store.Workspace
				created *time.Time
			)
			if err := row.Scan(&ws.ID, &ws.Slug, &ws.Name, &ws.Description, &ws.CreatedBy, &created); err != nil {
				return err
			}
			ws.CreatedAt = tv(created)
			r.o.snap.Workspaces = append(r.o.snap.Workspaces, ws)
			r.o.read[store.ImportWorkspaces]++
			return nil
		})
	if err != nil {
		return err
	}
	return r.each(ctx, "workspace_memberships", `SELECT workspace_id::text, user_id::text, role::text, joined_at
		FROM workspace_memberships ORDER BY joined_at, workspace_id, user_id`,
		func(row pgx.Rows) error {
			var (
				m      store.Membership
				role   string
				joined *time.Time
			)
			if err := row.Scan(&m.WorkspaceID, &m.UserID, &role, &joined); err != nil {
				return err
			}
			m.Role, m.JoinedAt = store.Role(strings.ToLower(role)), tv(joined)
			r.o.snap.Memberships = append(r.o.snap.Memberships, m)
			r.o.read[store.ImportMemberships]++
			return nil
		})
}

func (r *reader) groups(ctx context.Context) error {
	err := r.each(ctx, "groups", `SELECT id::text, workspace_id::text, name, COALESCE(description, ''),
		COALESCE(created_by::text, ''), created_at FROM "groups" ORDER BY created_at, id`,
		func(row pgx.Rows) error {
			var (
				g       store.Group
				created *time.Time
			)
			if err := row.Scan(&g.ID, &g.WorkspaceID, &g.Name, &g.Description, &g.CreatedBy, &created); err != nil {
				return err
			}
			g.CreatedAt = tv(created)
			r.o.snap.Groups = append(r.o.snap.Groups, g)
			r.o.read[store.ImportGroups]++
			return nil
		})
	if err != nil {
		return err
	}
	return r.each(ctx, "group_memberships", `SELECT group_id::text, user_id::text, added_at
		FROM group_memberships ORDER BY added_at, group_id, user_id`,
		func(row pgx.Rows) error {
			m := store.ImportGroupMember{Type: store.GroupMemberUser}
			var added *time.Time
			if err := row.Scan(&m.GroupID, &m.MemberID, &added); err != nil {
				return err
			}
			m.AddedAt = tv(added)
			r.o.snap.GroupMembers = append(r.o.snap.GroupMembers, m)
			r.o.read[store.ImportGroupMembers]++
			return nil
		})
}

// resources reads resource_permissions and attaches resource_shares.
func (r *reader) resources(ctx context.Context) error {
	index := map[string]int{}
	err := r.each(ctx, "resource_permissions", `SELECT id::text, service_name, resource_type, resource_id::text,
		workspace_id::text, owner_id::text, COALESCE(visibility::text, 'workspace'), created_at
		FROM resource_permissions ORDER BY created_at, id`,
		func(row pgx.Rows) error {
			var (
				res     store.Resource
				vis     string
				created *time.Time
			)
			if err := row.Scan(&res.ID, &res.Key.Service, &res.Key.Type, &res.Key.ID, &res.WorkspaceID, &res.OwnerID,
				&vis, &created); err != nil {
				return err
			}
			res.Visibility, res.CreatedAt = store.Visibility(strings.ToLower(vis)), tv(created)
			index[res.ID] = len(r.o.snap.Resources)
			r.o.snap.Resources = append(r.o.snap.Resources, res)
			r.o.read[store.ImportResources]++
			return nil
		})
	if err != nil {
		return err
	}
	return r.each(ctx, "resource_shares", `SELECT id::text, resource_permission_id::text, grantee_type::text,
		grantee_id::text, permission::text, COALESCE(granted_by::text, ''), granted_at
		FROM resource_shares ORDER BY granted_at, id`,
		func(row pgx.Rows) error {
			var (
				sh            store.ResourceShare
				rid, gt, perm string
				granted       *time.Time
			)
			if err := row.Scan(&sh.ID, &rid, &gt, &sh.GranteeID, &perm, &sh.GrantedBy, &granted); err != nil {
				return err
			}
			sh.GranteeType, sh.Permission = store.GranteeType(strings.ToLower(gt)), store.SharePermission(strings.ToLower(perm))
			sh.GrantedAt = tv(granted)
			r.o.read[store.ImportShares]++
			i, ok := index[rid]
			if !ok {
				r.o.dropped = append(r.o.dropped, store.ImportSkip{Table: store.ImportShares, ID: sh.ID,
					Reason: "resource permission " + rid + " does not exist"})
				return nil
			}
			res := &r.o.snap.Resources[i]
			res.Shares = append(res.Shares, sh)
			return nil
		})
}

// rbac reads service actions, roles, role actions and user roles.
func (r *reader) rbac(ctx context.Context) error {
	err := r.each(ctx, "service_actions", `SELECT id::text, service_name, action, COALESCE(description, ''), created_at
		FROM service_actions ORDER BY created_at, id`,
		func(row pgx.Rows) error {
			var (
				a       store.ServiceAction
				created *time.Time
			)
			if err := row.Scan(&a.ID, &a.ServiceName, &a.Action, &a.Description, &created); err != nil {
				return err
			}
			a.CreatedAt = tv(created)
			r.o.snap.ServiceActions = append(r.o.snap.ServiceActions, a)
			r.o.read[store.ImportServiceActions]++
			return nil
		})
	if err != nil {
		return err
	}
	err = r.each(ctx, "roles", `SELECT id::text, workspace_id::text, name, COALESCE(description, ''),
		COALESCE(created_by::text, ''), created_at FROM roles ORDER BY created_at, id`,
		func(row pgx.Rows) error {
			var (
				role    store.RBACRole
				created *time.Time
			)
			if err := row.Scan(&role.ID, &role.WorkspaceID, &role.Name, &role.Description, &role.CreatedBy, &created); err != nil {
				return err
			}
			role.CreatedAt = tv(created)
			r.o.snap.Roles = append(r.o.snap.Roles, role)
			r.o.read[store.ImportRoles]++
			return nil
		})
	if err != nil {
		return err
	}
	err = r.each(ctx, "role_actions", `SELECT role_id::text, service_action_id::text FROM role_actions
		ORDER BY role_id, service_action_id`,
		func(row pgx.Rows) error {
			var ra store.ImportRoleAction
			if err := row.Scan(&ra.RoleID, &ra.ServiceActionID); err != nil {
				return err
			}
			r.o.snap.RoleActions = append(r.o.snap.RoleActions, ra)
			r.o.read[store.ImportRoleActions]++
			return nil
		})
	if err != nil {
		return err
	}
	return r.each(ctx, "user_roles", `SELECT user_id::text, role_id::text, COALESCE(assigned_by::text, ''), assigned_at
		FROM user_roles ORDER BY assigned_at, role_id, user_id`,
		func(row pgx.Rows) error {
			a := store.RoleAssignment{Assignee: store.Assignee{Type: store.AssigneeUser}}
			var assigned *time.Time
			if err := row.Scan(&a.Assignee.ID, &a.RoleID, &a.AssignedBy, &assigned); err != nil {
				return err
			}
			a.AssignedAt = tv(assigned)
			r.o.snap.RoleAssignments = append(r.o.snap.RoleAssignments, a)
			r.o.read[store.ImportRoleAssignments]++
			return nil
		})
}

// apps reads service apps (a service and its one key each: an inactive
// app's key is revoked since the app last changed) and client apps.
func (r *reader) apps(ctx context.Context) error {
	err := r.each(ctx, "service_apps", `SELECT id::text, COALESCE(name, ''), service_name, key_hash, COALESCE(key_prefix, ''),
		COALESCE(is_active, TRUE), COALESCE(allowed_origins, '{}'), last_used_at, created_at, updated_at
		FROM service_apps ORDER BY created_at, id`,
		func(row pgx.Rows) error {
			var (
				svc                        store.ImportService
				name, hash, prefix         string
				active                     bool
				origins                    []string
				lastUsed, created, updated *time.Time
			)
			if err := row.Scan(&svc.ID, &name, &svc.Name, &hash, &prefix, &active, &origins, &lastUsed, &created, &updated); err != nil {
				return err
			}
			svc.CreatedAt = tv(created)
			k := store.ImportKey{Hash: hash, Prefix: prefix, CreatedAt: svc.CreatedAt, LastUsedAt: lastUsed}
			if !active {
				at := time.Now()
				if updated != nil {
					at = *updated
				}
				k.RevokedAt = &at
			}
			svc.Keys = []store.ImportKey{k}
			r.o.snap.Services = append(r.o.snap.Services, svc)
			r.o.apps = append(r.o.apps, originalApp{Service: svc.Name, Name: name, Origins: origins})
			r.o.read[store.ImportServices]++
			r.o.read[store.ImportKeys]++
			return nil
		})
	if err != nil {
		return err
	}
	return r.each(ctx, "client_apps", `SELECT id::text, name, COALESCE(redirect_uris, '{}'), COALESCE(is_active, TRUE),
		COALESCE(created_by::text, ''), created_at, updated_at FROM client_apps ORDER BY created_at, id`,
		func(row pgx.Rows) error {
			var (
				a                store.ClientApp
				created, updated *time.Time
			)
			if err := row.Scan(&a.ID, &a.Name, &a.RedirectURIs, &a.Active, &a.CreatedBy, &created, &updated); err != nil {
				return err
			}
			a.CreatedAt, a.UpdatedAt = tv(created), tv(updated)
			r.o.snap.ClientApps = append(r.o.snap.ClientApps, a)
			r.o.read[store.ImportClientApps]++
			return nil
		})
}

// activity reads activity_logs. An entry with an actor was a user's; one
// without was made with a service key (the label names the service when
// the detail does).
func (r *reader) activity(ctx context.Context) error {
	return r.each(ctx, "activity_logs", `SELECT id::text, action, COALESCE(actor_id::text, ''), COALESCE(target_type, ''),
		COALESCE(target_id::text, ''), COALESCE(workspace_id::text, ''), COALESCE(detail::text, ''), created_at
		FROM activity_logs ORDER BY created_at, id`,
		func(row pgx.Rows) error {
			var (
				e       store.ActivityEntry
				detail  string
				created *time.Time
			)
			if err := row.Scan(&e.ID, &e.Action, &e.ActorID, &e.TargetType, &e.TargetID, &e.WorkspaceID, &detail, &created); err != nil {
				return err
			}
			e.CreatedAt, e.Detail = tv(created), activityDetail(detail)
			e.ActorType = store.ActorUser
			if e.ActorID == "" {
				e.ActorType = store.ActorService
				var d struct {
					Service string `json:"service_name"`
				}
				_ = json.Unmarshal(e.Detail, &d)
				e.ActorLabel = d.Service
			}
			r.o.snap.Activity = append(r.o.snap.Activity, e)
			r.o.read[store.ImportActivity]++
			return nil
		})
}

// activityDetail returns the original's detail as a JSON object: itself,
// {} for none, or any other value wrapped as {"detail": value}.
func activityDetail(raw string) []byte {
	if raw == "" || raw == "null" {
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(raw), &obj) == nil && obj != nil {
		return []byte(raw)
	}
	wrapped, err := json.Marshal(map[string]json.RawMessage{"detail": json.RawMessage(raw)})
	if err != nil {
		return nil
	}
	return wrapped
}
