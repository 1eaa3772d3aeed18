package sqlstore

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

// Validation of an import snapshot, before anything is written: every id
// in canonical form, every reference resolved inside the snapshot (the
// store it goes to has no users or workspaces), and every row held to the
// rules the store's own methods enforce. A row that breaks a rule is
// skipped and reported; a snapshot that cannot be stored at all (a
// malformed id, two rows with one key) is store.ErrInvalidImport.

// importCheck is the state of one validation: what was kept so far.
type importCheck struct {
	at    time.Time // stands in for missing times
	out   store.ImportSnapshot
	skips []store.ImportSkip

	users      map[string]store.User
	workspaces map[string]bool
	members    map[[2]string]bool // (workspace, user)
	groups     map[string]string  // group → workspace
	nested     map[string][]string
	resources  map[string]store.Resource
	actions    map[string]bool
	roles      map[string]string // role → workspace
}

// checkImport validates in and returns what to write and what was skipped.
func checkImport(in store.ImportSnapshot, at time.Time) (store.ImportSnapshot, []store.ImportSkip, error) {
	c := &importCheck{at: at,
		users: map[string]store.User{}, workspaces: map[string]bool{}, members: map[[2]string]bool{},
		groups: map[string]string{}, nested: map[string][]string{}, resources: map[string]store.Resource{},
		actions: map[string]bool{}, roles: map[string]string{},
	}
	for _, step := range []func(store.ImportSnapshot) error{
		c.checkUsers, c.checkIdentities, c.checkWorkspaces, c.checkGroups, c.checkGroupMembers,
		c.checkResources, c.checkRBAC, c.checkServices, c.checkClientApps, c.checkActivity,
	} {
		if err := step(in); err != nil {
			return store.ImportSnapshot{}, nil, err
		}
	}
	return c.out, c.skips, nil
}

// invalidImport wraps store.ErrInvalidImport with what is wrong.
func invalidImport(format string, args ...any) error {
	return fmt.Errorf("%w: %s", store.ErrInvalidImport, fmt.Sprintf(format, args...))
}

func (c *importCheck) skip(table, id, format string, args ...any) {
	c.skips = append(c.skips, store.ImportSkip{Table: table, ID: id, Reason: fmt.Sprintf(format, args...)})
}

// importID returns the canonical form of a row's id; a malformed id fails.
func importID(what, id string) (string, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return "", invalidImport("%s id %q is not a UUID", what, id)
	}
	return u.String(), nil
}

// optionalID canonicalizes an id that is only kept for display (a
// creator, a granter): a UUID in canonical form, anything else as it is.
func optionalID(id string) string {
	if u, err := uuid.Parse(id); err == nil {
		return u.String()
	}
	return id
}

// stamp returns t as stored, or def when t is zero.
func stamp(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return normTime(t)
}

// unique fails if key was seen already, and records it.
func unique[K comparable](seen map[K]bool, key K, format string, args ...any) error {
	if seen[key] {
		return invalidImport(format, args...)
	}
	seen[key] = true
	return nil
}

func (c *importCheck) checkUsers(in store.ImportSnapshot) error {
	emails := map[string]string{}
	for _, u := range in.Users {
		id, err := importID("user", u.ID)
		if err != nil {
			return err
		}
		if _, dup := c.users[id]; dup {
			return invalidImport("user %s appears twice", id)
		}
		u.ID, u.Email = id, normEmail(u.Email)
		if u.Email == "" {
			return invalidImport("user %s has no email", id)
		}
		if other, dup := emails[u.Email]; dup {
			return invalidImport("users %s and %s have the same email %q ignoring case (Sentinel compares emails ignoring case): merge them before importing", other, id, u.Email)
		}
		emails[u.Email] = id
		u.CreatedAt = stamp(u.CreatedAt, c.at)
		u.UpdatedAt = stamp(u.UpdatedAt, u.CreatedAt)
		c.users[id] = u
		c.out.Users = append(c.out.Users, u)
	}
	return nil
}

func (c *importCheck) checkIdentities(in store.ImportSnapshot) error {
	seen := map[[2]string]bool{}
	for _, id := range in.Identities {
		uid, err := importID("identity's user", id.UserID)
		if err != nil {
			return err
		}
		key := id.Provider + "|" + id.Subject
		u, ok := c.users[uid]
		switch {
		case !ok:
			c.skip(store.ImportIdentities, key, "user %s is not imported", uid)
			continue
		case id.Provider == "" || id.Subject == "":
			c.skip(store.ImportIdentities, key, "provider and subject are required")
			continue
		}
		if err := unique(seen, [2]string{id.Provider, id.Subject}, "identity %s/%s appears twice", id.Provider, id.Subject); err != nil {
			return err
		}
		claims, ok := importClaims(id.Claims)
		if !ok {
			c.skip(store.ImportIdentities, key, "claims are not JSON")
			continue
		}
		id.UserID, id.Claims = uid, claims
		if id.Email = normEmail(id.Email); id.Email == "" {
			id.Email = u.Email
		}
		id.CreatedAt = stamp(id.CreatedAt, u.CreatedAt)
		id.LastSeenAt = stamp(id.LastSeenAt, id.CreatedAt)
		c.out.Identities = append(c.out.Identities, id)
	}
	return nil
}

// importClaims returns claims as a JSON object: {} for none, the object
// itself, or any other JSON value wrapped as {"claims": value}.
func importClaims(raw []byte) ([]byte, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return []byte("{}"), true
	}
	if !json.Valid(raw) {
		return nil, false
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil && obj != nil {
		return raw, true
	}
	wrapped, err := json.Marshal(map[string]json.RawMessage{"claims": raw})
	return wrapped, err == nil
}

// checkWorkspaces checks workspaces and memberships together: a workspace
// whose creator is not imported is created by its first owner instead,
// and one without any member to stand in is skipped with its rows.
func (c *importCheck) checkWorkspaces(in store.ImportSnapshot) error {
	slugs := map[string]bool{}
	var kept []store.Workspace
	for _, ws := range in.Workspaces {
		id, err := importID("workspace", ws.ID)
		if err != nil {
			return err
		}
		if c.workspaces[id] {
			return invalidImport("workspace %s appears twice", id)
		}
		ws.ID, ws.Slug, ws.Name = id, strings.TrimSpace(ws.Slug), strings.TrimSpace(ws.Name)
		if ws.Slug == "" || ws.Name == "" {
			c.skip(store.ImportWorkspaces, id, "slug and name are required")
			continue
		}
		if err := unique(slugs, ws.Slug, "two workspaces have the slug %q", ws.Slug); err != nil {
			return err
		}
		c.workspaces[id] = true
		ws.CreatedAt = stamp(ws.CreatedAt, c.at)
		kept = append(kept, ws)
	}

	var members []store.Membership
	for _, m := range in.Memberships {
		wid, err := importID("membership's workspace", m.WorkspaceID)
		if err != nil {
			return err
		}
		uid, err := importID("membership's user", m.UserID)
		if err != nil {
			return err
		}
		key := wid + "/" + uid
		switch _, user := c.users[uid]; {
		case !c.workspaces[wid]:
			c.skip(store.ImportMemberships, key, "workspace %s is not imported", wid)
			continue
		case !user:
			c.skip(store.ImportMemberships, key, "user %s is not imported", uid)
			continue
		case !m.Role.Valid():
			c.skip(store.ImportMemberships, key, "role %q is not owner, admin, editor or viewer", m.Role)
			continue
		}
		if c.members[[2]string{wid, uid}] {
			return invalidImport("user %s is a member of workspace %s twice", uid, wid)
		}
		c.members[[2]string{wid, uid}] = true
		m.WorkspaceID, m.UserID, m.JoinedAt = wid, uid, stamp(m.JoinedAt, c.at)
		members = append(members, m)
	}

	for _, ws := range kept {
		if _, ok := c.users[optionalID(ws.CreatedBy)]; ok {
			ws.CreatedBy = optionalID(ws.CreatedBy)
		} else if ws.CreatedBy = standIn(members, ws.ID); ws.CreatedBy == "" {
			// No member either: nothing of it is imported.
			c.skip(store.ImportWorkspaces, ws.ID, "its creator is not imported and it has no member to stand in")
			delete(c.workspaces, ws.ID)
			continue
		}
		c.out.Workspaces = append(c.out.Workspaces, ws)
	}
	c.out.Memberships = members
	return nil
}

// standIn returns the member of the workspace who stands in for a missing
// creator: the earliest owner, else the earliest member, else "".
func standIn(members []store.Membership, workspaceID string) string {
	var best *store.Membership
	better := func(m *store.Membership) bool {
		if best == nil {
			return true
		}
		if (m.Role == store.RoleOwner) != (best.Role == store.RoleOwner) {
			return m.Role == store.RoleOwner
		}
		return m.JoinedAt.Before(best.JoinedAt) || m.JoinedAt.Equal(best.JoinedAt) && m.UserID < best.UserID
	}
	for i := range members {
		if m := &members[i]; m.WorkspaceID == workspaceID && better(m) {
			best = m
		}
	}
	if best == nil {
		return ""
	}
	return best.UserID
}

func (c *importCheck) checkGroups(in store.ImportSnapshot) error {
	names := map[[2]string]bool{}
	for _, g := range in.Groups {
		id, err := importID("group", g.ID)
		if err != nil {
			return err
		}
		wid, err := importID("group's workspace", g.WorkspaceID)
		if err != nil {
			return err
		}
		if _, dup := c.groups[id]; dup {
			return invalidImport("group %s appears twice", id)
		}
		g.ID, g.WorkspaceID, g.Name = id, wid, strings.TrimSpace(g.Name)
		switch {
		case !c.workspaces[wid]:
			c.skip(store.ImportGroups, id, "workspace %s is not imported", wid)
			continue
		case g.Name == "":
			c.skip(store.ImportGroups, id, "name is required")
			continue
		}
		if err := unique(names, [2]string{wid, g.Name}, "workspace %s has two groups named %q", wid, g.Name); err != nil {
			return err
		}
		g.CreatedBy, g.CreatedAt = optionalID(g.CreatedBy), stamp(g.CreatedAt, c.at)
		c.groups[id] = wid
		c.out.Groups = append(c.out.Groups, g)
	}
	return nil
}

func (c *importCheck) checkGroupMembers(in store.ImportSnapshot) error {
	seen := map[[3]string]bool{}
	for _, m := range in.GroupMembers {
		gid, err := importID("group member's group", m.GroupID)
		if err != nil {
			return err
		}
		mid, err := importID("group member", m.MemberID)
		if err != nil {
			return err
		}
		key := gid + "/" + string(m.Type) + "/" + mid
		wid, ok := c.groups[gid]
		if !ok {
			c.skip(store.ImportGroupMembers, key, "group %s is not imported", gid)
			continue
		}
		switch m.Type {
		case store.GroupMemberUser:
			if !c.members[[2]string{wid, mid}] {
				c.skip(store.ImportGroupMembers, key, "user %s is not a member of the group's workspace", mid)
				continue
			}
		case store.GroupMemberGroup:
			if c.groups[mid] != wid {
				c.skip(store.ImportGroupMembers, key, "group %s is not a group of the same workspace", mid)
				continue
			}
			if mid == gid || c.contains(mid, gid) {
				c.skip(store.ImportGroupMembers, key, "group %s contains group %s: a cycle", mid, gid)
				continue
			}
			c.nested[gid] = append(c.nested[gid], mid)
		default:
			c.skip(store.ImportGroupMembers, key, "member type %q is neither user nor group", m.Type)
			continue
		}
		if err := unique(seen, [3]string{gid, string(m.Type), mid}, "group member %s appears twice", key); err != nil {
			return err
		}
		m.GroupID, m.MemberID, m.AddedAt = gid, mid, stamp(m.AddedAt, c.at)
		c.out.GroupMembers = append(c.out.GroupMembers, m)
	}
	return nil
}

// contains reports whether group outer contains group inner through the
// nested groups kept so far.
func (c *importCheck) contains(outer, inner string) bool {
	seen := map[string]bool{}
	stack := []string{outer}
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, h := range c.nested[g] {
			if h == inner {
				return true
			}
			if !seen[h] {
				seen[h] = true
				stack = append(stack, h)
			}
		}
	}
	return false
}
