package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sentinel-auth/sentinel/store"
)

// isoDigest is the state of the isolation test's world, by section, read
// through the store's own list methods: a refused request must leave every
// section as it was, an allowed one every section of the other tenants.
//
// Sections: "head" (the changelog head: any write of rows with tuples, of
// keys, models or users moves it), "activity" (entries recorded),
// "ws:A"/"ws:B" (the workspace, members, invitations, groups and their
// members, custom roles with their actions and holders), "res:A"/"res:B"
// (its registered resources with their shares), "svc:one"/"svc:two" (the
// service, its keys, model, tuples and actions) and "users:A"/"users:B"/
// "users:x" (the user rows of each tenant's members; x: the member of both
// and the outsider).
type isoDigest map[string]string

// isoSections are the digest's sections.
var isoSections = []string{"head", "activity", "ws:A", "ws:B", "res:A", "res:B",
	"svc:one", "svc:two", "users:A", "users:B", "users:x"}

func (w *isoWorld) digest() isoDigest {
	w.t.Helper()
	d := isoDigest{}
	put := func(section string, v any) {
		raw, err := json.Marshal(v)
		if err != nil {
			w.t.Fatal(err)
		}
		d[section] = string(raw)
	}
	head, err := w.st.HeadRevision(w.ctx)
	w.check(err)
	put("head", head)
	_, n, err := w.st.ListActivity(w.ctx, store.ActivityFilter{}, 1, 1)
	w.check(err)
	put("activity", n)
	for _, tn := range []*isoTenant{w.a, w.b} {
		put("ws:"+tn.name, w.workspaceState(tn.ws.ID))
		rs, _, err := w.st.ListResources(w.ctx, store.ResourceFilter{WorkspaceID: tn.ws.ID}, 1, 1000)
		w.check(err)
		put("res:"+tn.name, rs)
		put("users:"+tn.name, w.userRows(tn.owner, tn.admin, tn.editor, tn.viewer))
	}
	put("users:x", w.userRows(w.dual, w.outsider))
	put("svc:one", w.serviceState(w.one))
	put("svc:two", w.serviceState(w.two))
	return d
}

// check fails the test on a store error.
func (w *isoWorld) check(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *isoWorld) userRows(users ...isoUser) []store.User {
	out := make([]store.User, len(users))
	for i, u := range users {
		var err error
		out[i], err = w.st.UserByID(w.ctx, u.id)
		w.check(err)
	}
	return out
}

type isoGroupState struct {
	Group   store.Group
	Members []store.GroupMember
}

type isoRoleState struct {
	Role    store.RBACRole
	Actions []store.ServiceAction
	Holders []store.RoleAssignment
}

type isoWorkspaceState struct {
	Workspace   store.Workspace
	Gone        bool
	Members     []store.Member
	Invitations []store.Invitation
	Groups      []isoGroupState
	Roles       []isoRoleState
}

func (w *isoWorld) workspaceState(id string) isoWorkspaceState {
	w.t.Helper()
	ctx, st := w.ctx, w.st
	ws, err := st.Workspace(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return isoWorkspaceState{Gone: true}
	}
	w.check(err)
	s := isoWorkspaceState{Workspace: ws}
	s.Members, err = st.ListMembers(ctx, id, "", 10000)
	w.check(err)
	s.Invitations, err = st.Invitations(ctx, id)
	w.check(err)
	groups, err := st.GroupsOf(ctx, id)
	w.check(err)
	slices.SortFunc(groups, func(a, b store.Group) int { return strings.Compare(a.ID, b.ID) })
	for _, g := range groups {
		ms, err := st.ListGroupMembers(ctx, g.ID)
		w.check(err)
		s.Groups = append(s.Groups, isoGroupState{g, ms})
	}
	roles, err := st.Roles(ctx, id)
	w.check(err)
	slices.SortFunc(roles, func(a, b store.RBACRole) int { return strings.Compare(a.ID, b.ID) })
	for _, r := range roles {
		acts, err := st.RoleActions(ctx, r.ID)
		w.check(err)
		holders, err := st.RoleAssignments(ctx, r.ID)
		w.check(err)
		s.Roles = append(s.Roles, isoRoleState{r, acts, holders})
	}
	return s
}

type isoServiceState struct {
	Service store.Service
	Keys    []store.Key
	Model   string
	Tuples  []string
	Actions []store.ServiceAction
}

func (w *isoWorld) serviceState(s isoService) isoServiceState {
	w.t.Helper()
	ctx, st := w.ctx, w.st
	svc, err := st.ServiceByName(ctx, s.name)
	w.check(err)
	out := isoServiceState{Service: svc}
	keys, err := st.ListKeys(ctx, svc.ID)
	w.check(err)
	for _, k := range keys {
		k.LastUsedAt = nil // every authenticated request touches it
		out.Keys = append(out.Keys, k)
	}
	m, err := st.CurrentModel(ctx, svc.ID)
	w.check(err)
	out.Model = fmt.Sprintf("%s v%d", m.ID, m.Version)
	cursor := ""
	for {
		ts, next, err := st.ReadTuples(ctx, svc.ID, store.TupleFilter{}, cursor, 1000)
		w.check(err)
		for _, t := range ts {
			out.Tuples = append(out.Tuples, t.String())
		}
		if next == "" {
			break
		}
		cursor = next
	}
	out.Actions, err = st.ServiceActions(ctx, s.name)
	w.check(err)
	return out
}

// changed lists the sections that differ between d and after, except the
// allowed ones.
func (d isoDigest) changed(after isoDigest, allowed []string) []string {
	var out []string
	for _, s := range isoSections {
		if d[s] != after[s] && !slices.Contains(allowed, s) {
			out = append(out, s)
		}
	}
	return out
}
