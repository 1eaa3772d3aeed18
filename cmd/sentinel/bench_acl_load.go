package main

// Loading the ACL modes' dataset through the server's own routes: users
// signed in through the identity provider, workspaces created by their
// owners, members added by the admin CSV import, groups by the owners,
// resources registered with the service key and shared by their
// workspace's owner. Every step is idempotent (an existing workspace or
// group is found, an existing member skipped, a registration answered as
// stored, a share upserted), so a rerun completes a partial load.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// aclServer is the dataset as the server knows it: its ids for the
// dataset's users, workspaces and groups.
type aclServer struct {
	c   *benchClient
	o   *benchOptions
	d   *aclDataset
	key string

	users      []string // user ids, by user index
	emails     []string
	workspaces []string    // workspace ids, by index
	groups     [][2]string // group ids g0 and g1, by workspace

	mu     sync.Mutex
	owners []signIn // each workspace's owner, signed in for it
}

// load writes the dataset; with --skip-load it only finds the ids of what
// an earlier run wrote and registers no resources.
func (a *aclServer) load(ctx context.Context, out, progress io.Writer) error {
	d := a.d
	a.users, a.emails = make([]string, d.users()), make([]string, d.users())
	a.workspaces, a.groups = make([]string, d.workspaces), make([][2]string, d.workspaces)
	a.owners = make([]signIn, d.workspaces)

	start := time.Now()
	bar := newLoadProgress(progress, d.users(), "users")
	err := parallel(ctx, d.users(), a.o.writers, func(ctx context.Context, i int) error {
		s, err := exchange(ctx, a.c, a.o, a.key, d.subject(i), "")
		if err != nil {
			return err
		}
		a.users[i], a.emails[i] = s.userID, s.email
		if i%d.members == 0 {
			a.owners[i/d.members] = s // workspace-less: enough to create the workspace
		}
		bar.add(1)
		return nil
	})
	if err != nil {
		return err
	}
	bar.finish()
	fmt.Fprintf(out, "signed in %d users through POST /v1/authz/token in %s\n", d.users(), time.Since(start).Round(time.Millisecond))

	start = time.Now()
	if err := parallel(ctx, d.workspaces, a.o.writers, a.workspace); err != nil {
		return err
	}
	fmt.Fprintf(out, "%d workspaces (POST /workspaces) in %s\n", d.workspaces, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	added, skipped, err := a.importMembers(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "members: %d added, %d already there (POST /admin/import/csv/execute) in %s\n", added, skipped, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	if err := parallel(ctx, d.workspaces, a.o.writers, a.groupsOf); err != nil {
		return err
	}
	fmt.Fprintf(out, "groups: 2 a workspace, the second nested in the first, in %s\n", time.Since(start).Round(time.Millisecond))
	if a.o.skipLoad {
		return nil
	}

	start = time.Now()
	bar = newLoadProgress(progress, len(d.resources), "resources")
	var shares int
	var mu sync.Mutex
	err = parallel(ctx, len(d.resources), a.o.writers, func(ctx context.Context, i int) error {
		shared, err := a.register(ctx, &d.resources[i])
		if err != nil {
			return err
		}
		if shared {
			mu.Lock()
			shares++
			mu.Unlock()
		}
		bar.add(1)
		return nil
	})
	if err != nil {
		return err
	}
	bar.finish()
	took := time.Since(start)
	fmt.Fprintf(out, "registered %d resources (POST /permissions/register) and %d shares (POST /permissions/{id}/share) in %s: %.0f requests/s\n",
		len(d.resources), shares, took.Round(time.Millisecond), float64(len(d.resources)+shares)/took.Seconds())
	return nil
}

// owner returns a token of workspace w's owner for w, signing in again
// when it has lived half its life.
func (a *aclServer) owner(ctx context.Context, w int) (string, error) {
	a.mu.Lock()
	s := a.owners[w]
	a.mu.Unlock()
	if s.fresh() {
		return s.token, nil
	}
	s, err := exchange(ctx, a.c, a.o, a.key, a.d.subject(w*a.d.members), a.workspaces[w])
	if err != nil {
		return "", err
	}
	a.mu.Lock()
	a.owners[w] = s
	a.mu.Unlock()
	return s.token, nil
}

type wsJSON struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// workspace creates workspace w as its owner, or finds it.
func (a *aclServer) workspace(ctx context.Context, w int) error {
	hdr := bearer(a.owners[w].token)
	slug := a.d.slug(w)
	var ws wsJSON
	err := retry(ctx, func() error {
		return a.c.callWith(ctx, "POST", "/workspaces", hdr, map[string]string{"name": "Bench " + slug, "slug": slug}, http.StatusCreated, &ws)
	})
	var se *statusError
	if errors.As(err, &se) && se.status == http.StatusConflict {
		var mine []wsJSON
		if err = a.c.callWith(ctx, "GET", "/workspaces", hdr, nil, http.StatusOK, &mine); err != nil {
			return err
		}
		for _, m := range mine {
			if m.Slug == slug {
				ws = m
			}
		}
		if ws.ID == "" {
			return fmt.Errorf("workspace %s exists but its owner %s is not a member", slug, a.d.subject(w*a.d.members))
		}
	} else if err != nil {
		return err
	}
	a.workspaces[w] = ws.ID
	a.owners[w] = signIn{} // that token has no workspace
	return nil
}

// importMembers adds every member but the owners through the admin CSV
// import, at most 1,000 rows an import.
func (a *aclServer) importMembers(ctx context.Context) (added, skipped int, err error) {
	d := a.d
	var rows [][4]string
	for w := range d.workspaces {
		for _, u := range d.wsMembers(w) {
			if role := d.role(u, w); role != roleOwner {
				rows = append(rows, [4]string{a.emails[u], d.subject(u), d.slug(w), role})
			}
		}
	}
	hdr := bearer(a.o.adminKey)
	hdr.Set("X-Requested-With", "sentinel-bench")
	hdr.Set("Content-Type", "text/csv")
	for len(rows) > 0 {
		n := min(len(rows), 1000)
		var res struct {
			Added, Invited, Skipped, Failed int
		}
		if err := a.c.callWith(ctx, "POST", "/admin/import/csv/execute", hdr, csvBody(rows[:n]), http.StatusOK, &res); err != nil {
			return added, skipped, err
		}
		if res.Invited > 0 || res.Failed > 0 {
			return added, skipped, fmt.Errorf("CSV import: %d rows invited (not users), %d failed", res.Invited, res.Failed)
		}
		added, skipped = added+res.Added, skipped+res.Skipped
		rows = rows[n:]
	}
	return added, skipped, nil
}

type groupJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// groupsOf creates (or finds) workspace w's groups as its owner, with
// their users, and nests g1 in g0.
func (a *aclServer) groupsOf(ctx context.Context, w int) error {
	tok, err := a.owner(ctx, w)
	if err != nil {
		return err
	}
	hdr := bearer(tok)
	base := "/workspaces/" + a.workspaces[w] + "/groups"
	ok := func(err error) error { // already there is done
		var se *statusError
		if errors.As(err, &se) && se.status == http.StatusConflict {
			return nil
		}
		return err
	}
	for g := range 2 {
		name := fmt.Sprintf("g%d", g)
		var grp groupJSON
		err := a.c.callWith(ctx, "POST", base, hdr, map[string]string{"name": name}, http.StatusCreated, &grp)
		if ok(err) != nil {
			return err
		}
		if err != nil { // exists
			var all []groupJSON
			if err := a.c.callWith(ctx, "GET", base, hdr, nil, http.StatusOK, &all); err != nil {
				return err
			}
			for _, x := range all {
				if x.Name == name {
					grp = x
				}
			}
		}
		a.groups[w][g] = grp.ID
		for _, u := range a.d.groupUsers(w, g) {
			if err := ok(a.c.callWith(ctx, "POST", base+"/"+grp.ID+"/members/"+a.users[u], hdr, nil, http.StatusCreated, nil)); err != nil {
				return err
			}
		}
	}
	return ok(a.c.callWith(ctx, "POST", base+"/"+a.groups[w][0]+"/groups/"+a.groups[w][1], hdr, nil, http.StatusCreated, nil))
}

// register registers r with the service key and, if it has a share,
// shares it as its workspace's owner; shared says whether it did.
func (a *aclServer) register(ctx context.Context, r *aclResource) (shared bool, err error) {
	vis := "workspace"
	if r.private {
		vis = "private"
	}
	body := map[string]string{"service_name": a.o.service, "resource_type": "doc", "resource_id": r.id,
		"workspace_id": a.workspaces[r.ws], "owner_id": a.users[r.owner], "visibility": vis}
	var reg struct {
		ID string `json:"id"`
	}
	hdr := http.Header{"X-Service-Key": {a.key}}
	if err := retry(ctx, func() error {
		return a.c.callWith(ctx, "POST", "/permissions/register", hdr, body, http.StatusCreated, &reg)
	}); err != nil {
		return false, err
	}
	s := r.share
	if s == nil {
		return false, nil
	}
	share := map[string]string{"grantee_type": "user", "permission": "view"}
	if s.group >= 0 {
		share["grantee_type"], share["grantee_id"] = "group", a.groups[r.ws][s.group]
	} else {
		share["grantee_id"] = a.users[s.user]
	}
	if s.edit {
		share["permission"] = "edit"
	}
	err = retry(ctx, func() error {
		tok, err := a.owner(ctx, r.ws)
		if err != nil {
			return err
		}
		h := http.Header{"X-Service-Key": {a.key}, "Authorization": {"Bearer " + tok}}
		return a.c.callWith(ctx, "POST", "/permissions/"+url.PathEscape(reg.ID)+"/share", h, share, http.StatusOK, nil)
	})
	return err == nil, err
}
