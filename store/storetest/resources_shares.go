package storetest

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

// share grants g on the resource and fails the test on an error.
func (f *resFixture) share(t testing.TB, id string, g store.ResourceGrant) store.ResourceShare {
	t.Helper()
	sh, err := f.s.ShareResource(t.Context(), id, g)
	if err != nil {
		t.Fatalf("ShareResource(%s, %+v): %v", id, g, err)
	}
	return sh
}

// resShareTuple is the tuple of a share of r as a string.
func resShareTuple(r store.Resource, gt store.GranteeType, gid string, p store.SharePermission) string {
	rel := map[store.SharePermission]string{store.ShareView: "shared_viewer", store.ShareEdit: "shared_editor"}[p]
	user := "user:" + gid
	if gt == store.GranteeGroup {
		user = "group:" + gid + "#member"
	}
	return resObj(r.Key) + "#" + rel + "@" + user
}

func testShareResource(t *testing.T, s ResourceStore) {
	f := newResFixture(t, s)
	r := f.register(t, f.doc(store.VisibilityPrivate))
	base := resBaseTuples(r, nil)

	// A user share, view.
	before := head(t, s)
	view := f.share(t, r.ID, store.ResourceGrant{GranteeType: store.GranteeUser, GranteeID: strings.ToUpper(f.bob),
		Permission: store.ShareView, GrantedBy: f.anne})
	if _, err := uuid.Parse(view.ID); err != nil || view.GranteeType != store.GranteeUser || view.GranteeID != f.bob ||
		view.Permission != store.ShareView || view.GrantedBy != f.anne || view.GrantedAt.IsZero() {
		t.Fatalf("ShareResource = %+v", view)
	}
	bobView := resShareTuple(r, store.GranteeUser, f.bob, store.ShareView)
	equalStrings(t, "changes of a view share", resSystemChanges(t, s, before), resPrefixed("write", bobView))
	r.Shares = []store.ResourceShare{view}
	if got := resOf(t, s, r.ID); !reflect.DeepEqual(got, r) {
		t.Fatalf("after share: %+v, want %+v", got, r)
	}

	// The same grant again changes nothing and returns the stored share.
	st := resStateOf(t, s)
	again := f.share(t, r.ID, store.ResourceGrant{GranteeType: store.GranteeUser, GranteeID: f.bob,
		Permission: store.ShareView, GrantedBy: f.bob})
	if again != view {
		t.Fatalf("same grant again = %+v, want %+v", again, view)
	}
	resUnchanged(t, s, st, "the same grant again")

	// Upsert: view → edit replaces shared_viewer by shared_editor, keeps
	// the share's id, and records the new grant.
	before = head(t, s)
	edit := f.share(t, r.ID, store.ResourceGrant{GranteeType: store.GranteeUser, GranteeID: f.bob,
		Permission: store.ShareEdit, GrantedBy: f.bob})
	if edit.ID != view.ID || edit.Permission != store.ShareEdit || edit.GrantedBy != f.bob || edit.GrantedAt.Before(view.GrantedAt) {
		t.Fatalf("upsert to edit = %+v (was %+v)", edit, view)
	}
	bobEdit := resShareTuple(r, store.GranteeUser, f.bob, store.ShareEdit)
	equalStrings(t, "changes of view → edit", resSystemChanges(t, s, before), resSorted("delete "+bobView, "write "+bobEdit))
	r.Shares = []store.ResourceShare{edit}
	if got := resOf(t, s, r.ID); !reflect.DeepEqual(got, r) {
		t.Fatalf("after upsert: %+v, want %+v", got, r)
	}

	// A group share, and the owner may be a grantee too.
	before = head(t, s)
	grp := f.share(t, r.ID, store.ResourceGrant{GranteeType: store.GranteeGroup, GranteeID: f.ga,
		Permission: store.ShareView, GrantedBy: f.anne})
	own := f.share(t, r.ID, store.ResourceGrant{GranteeType: store.GranteeUser, GranteeID: f.anne,
		Permission: store.ShareEdit, GrantedBy: f.anne})
	gaView := resShareTuple(r, store.GranteeGroup, f.ga, store.ShareView)
	anneEdit := resShareTuple(r, store.GranteeUser, f.anne, store.ShareEdit)
	if gaView != resObj(r.Key)+"#shared_viewer@group:"+f.ga+"#member" {
		t.Fatalf("group share tuple %q", gaView)
	}
	equalStrings(t, "changes of a group share", resSystemChanges(t, s, before), resPrefixed("write", gaView, anneEdit))
	equalStrings(t, "tuples", resTuples(t, s), resSorted(append(base, bobEdit, gaView, anneEdit)...))

	// edit → view, on the group.
	before = head(t, s)
	f.share(t, r.ID, store.ResourceGrant{GranteeType: store.GranteeGroup, GranteeID: f.ga, Permission: store.ShareEdit, GrantedBy: f.anne})
	grpEdit := f.share(t, r.ID, store.ResourceGrant{GranteeType: store.GranteeGroup, GranteeID: f.ga, Permission: store.ShareView, GrantedBy: f.bob})
	equalStrings(t, "changes of group view → edit → view", resSystemChanges(t, s, before), resSorted(
		"delete "+gaView, "write "+resShareTuple(r, store.GranteeGroup, f.ga, store.ShareEdit),
		"delete "+resShareTuple(r, store.GranteeGroup, f.ga, store.ShareEdit), "write "+gaView))
	if grpEdit.ID != grp.ID || grpEdit.GrantedBy != f.bob {
		t.Fatalf("group share after two upserts = %+v (was %+v)", grpEdit, grp)
	}
	got := resOf(t, s, r.ID)
	ids := make([]string, 0, len(got.Shares))
	for _, sh := range got.Shares {
		ids = append(ids, sh.ID)
	}
	if len(got.Shares) != 3 || !slices.Contains(ids, own.ID) || !slices.Contains(ids, grp.ID) || !slices.Contains(ids, edit.ID) {
		t.Fatalf("shares = %+v", got.Shares)
	}
	equalStrings(t, "tuples", resTuples(t, s), resSorted(append(base, bobEdit, gaView, anneEdit)...))
}

func testShareResourceRefused(t *testing.T, s ResourceStore) {
	f := newResFixture(t, s)
	r := f.register(t, f.doc(store.VisibilityWorkspace))
	f.share(t, r.ID, store.ResourceGrant{GranteeType: store.GranteeUser, GranteeID: f.bob, Permission: store.ShareView, GrantedBy: f.anne})
	ok := store.ResourceGrant{GranteeType: store.GranteeUser, GranteeID: f.bob, Permission: store.ShareEdit, GrantedBy: f.anne}
	cases := []struct {
		name string
		id   string
		mod  func(g *store.ResourceGrant)
		want error
	}{
		{"user of another workspace", r.ID, func(g *store.ResourceGrant) { g.GranteeID = f.carl }, store.ErrGranteeNotInWorkspace},
		{"unknown user", r.ID, func(g *store.ResourceGrant) { g.GranteeID = f.unknownUser }, store.ErrGranteeNotInWorkspace},
		{"group of another workspace", r.ID, func(g *store.ResourceGrant) { g.GranteeType, g.GranteeID = store.GranteeGroup, f.gb }, store.ErrGranteeNotInWorkspace},
		{"unknown group", r.ID, func(g *store.ResourceGrant) { g.GranteeType, g.GranteeID = store.GranteeGroup, f.nid }, store.ErrGranteeNotInWorkspace},
		{"workspace id as a group", r.ID, func(g *store.ResourceGrant) { g.GranteeType, g.GranteeID = store.GranteeGroup, f.wa }, store.ErrGranteeNotInWorkspace},
		{"unknown grantee type", r.ID, func(g *store.ResourceGrant) { g.GranteeType = "team" }, store.ErrInvalidResource},
		{"grantee id not a UUID", r.ID, func(g *store.ResourceGrant) { g.GranteeID = "bob" }, store.ErrInvalidResource},
		{"unknown permission", r.ID, func(g *store.ResourceGrant) { g.Permission = "admin" }, store.ErrInvalidResource},
		{"granted by not a UUID", r.ID, func(g *store.ResourceGrant) { g.GrantedBy = "anne" }, store.ErrInvalidResource},
		{"unknown resource", f.nid, func(*store.ResourceGrant) {}, store.ErrNotFound},
	}
	for _, c := range cases {
		st := resStateOf(t, s)
		g := ok
		c.mod(&g)
		sh, err := s.ShareResource(t.Context(), c.id, g)
		wantErrIs(t, c.name, err, c.want)
		if sh != (store.ResourceShare{}) {
			t.Fatalf("%s: returned %+v", c.name, sh)
		}
		resUnchanged(t, s, st, c.name)
	}
	// A member removed (their role tuple gone) can no longer be granted.
	st := resStateOf(t, s)
	if _, err := s.WriteTuples(t.Context(), store.SystemServiceID, store.TupleWrite{
		Deletes: tups("workspace:" + f.wa + "#editor@user:" + f.bob)}); err != nil {
		t.Fatal(err)
	}
	st.head = head(t, s)
	_, err := s.ShareResource(t.Context(), r.ID, ok)
	wantErrIs(t, "share to a removed member", err, store.ErrGranteeNotInWorkspace)
	resUnchanged(t, s, st, "share to a removed member")
}

func testUnshareResource(t *testing.T, s ResourceStore) {
	ctx := t.Context()
	f := newResFixture(t, s)
	r := f.register(t, f.doc(store.VisibilityPrivate))
	bob := f.share(t, r.ID, store.ResourceGrant{GranteeType: store.GranteeUser, GranteeID: f.bob, Permission: store.ShareEdit, GrantedBy: f.anne})
	f.share(t, r.ID, store.ResourceGrant{GranteeType: store.GranteeGroup, GranteeID: f.ga, Permission: store.ShareView, GrantedBy: f.anne})

	before := head(t, s)
	wantErrIs(t, "UnshareResource of a group", s.UnshareResource(ctx, r.ID, store.GranteeGroup, strings.ToUpper(f.ga)), nil)
	equalStrings(t, "changes of unshare", resSystemChanges(t, s, before),
		resPrefixed("delete", resShareTuple(r, store.GranteeGroup, f.ga, store.ShareView)))
	r.Shares = []store.ResourceShare{bob}
	if got := resOf(t, s, r.ID); !reflect.DeepEqual(got, r) {
		t.Fatalf("after unshare: %+v, want %+v", got, r)
	}
	equalStrings(t, "tuples", resTuples(t, s), resSorted(append(resBaseTuples(r, nil),
		resShareTuple(r, store.GranteeUser, f.bob, store.ShareEdit))...))

	st := resStateOf(t, s)
	for _, c := range []struct {
		name string
		id   string
		gt   store.GranteeType
		gid  string
		want error
	}{
		{"share removed already", r.ID, store.GranteeGroup, f.ga, store.ErrNotFound},
		{"grantee type that does not match", r.ID, store.GranteeGroup, f.bob, store.ErrNotFound},
		{"unknown resource", f.nid, store.GranteeUser, f.bob, store.ErrNotFound},
		{"bad grantee type", r.ID, "team", f.bob, store.ErrInvalidResource},
		{"grantee id not a UUID", r.ID, store.GranteeUser, "bob", store.ErrInvalidResource},
	} {
		wantErrIs(t, c.name, s.UnshareResource(ctx, c.id, c.gt, c.gid), c.want)
		resUnchanged(t, s, st, c.name)
	}
}

func testRemoveShares(t *testing.T, s ResourceStore) {
	ctx := t.Context()
	f := newResFixture(t, s)
	resSystemWrite(t, s, "workspace:"+f.wb+"#editor@user:"+f.bob) // bob is in both workspaces
	ra := f.register(t, f.doc(store.VisibilityPrivate))
	ra2 := f.register(t, store.ResourceRegistration{Key: resKey("tasks", "task", uuid.NewString()), WorkspaceID: f.wa, OwnerID: f.anne})
	rb := f.register(t, store.ResourceRegistration{Key: resKey("notes", "doc", uuid.NewString()), WorkspaceID: f.wb, OwnerID: f.carl})
	grant := func(r store.Resource, gt store.GranteeType, gid string, p store.SharePermission) {
		f.share(t, r.ID, store.ResourceGrant{GranteeType: gt, GranteeID: gid, Permission: p, GrantedBy: r.OwnerID})
	}
	grant(ra, store.GranteeUser, f.bob, store.ShareView)
	grant(ra2, store.GranteeUser, f.bob, store.ShareEdit)
	grant(ra, store.GranteeGroup, f.ga, store.ShareEdit)
	grant(ra2, store.GranteeGroup, f.ga, store.ShareView)
	grant(rb, store.GranteeUser, f.bob, store.ShareView)
	grant(rb, store.GranteeGroup, f.gb, store.ShareView)

	// Bob leaves workspace a: his shares there go, those in b stay.
	before := head(t, s)
	n, err := s.RemoveUserShares(ctx, f.wa, f.bob)
	wantErrIs(t, "RemoveUserShares", err, nil)
	if n != 2 {
		t.Fatalf("RemoveUserShares removed %d shares, want 2", n)
	}
	equalStrings(t, "changes of RemoveUserShares", resSystemChanges(t, s, before), resPrefixed("delete",
		resShareTuple(ra, store.GranteeUser, f.bob, store.ShareView), resShareTuple(ra2, store.GranteeUser, f.bob, store.ShareEdit)))
	for _, c := range []struct {
		r    store.Resource
		want int
	}{{ra, 1}, {ra2, 1}, {rb, 2}} {
		if got := resOf(t, s, c.r.ID); len(got.Shares) != c.want {
			t.Fatalf("%s has shares %+v, want %d", c.r.Key.Type, got.Shares, c.want)
		}
	}

	// Group ga is deleted: its shares go.
	before = head(t, s)
	n, err = s.RemoveGroupShares(ctx, f.ga)
	wantErrIs(t, "RemoveGroupShares", err, nil)
	if n != 2 {
		t.Fatalf("RemoveGroupShares removed %d shares, want 2", n)
	}
	equalStrings(t, "changes of RemoveGroupShares", resSystemChanges(t, s, before), resPrefixed("delete",
		resShareTuple(ra, store.GranteeGroup, f.ga, store.ShareEdit), resShareTuple(ra2, store.GranteeGroup, f.ga, store.ShareView)))
	want := append(append(resBaseTuples(ra, nil), resBaseTuples(ra2, nil)...), resBaseTuples(rb, nil)...)
	want = append(want, resShareTuple(rb, store.GranteeUser, f.bob, store.ShareView), resShareTuple(rb, store.GranteeGroup, f.gb, store.ShareView))
	equalStrings(t, "tuples left", resTuples(t, s), resSorted(want...))

	// Nothing left to remove: no change at all.
	st := resStateOf(t, s)
	for name, fn := range map[string]func() (int, error){
		"RemoveUserShares again":  func() (int, error) { return s.RemoveUserShares(ctx, f.wa, f.bob) },
		"RemoveGroupShares again": func() (int, error) { return s.RemoveGroupShares(ctx, f.ga) },
		"RemoveUserShares of a non-member": func() (int, error) {
			return s.RemoveUserShares(ctx, f.wb, f.anne)
		},
	} {
		n, err := fn()
		wantErrIs(t, name, err, nil)
		if n != 0 {
			t.Fatalf("%s removed %d", name, n)
		}
		resUnchanged(t, s, st, name)
	}
}

func testDeregisterResource(t *testing.T, s ResourceStore) {
	ctx := t.Context()
	f := newResFixture(t, s)
	folder := f.register(t, store.ResourceRegistration{Key: resKey("notes", "folder", uuid.NewString()), WorkspaceID: f.wa, OwnerID: f.anne})
	child := f.doc(store.VisibilityPrivate)
	child.ParentID = folder.ID
	doc := f.register(t, child)
	sub := f.register(t, store.ResourceRegistration{Key: resKey("notes", "folder", uuid.NewString()), WorkspaceID: f.wa,
		OwnerID: f.bob, ParentID: folder.ID})
	leaf := f.register(t, store.ResourceRegistration{Key: resKey("notes", "doc", uuid.NewString()), WorkspaceID: f.wa,
		OwnerID: f.bob, ParentID: sub.ID})
	bystander := f.register(t, f.doc(store.VisibilityWorkspace))
	f.share(t, folder.ID, store.ResourceGrant{GranteeType: store.GranteeUser, GranteeID: f.bob, Permission: store.ShareEdit, GrantedBy: f.anne})
	f.share(t, folder.ID, store.ResourceGrant{GranteeType: store.GranteeGroup, GranteeID: f.ga, Permission: store.ShareView, GrantedBy: f.anne})
	f.share(t, doc.ID, store.ResourceGrant{GranteeType: store.GranteeUser, GranteeID: f.bob, Permission: store.ShareView, GrantedBy: f.anne})

	// Deregistering the folder removes its tuples, its shares' tuples and
	// its children's parent tuples; the children stay, without a parent.
	before := head(t, s)
	wantErrIs(t, "DeregisterResource", s.DeregisterResource(ctx, resKey("notes", "folder", strings.ToUpper(folder.Key.ID))), nil)
	gone := append(resBaseTuples(folder, nil),
		resShareTuple(folder, store.GranteeUser, f.bob, store.ShareEdit), resShareTuple(folder, store.GranteeGroup, f.ga, store.ShareView),
		resObj(doc.Key)+"#parent@"+resObj(folder.Key), resObj(sub.Key)+"#parent@"+resObj(folder.Key))
	equalStrings(t, "changes of deregister", resSystemChanges(t, s, before), resPrefixed("delete", gone...))
	_, err := s.ResourceByID(ctx, folder.ID)
	wantErrIs(t, "ResourceByID of a deregistered resource", err, store.ErrNotFound)
	_, err = s.ResourceByKey(ctx, folder.Key)
	wantErrIs(t, "ResourceByKey of a deregistered resource", err, store.ErrNotFound)
	doc.ParentID, sub.ParentID = "", ""
	doc.Shares = resOf(t, s, doc.ID).Shares
	if len(doc.Shares) != 1 {
		t.Fatalf("the child's own share is gone: %+v", doc.Shares)
	}
	for _, r := range []store.Resource{doc, sub, leaf, bystander} {
		if got := resOf(t, s, r.ID); !reflect.DeepEqual(got, r) {
			t.Fatalf("after deregistering the parent: %+v, want %+v", got, r)
		}
	}
	want := append(append(append(resBaseTuples(doc, nil), resBaseTuples(sub, nil)...), resBaseTuples(leaf, &sub.Key)...), resBaseTuples(bystander, nil)...)
	want = append(want, resShareTuple(doc, store.GranteeUser, f.bob, store.ShareView))
	equalStrings(t, "tuples left", resTuples(t, s), resSorted(want...))

	// The key can be registered anew, and a missing key is not found.
	st := resStateOf(t, s)
	wantErrIs(t, "DeregisterResource again", s.DeregisterResource(ctx, folder.Key), store.ErrNotFound)
	resUnchanged(t, s, st, "DeregisterResource again")
	wantErrIs(t, "DeregisterResource of a malformed key", s.DeregisterResource(ctx, resKey("notes", "folder", "x")), store.ErrInvalidResource)
	resUnchanged(t, s, st, "DeregisterResource of a malformed key")
	again := f.register(t, store.ResourceRegistration{Key: folder.Key, WorkspaceID: f.wb, OwnerID: f.carl})
	if again.ID == folder.ID {
		t.Fatal("a registration after deregistering reused the old id")
	}
}

func testPurgeServiceResources(t *testing.T, s ResourceStore) {
	ctx := t.Context()
	f := newResFixture(t, s)
	folder := f.register(t, store.ResourceRegistration{Key: resKey("notes", "folder", uuid.NewString()), WorkspaceID: f.wa, OwnerID: f.anne})
	reg := f.doc(store.VisibilityPrivate)
	reg.ParentID = folder.ID
	doc := f.register(t, reg)
	inB := f.register(t, store.ResourceRegistration{Key: resKey("notes", "doc", uuid.NewString()), WorkspaceID: f.wb, OwnerID: f.carl})
	f.share(t, doc.ID, store.ResourceGrant{GranteeType: store.GranteeUser, GranteeID: f.bob, Permission: store.ShareView, GrantedBy: f.anne})
	f.share(t, inB.ID, store.ResourceGrant{GranteeType: store.GranteeGroup, GranteeID: f.gb, Permission: store.ShareEdit, GrantedBy: f.carl})
	kept := f.register(t, store.ResourceRegistration{Key: resKey("notes.v2", "doc", doc.Key.ID), WorkspaceID: f.wa, OwnerID: f.anne})
	f.share(t, kept.ID, store.ResourceGrant{GranteeType: store.GranteeUser, GranteeID: f.bob, Permission: store.ShareView, GrantedBy: f.anne})
	keptTuples := append(resBaseTuples(kept, nil), resShareTuple(kept, store.GranteeUser, f.bob, store.ShareView))

	before := head(t, s)
	n, err := s.PurgeServiceResources(ctx, "notes")
	wantErrIs(t, "PurgeServiceResources", err, nil)
	if n != 3 {
		t.Fatalf("PurgeServiceResources = %d, want 3", n)
	}
	gone := append(append(resBaseTuples(folder, nil), resBaseTuples(doc, &folder.Key)...), resBaseTuples(inB, nil)...)
	gone = append(gone, resShareTuple(doc, store.GranteeUser, f.bob, store.ShareView), resShareTuple(inB, store.GranteeGroup, f.gb, store.ShareEdit))
	equalStrings(t, "changes of purge", resSystemChanges(t, s, before), resPrefixed("delete", gone...))
	equalStrings(t, "tuples left", resTuples(t, s), resSorted(keptTuples...))
	kept.Shares = resOf(t, s, kept.ID).Shares
	if st := resStateOf(t, s); len(st.rows) != 1 || !reflect.DeepEqual(st.rows[0], kept) {
		t.Fatalf("rows left: %+v, want only %+v", st.rows, kept)
	}

	st := resStateOf(t, s)
	for _, svc := range []string{"notes", "unknown"} {
		n, err := s.PurgeServiceResources(ctx, svc)
		if err != nil || n != 0 {
			t.Fatalf("PurgeServiceResources(%s) with nothing to purge = %d, %v", svc, n, err)
		}
		resUnchanged(t, s, st, "empty purge")
	}
	_, err = s.PurgeServiceResources(ctx, "Bad Name")
	wantErrIs(t, "PurgeServiceResources of a malformed name", err, store.ErrInvalidResource)
	resUnchanged(t, s, st, "purge of a malformed name")
}
