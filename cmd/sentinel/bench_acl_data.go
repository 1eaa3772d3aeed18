package main

// The dataset of the ACL modes (--mode permissions-check, accessible) and
// the original's check rules evaluated on it, the reference every answer
// of the server is compared with.

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/google/uuid"
)

// The roles of the original's workspaces.
const (
	roleOwner  = "owner"
	roleAdmin  = "admin"
	roleEditor = "editor"
	roleViewer = "viewer"
)

// aclShape sizes the dataset.
type aclShape struct {
	workspaces, members, resources int
	seed                           uint64
}

// aclResource is one registered resource.
type aclResource struct {
	id      string // the resource_id, a UUID
	ws      int    // workspace index
	owner   int    // user index
	private bool   // visibility private (else workspace)
	share   *aclShare
}

// aclShare is a resource's share: to a user, or to group 0 or 1 of the
// resource's workspace.
type aclShare struct {
	group int // -1: to user
	user  int
	edit  bool
}

// aclDataset is the whole population, deterministic for a shape. Users
// are indexed w*members+u: user u of workspace w is its owner (u = 0),
// admin (1), an editor (2, 3) or a viewer (4 and up). The last viewer of
// each workspace is also a viewer ("guest") of the next one, so a user's
// reach spans workspaces. Each workspace has groups g0 (the first half of
// its viewers) and g1 (the second half), g1 nested in g0. Resource i is in
// workspace i mod workspaces, owned by a random member; 15% are private,
// 20% have a share (half to a member, half to a group, view or edit).
type aclDataset struct {
	aclShape
	resources []aclResource
	byWs      [][]int // resource indices per workspace
}

// newACLDataset draws the dataset of the shape.
func newACLDataset(s aclShape) *aclDataset {
	d := &aclDataset{aclShape: s, resources: make([]aclResource, s.resources), byWs: make([][]int, s.workspaces)}
	rng := rand.New(rand.NewPCG(s.seed, s.seed^0x5e17_1e1))
	for i := range d.resources {
		w := i % s.workspaces
		r := aclResource{id: randUUID(rng), ws: w, owner: w*s.members + rng.IntN(s.members), private: rng.IntN(100) < 15}
		if rng.IntN(100) < 20 {
			sh := &aclShare{group: -1, edit: rng.IntN(2) == 0}
			if rng.IntN(2) == 0 {
				sh.group = rng.IntN(2)
			} else {
				members := d.wsMembers(w)
				sh.user = members[rng.IntN(len(members))]
			}
			r.share = sh
		}
		d.resources[i] = r
		d.byWs[w] = append(d.byWs[w], i)
	}
	return d
}

// randUUID draws a version 4 UUID from rng.
func randUUID(rng *rand.Rand) string {
	var u uuid.UUID
	for i := range u {
		u[i] = byte(rng.Uint32())
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u.String()
}

func (d *aclDataset) users() int { return d.workspaces * d.members }

// subject is the user's subject at the identity provider.
func (d *aclDataset) subject(user int) string {
	return fmt.Sprintf("bench%d-w%d-u%d", d.seed, user/d.members, user%d.members)
}

// slug is the workspace's slug.
func (d *aclDataset) slug(w int) string { return fmt.Sprintf("bench%d-w%d", d.seed, w) }

// guest is the user who is a viewer of w besides its own members, or -1.
func (d *aclDataset) guest(w int) int {
	if d.workspaces < 2 {
		return -1
	}
	prev := (w + d.workspaces - 1) % d.workspaces
	return prev*d.members + d.members - 1
}

// wsMembers lists the users of workspace w: its own, then its guest.
func (d *aclDataset) wsMembers(w int) []int {
	out := make([]int, 0, d.members+1)
	for u := range d.members {
		out = append(out, w*d.members+u)
	}
	if g := d.guest(w); g >= 0 {
		out = append(out, g)
	}
	return out
}

// role is the user's role in workspace w, "" if not a member.
func (d *aclDataset) role(user, w int) string {
	if user == d.guest(w) {
		return roleViewer
	}
	if user/d.members != w {
		return ""
	}
	switch u := user % d.members; {
	case u == 0:
		return roleOwner
	case u == 1:
		return roleAdmin
	case u < 4:
		return roleEditor
	}
	return roleViewer
}

// groupUsers lists the users added to group g of workspace w directly.
func (d *aclDataset) groupUsers(w, g int) []int {
	viewers := d.members - 4
	from, to := 4, 4+viewers/2
	if g == 1 {
		from, to = to, d.members
	}
	out := make([]int, 0, to-from)
	for u := from; u < to; u++ {
		out = append(out, w*d.members+u)
	}
	return out
}

// inGroup reports whether the user is in group g of workspace w, nested
// groups included (g1 is a member of g0).
func (d *aclDataset) inGroup(user, w, g int) bool {
	if user/d.members != w {
		return false
	}
	u := user % d.members
	half := 4 + (d.members-4)/2
	if g == 1 {
		return u >= half
	}
	return u >= 4
}

// allowed is the original's check (COMPAT.md, first match wins) of the
// user, with a token for workspace tw, on resource r.
func (d *aclDataset) allowed(user, tw int, r *aclResource, edit bool) bool {
	role := d.role(user, tw)
	switch {
	case role == "" || r.ws != tw:
		return false
	case r.owner == user, role == roleOwner, role == roleAdmin:
		return true
	case !r.private && (!edit || role == roleEditor):
		return true
	}
	s := r.share
	if s == nil || (edit && !s.edit) {
		return false
	}
	if s.group < 0 {
		return s.user == user
	}
	return d.inGroup(user, tw, s.group)
}

// accessible is the original's /permissions/accessible for a user who is
// not an admin or owner of tw: the ids of tw's resources they may view
// (edit), sorted.
func (d *aclDataset) accessible(user, tw int, edit bool) []string {
	var ids []string
	for _, i := range d.byWs[tw] {
		if r := &d.resources[i]; d.allowed(user, tw, r, edit) {
			ids = append(ids, r.id)
		}
	}
	slices.Sort(ids)
	return ids
}
