package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// Import (store.Importer): a whole snapshot, validated by checkImport,
// written in one write transaction with the system tuples its rows stand
// for, built by the same functions the store's own methods use.

var _ store.Importer = (*Store)(nil)

// errDryRun ends a dry run's transaction with a rollback.
var errDryRun = errors.New("dry run")

// importEmptyTables are the tables that must be empty for an import: every
// table an import writes whose rows it could collide with.
var importEmptyTables = []string{"users", "workspaces", "service_actions", "client_apps", "resource_permissions"}

// Import validates snap and writes it into an empty store in one write
// transaction (see store.Importer).
func (s *Store) Import(ctx context.Context, snap store.ImportSnapshot, opts store.ImportOptions) (store.ImportReport, error) {
	at := now()
	plan, skips, err := checkImport(snap, at)
	if err != nil {
		return store.ImportReport{}, fmt.Errorf("import: %w", err)
	}
	rep := store.ImportReport{Imported: map[string]int{}, Skipped: skips, DryRun: opts.DryRun}
	if opts.Strict && len(skips) > 0 {
		return store.ImportReport{Skipped: skips}, fmt.Errorf("import: %w: %d rows would be skipped (first: %s %s: %s)",
			store.ErrInvalidImport, len(skips), skips[0].Table, skips[0].ID, skips[0].Reason)
	}
	err = s.writeTx(ctx, func(w *writer) error {
		if err := w.requireEmpty(ctx); err != nil {
			return err
		}
		if err := w.importRows(ctx, plan, &rep); err != nil {
			return err
		}
		if err := w.importServices(ctx, plan.Services, &rep, at); err != nil {
			return err
		}
		ts := importTuples(plan)
		if err := w.systemTuples(ctx, ts, nil, at); err != nil {
			return err
		}
		rep.SystemTuples = len(ts)
		if _, err := w.appendActivity(ctx, importEntry(rep, at)); err != nil {
			return err
		}
		if opts.DryRun {
			return errDryRun
		}
		rep.Revision, err = headRevision(ctx, w.c)
		return err
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return store.ImportReport{Skipped: skips}, fmt.Errorf("import: %w", err)
	}
	return rep, nil
}

// requireEmpty fails with store.ErrStoreNotEmpty naming what the store
// holds. It runs under the writers' lock, so nothing is added meanwhile.
func (w *writer) requireEmpty(ctx context.Context) error {
	var held []string
	for _, table := range importEmptyTables {
		var n int
		if err := w.c.queryRow(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
			return fmt.Errorf("count %s: %w", table, err)
		}
		if n > 0 {
			held = append(held, fmt.Sprintf("%d %s", n, table))
		}
	}
	if len(held) > 0 {
		return fmt.Errorf("%w: it has %s; import into a new database", store.ErrStoreNotEmpty, strings.Join(held, ", "))
	}
	return nil
}

// importRows inserts every row of plan but the services and their keys.
func (w *writer) importRows(ctx context.Context, p store.ImportSnapshot, rep *store.ImportReport) error {
	var b importBatch
	for _, u := range p.Users {
		b.add(u.ID, u.Email, u.Name, u.AvatarURL, u.Active, u.Admin, u.CreatedAt, u.UpdatedAt)
	}
	if err := w.flush(ctx, &b, store.ImportUsers, "users", userColumns, rep); err != nil {
		return err
	}
	for _, id := range p.Identities {
		b.add(id.Provider, id.Subject, id.Issuer, id.UserID, id.Email, string(id.Claims), id.CreatedAt, id.LastSeenAt)
	}
	if err := w.flush(ctx, &b, store.ImportIdentities, "identities", identityColumns, rep); err != nil {
		return err
	}
	for _, ws := range p.Workspaces {
		b.add(ws.ID, ws.Slug, ws.Name, ws.Description, ws.CreatedBy, ws.CreatedAt)
	}
	if err := w.flush(ctx, &b, store.ImportWorkspaces, "workspaces", workspaceColumns, rep); err != nil {
		return err
	}
	for _, m := range p.Memberships {
		b.add(m.WorkspaceID, m.UserID, string(m.Role), m.JoinedAt)
	}
	if err := w.flush(ctx, &b, store.ImportMemberships, "workspace_memberships", "workspace_id, user_id, role, joined_at", rep); err != nil {
		return err
	}
	for _, g := range p.Groups {
		b.add(g.ID, g.WorkspaceID, g.Name, g.Description, g.CreatedBy, g.CreatedAt)
	}
	if err := w.flush(ctx, &b, store.ImportGroups, "workspace_groups", groupColumns, rep); err != nil {
		return err
	}
	for _, m := range p.GroupMembers {
		b.add(m.GroupID, string(m.Type), m.MemberID, m.AddedAt)
	}
	if err := w.flush(ctx, &b, store.ImportGroupMembers, "group_members", "group_id, member_type, member_id, added_at", rep); err != nil {
		return err
	}
	if err := w.importResources(ctx, p.Resources, rep); err != nil {
		return err
	}
	return w.importRBAC(ctx, p, rep)
}

// importResources inserts the resources (parents first: a parent comes
// before its children) and their shares.
func (w *writer) importResources(ctx context.Context, rs []store.Resource, rep *store.ImportReport) error {
	var b, shares importBatch
	for _, r := range rs {
		var parent any // NULL without a parent
		if r.ParentID != "" {
			parent = r.ParentID
		}
		b.add(r.ID, r.Key.Service, r.Key.Type, r.Key.ID, r.WorkspaceID, r.OwnerID, string(r.Visibility), parent, r.CreatedAt)
		for _, sh := range r.Shares {
			shares.add(sh.ID, r.ID, string(sh.GranteeType), sh.GranteeID, string(sh.Permission), sh.GrantedBy, sh.GrantedAt)
		}
	}
	if err := w.flush(ctx, &b, store.ImportResources, "resource_permissions",
		"id, service_name, resource_type, resource_id, workspace_id, owner_id, visibility, parent_id, created_at", rep); err != nil {
		return err
	}
	return w.flush(ctx, &shares, store.ImportShares, "resource_shares",
		"id, resource_permission_id, grantee_type, grantee_id, permission, granted_by, granted_at", rep)
}

// importRBAC inserts service actions, roles, role actions and assignments,
// then the client apps and activity entries.
func (w *writer) importRBAC(ctx context.Context, p store.ImportSnapshot, rep *store.ImportReport) error {
	var b importBatch
	for _, a := range p.ServiceActions {
		b.add(a.ID, a.ServiceName, a.Action, a.Description, a.CreatedAt)
	}
	if err := w.flush(ctx, &b, store.ImportServiceActions, "service_actions", serviceActionColumns, rep); err != nil {
		return err
	}
	for _, r := range p.Roles {
		b.add(r.ID, r.WorkspaceID, r.Name, r.Description, r.CreatedBy, r.CreatedAt)
	}
	if err := w.flush(ctx, &b, store.ImportRoles, "roles", roleColumns, rep); err != nil {
		return err
	}
	for _, ra := range p.RoleActions {
		b.add(ra.RoleID, ra.ServiceActionID)
	}
	if err := w.flush(ctx, &b, store.ImportRoleActions, "role_actions", "role_id, service_action_id", rep); err != nil {
		return err
	}
	var groups importBatch
	for _, a := range p.RoleAssignments {
		if a.Assignee.Type == store.AssigneeGroup {
			groups.add(a.Assignee.ID, a.RoleID, a.AssignedBy, a.AssignedAt)
		} else {
			b.add(a.Assignee.ID, a.RoleID, a.AssignedBy, a.AssignedAt)
		}
	}
	if err := w.flush(ctx, &b, store.ImportRoleAssignments, "user_roles", "user_id, role_id, assigned_by, assigned_at", rep); err != nil {
		return err
	}
	if err := w.flush(ctx, &groups, store.ImportRoleAssignments, "group_roles", "group_id, role_id, assigned_by, assigned_at", rep); err != nil {
		return err
	}
	for _, a := range p.ClientApps {
		uris, err := json.Marshal(a.RedirectURIs)
		if err != nil {
			return fmt.Errorf("client app %s: %w", a.ID, err)
		}
		b.add(a.ID, a.Name, string(uris), a.Active, a.CreatedBy, a.CreatedAt, a.UpdatedAt)
	}
	if err := w.flush(ctx, &b, store.ImportClientApps, "client_apps", clientAppColumns, rep); err != nil {
		return err
	}
	for _, e := range p.Activity {
		b.add(e.ID, e.Action, string(e.ActorType), e.ActorID, e.ActorLabel, e.TargetType, e.TargetID, e.WorkspaceID,
			string(e.Detail), e.CreatedAt)
	}
	return w.flush(ctx, &b, store.ImportActivity, "activity_logs", activityColumns, rep)
}

// clientAppColumns are the columns of client_apps.
const clientAppColumns = "id, name, redirect_uris, is_active, created_by, created_at, updated_at"

// importServices creates the services (or finds those that exist by name)
// and inserts their keys, with one OpKey change per service that got keys
// (as CreateKey appends), so replicas drop what they cached about them.
func (w *writer) importServices(ctx context.Context, svcs []store.ImportService, rep *store.ImportReport, at time.Time) error {
	var (
		b, keys importBatch
		changes []store.Change
	)
	for _, svc := range svcs {
		var existing string
		err := w.c.queryRow(ctx, `SELECT id FROM services WHERE name = ?`, svc.Name).Scan(&existing)
		switch err = notFound(err); {
		case err == nil:
			svc.ID = existing
			rep.ReusedServices = append(rep.ReusedServices, svc.Name)
		case errors.Is(err, store.ErrNotFound):
			b.add(svc.ID, svc.Name, svc.CreatedAt)
		default:
			return fmt.Errorf("look up service %q: %w", svc.Name, err)
		}
		for _, k := range svc.Keys {
			keys.add(uuid.NewString(), svc.ID, k.Hash, k.Prefix, k.CreatedAt, k.LastUsedAt, (*time.Time)(nil), k.RevokedAt)
		}
		if len(svc.Keys) > 0 {
			changes = append(changes, store.Change{ServiceID: svc.ID, Op: store.OpKey, At: at})
		}
	}
	if err := w.flush(ctx, &b, store.ImportServices, "services", serviceInsertColumns, rep); err != nil {
		return err
	}
	// A hash stored already (a key of this store) fails the insert: no key
	// may authenticate two services.
	if err := w.flush(ctx, &keys, store.ImportKeys, "service_keys",
		"id, service_id, key_hash, prefix, created_at, last_used_at, expires_at, revoked_at", rep); err != nil {
		return err
	}
	if len(changes) == 0 {
		return nil
	}
	_, err := w.appendChanges(ctx, changes)
	return err
}

// importTuples returns the system tuples of every row of p, as the store's
// methods write them with those rows.
func importTuples(p store.ImportSnapshot) []tuple.Tuple {
	var ts []tuple.Tuple
	for _, m := range p.Memberships {
		ts = append(ts, memberTuple(m.WorkspaceID, m.UserID, m.Role))
	}
	for _, g := range p.Groups {
		ts = append(ts, groupWorkspaceTuple(g.ID, g.WorkspaceID))
	}
	for _, m := range p.GroupMembers {
		ts = append(ts, groupMemberTuple(m.GroupID, m.Type, m.MemberID))
	}
	keys := make(map[string]store.ResourceKey, len(p.Resources))
	for _, r := range p.Resources {
		keys[r.ID] = r.Key
		ts = append(ts, resourceRow{Resource: r, parent: keys[r.ParentID]}.allTuples()...)
	}
	roles := make(map[string]string, len(p.Roles))
	for _, r := range p.Roles {
		roles[r.ID] = r.WorkspaceID
		ts = append(ts, roleWorkspaceTuple(r.ID, r.WorkspaceID))
	}
	for _, ra := range p.RoleActions {
		ts = append(ts, grantTuple(roles[ra.RoleID], ra.ServiceActionID, ra.RoleID))
	}
	for _, a := range p.RoleAssignments {
		ts = append(ts, assigneeTuple(a.RoleID, a.Assignee))
	}
	return ts
}

// importEntry is the activity entry of the import itself.
func importEntry(rep store.ImportReport, at time.Time) store.ActivityEntry {
	detail, _ := json.Marshal(map[string]any{"imported": rep.Imported, "skipped": len(rep.Skipped),
		"system_tuples": rep.SystemTuples, "reused_services": rep.ReusedServices})
	return store.ActivityEntry{Action: store.ImportedAction, ActorType: store.ActorAdmin, ActorLabel: "sentinel import",
		Detail: detail, CreatedAt: at}
}

// importBatch collects rows of one table for flush.
type importBatch struct{ rows [][]any }

func (b *importBatch) add(values ...any) { b.rows = append(b.rows, values) }

// flush inserts the rows of b into table (columns: a constant of this
// package) in multi-row statements, adds their number to the report under
// name, and empties b. A row that does not go in fails the import.
func (w *writer) flush(ctx context.Context, b *importBatch, name, table, columns string, rep *store.ImportReport) error {
	rows := b.rows
	*b = importBatch{}
	if _, ok := rep.Imported[name]; !ok {
		rep.Imported[name] = 0
	}
	if len(rows) == 0 {
		return nil
	}
	width := len(rows[0])
	for start := 0; start < len(rows); start += batchSize {
		batch := rows[start:min(start+batchSize, len(rows))]
		args := make([]any, 0, len(batch)*width)
		for _, r := range batch {
			args = append(args, r...)
		}
		n, err := w.c.exec(ctx, `INSERT INTO `+table+` (`+columns+`) VALUES `+placeholders(len(batch), width)+
			` ON CONFLICT DO NOTHING`, args...)
		if err != nil {
			return fmt.Errorf("insert %s: %w", name, err)
		}
		if int(n) != len(batch) {
			return fmt.Errorf("insert %s: %d of %d rows collide with stored ones: %w", name, len(batch)-int(n), len(batch), store.ErrAlreadyExists)
		}
	}
	rep.Imported[name] += len(rows)
	return nil
}
