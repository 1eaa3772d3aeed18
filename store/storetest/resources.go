package storetest

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

// ResourceStore is what the resource suite runs on: a store that also
// keeps registered resources.
type ResourceStore interface {
	store.Store
	store.ResourceStore
}

// RunResources runs the resource suite (store.ResourceStore). open must
// return a new, empty store for each call and release it when t ends.
// Every mutation is checked for its rows, its system tuples and its
// changelog rows, and every failure for changing nothing.
func RunResources(t *testing.T, open func(t *testing.T) ResourceStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s ResourceStore)
	}{
		{"Register", testRegisterResource},
		{"RegisterInvalid", testRegisterResourceInvalid},
		{"Parent", testResourceParent},
		{"Visibility", testResourceVisibility},
		{"Share", testShareResource},
		{"ShareRefused", testShareResourceRefused},
		{"Unshare", testUnshareResource},
		{"RemoveShares", testRemoveShares},
		{"Deregister", testDeregisterResource},
		{"Purge", testPurgeServiceResources},
		{"ListIDs", testListResourceIDs},
		{"List", testListResources},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			tc.fn(t, s)
		})
	}
}

// resFixture is a store with users and two workspaces: anne owns a, bob
// is an editor of a, carl a viewer of b; group ga is in a, gb in b.
type resFixture struct {
	s                ResourceStore
	anne, bob, carl  string // user ids
	wa, wb, ga, gb   string // workspace and group ids
	unknownUser, nid string // a user id nobody has; an id nothing has
}

func newResFixture(t *testing.T, s ResourceStore) *resFixture {
	t.Helper()
	f := &resFixture{s: s, wa: uuid.NewString(), wb: uuid.NewString(), ga: uuid.NewString(), gb: uuid.NewString(),
		unknownUser: uuid.NewString(), nid: uuid.NewString()}
	for _, u := range []struct {
		id   *string
		name string
	}{{&f.anne, "anne"}, {&f.bob, "bob"}, {&f.carl, "carl"}} {
		user, _ := provision(t, s, sighting("google", u.name, u.name+"@example.com"))
		*u.id = user.ID
	}
	// The workspace store writes these tuples; the resource store reads
	// them to know who is in a workspace.
	resSystemWrite(t, s,
		"workspace:"+f.wa+"#owner@user:"+f.anne,
		"workspace:"+f.wa+"#editor@user:"+f.bob,
		"workspace:"+f.wb+"#viewer@user:"+f.carl,
		"group:"+f.ga+"#workspace@workspace:"+f.wa,
		"group:"+f.gb+"#workspace@workspace:"+f.wb,
	)
	return f
}

// resSystemWrite writes system tuples the way the workspace store would (a
// placeholder model first if the system service has none).
func resSystemWrite(t testing.TB, s store.Store, ts ...string) {
	t.Helper()
	if _, err := s.CurrentModel(t.Context(), store.SystemServiceID); errors.Is(err, store.ErrNoModel) {
		newModel(t, s, store.SystemServiceID)
	}
	mustWrite(t, s, store.SystemServiceID, tups(ts...)...)
}

// resKey returns the resource key svc/typ/id.
func resKey(svc, typ, id string) store.ResourceKey {
	return store.ResourceKey{Service: svc, Type: typ, ID: id}
}

// resObj returns the tuple object of k as a string.
func resObj(k store.ResourceKey) string { return "resource:" + k.Service + "/" + k.Type + "/" + k.ID }

// register registers a resource and fails the test on an error.
func (f *resFixture) register(t testing.TB, reg store.ResourceRegistration) store.Resource {
	t.Helper()
	r, created, err := f.s.RegisterResource(t.Context(), reg)
	if err != nil || !created {
		t.Fatalf("RegisterResource(%+v) = created %v, %v", reg, created, err)
	}
	return r
}

// doc returns a registration of a new doc of svc "notes" in workspace a,
// owned by anne.
func (f *resFixture) doc(v store.Visibility) store.ResourceRegistration {
	return store.ResourceRegistration{Key: resKey("notes", "doc", uuid.NewString()), WorkspaceID: f.wa, OwnerID: f.anne, Visibility: v}
}

// resBaseTuples are the tuples a registration without shares stands for.
func resBaseTuples(r store.Resource, parent *store.ResourceKey) []string {
	o := resObj(r.Key)
	out := []string{o + "#workspace@workspace:" + r.WorkspaceID, o + "#owner@user:" + r.OwnerID}
	if parent != nil {
		out = append(out, o+"#parent@"+resObj(*parent))
	}
	if r.Visibility == store.VisibilityWorkspace {
		out = append(out, o+"#visible_to@workspace:"+r.WorkspaceID+"#member", o+"#editable_by@workspace:"+r.WorkspaceID+"#editor")
	}
	return out
}

// resState is everything the resource operations may change.
type resState struct {
	rows   []store.Resource
	tuples []string // system tuples of resource objects, sorted
	head   uint64
}

// resStateOf reads the resource rows (with shares), the resource system tuples
// and the changelog head.
func resStateOf(t testing.TB, s ResourceStore) resState {
	t.Helper()
	var st resState
	for page := 1; ; page++ {
		rows, total, err := s.ListResources(t.Context(), store.ResourceFilter{}, page, 1000)
		if err != nil {
			t.Fatalf("ListResources: %v", err)
		}
		st.rows = append(st.rows, rows...)
		if len(st.rows) >= total || len(rows) == 0 {
			break
		}
	}
	st.tuples = resTuples(t, s)
	st.head = head(t, s)
	return st
}

// resTuples returns the system tuples of resource objects, sorted.
func resTuples(t testing.TB, s store.Store) []string {
	t.Helper()
	out := strs(allTuples(t, s, store.SystemServiceID, store.TupleFilter{ObjectType: "resource"}))
	slices.Sort(out)
	return out
}

// resUnchanged fails unless s is in state before.
func resUnchanged(t testing.TB, s ResourceStore, before resState, what string) {
	t.Helper()
	after := resStateOf(t, s)
	if !reflect.DeepEqual(after.rows, before.rows) {
		t.Fatalf("%s changed the rows:\n got  %+v\n want %+v", what, after.rows, before.rows)
	}
	equalStrings(t, what+": system tuples", after.tuples, before.tuples)
	if after.head != before.head {
		t.Fatalf("%s moved the changelog head from %d to %d", what, before.head, after.head)
	}
}

// resSystemChanges returns the system service's changes after rev as sorted
// "write T" / "delete T" strings.
func resSystemChanges(t testing.TB, s store.Store, after uint64) []string {
	t.Helper()
	cs := allChanges(t, s, store.SystemServiceID, after)
	for _, c := range cs {
		if c.ServiceID != store.SystemServiceID {
			t.Fatalf("change %+v is not of the system service", c)
		}
	}
	out := changeStrings(cs)
	slices.Sort(out)
	return out
}

// resPrefixed returns "op t" for every t, sorted.
func resPrefixed(op string, ts ...string) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, op+" "+t)
	}
	slices.Sort(out)
	return out
}

// resSorted returns a sorted copy of ss.
func resSorted(ss ...string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return out
}

// resOf returns the resource with that registration id.
func resOf(t testing.TB, s ResourceStore, id string) store.Resource {
	t.Helper()
	r, err := s.ResourceByID(t.Context(), id)
	if err != nil {
		t.Fatalf("ResourceByID(%s): %v", id, err)
	}
	return r
}

func testRegisterResource(t *testing.T, s ResourceStore) {
	ctx := t.Context()
	f := newResFixture(t, s)
	before := head(t, s)

	reg := f.doc("") // visibility defaults to workspace
	r := f.register(t, reg)
	want := store.Resource{ID: r.ID, Key: reg.Key, WorkspaceID: f.wa, OwnerID: f.anne,
		Visibility: store.VisibilityWorkspace, CreatedAt: r.CreatedAt}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("RegisterResource = %+v, want %+v", r, want)
	}
	if _, err := uuid.Parse(r.ID); err != nil || r.ID == reg.Key.ID {
		t.Fatalf("registration id %q: want a new UUID", r.ID)
	}
	wantTuples := resBaseTuples(r, nil)
	equalStrings(t, "tuples after register", resTuples(t, s), resSorted(wantTuples...))
	equalStrings(t, "changes of register", resSystemChanges(t, s, before), resPrefixed("write", wantTuples...))

	byKey, err := s.ResourceByKey(ctx, reg.Key)
	wantErrIs(t, "ResourceByKey", err, nil)
	if !reflect.DeepEqual(byKey, r) || !reflect.DeepEqual(resOf(t, s, r.ID), r) {
		t.Fatalf("reads = %+v; want %+v (times must round-trip exactly)", byKey, r)
	}

	// Idempotent: the same key, workspace and owner return the stored row,
	// even with another visibility, and write nothing.
	st := resStateOf(t, s)
	for _, again := range []store.ResourceRegistration{
		reg,
		{Key: resKey("notes", "doc", strings.ToUpper(reg.Key.ID)), WorkspaceID: strings.ToUpper(f.wa), OwnerID: f.anne},
		{Key: reg.Key, WorkspaceID: f.wa, OwnerID: f.anne, Visibility: store.VisibilityPrivate},
	} {
		got, created, err := s.RegisterResource(ctx, again)
		if err != nil || created || !reflect.DeepEqual(got, r) {
			t.Fatalf("RegisterResource again (%+v) = %+v, created %v, %v; want the stored row", again, got, created, err)
		}
		resUnchanged(t, s, st, "registering again")
	}
	// Another workspace or owner is refused: the caller must not be
	// handed another workspace's resource.
	for _, other := range []store.ResourceRegistration{
		{Key: reg.Key, WorkspaceID: f.wb, OwnerID: f.anne},
		{Key: reg.Key, WorkspaceID: f.wa, OwnerID: f.bob},
	} {
		got, created, err := s.RegisterResource(ctx, other)
		wantErrIs(t, "RegisterResource with another workspace or owner", err, store.ErrAlreadyExists)
		if created || !reflect.DeepEqual(got, store.Resource{}) {
			t.Fatalf("refused RegisterResource returned %+v, created %v", got, created)
		}
		resUnchanged(t, s, st, "refused re-registration")
	}

	// Private: no visibility tuples. The same resource id under another
	// type or service is another resource.
	before = head(t, s)
	priv := f.register(t, store.ResourceRegistration{Key: resKey("notes", "sheet", reg.Key.ID), WorkspaceID: f.wb,
		OwnerID: f.carl, Visibility: store.VisibilityPrivate})
	other := f.register(t, store.ResourceRegistration{Key: resKey("tasks", "doc", reg.Key.ID), WorkspaceID: f.wa, OwnerID: f.bob})
	added := append(resBaseTuples(priv, nil), resBaseTuples(other, nil)...)
	if len(resBaseTuples(priv, nil)) != 2 {
		t.Fatal("a private resource must have only its workspace and owner tuples")
	}
	equalStrings(t, "changes of two registrations", resSystemChanges(t, s, before), resPrefixed("write", added...))
	equalStrings(t, "tuples of three resources", resTuples(t, s), resSorted(append(wantTuples, added...)...))

	_, err = s.ResourceByKey(ctx, resKey("notes", "doc", uuid.NewString()))
	wantErrIs(t, "ResourceByKey of an unregistered key", err, store.ErrNotFound)
	_, err = s.ResourceByID(ctx, f.nid)
	wantErrIs(t, "ResourceByID of an unknown id", err, store.ErrNotFound)
	_, err = s.ResourceByKey(ctx, resKey("Notes", "doc", reg.Key.ID))
	wantErrIs(t, "ResourceByKey of a malformed key", err, store.ErrInvalidResource)
}

func testRegisterResourceInvalid(t *testing.T, s ResourceStore) {
	f := newResFixture(t, s)
	folder := f.register(t, store.ResourceRegistration{Key: resKey("notes", "folder", uuid.NewString()), WorkspaceID: f.wa, OwnerID: f.anne})
	otherWS := f.register(t, store.ResourceRegistration{Key: resKey("notes", "folder", uuid.NewString()), WorkspaceID: f.wb, OwnerID: f.carl})
	otherSvc := f.register(t, store.ResourceRegistration{Key: resKey("tasks", "folder", uuid.NewString()), WorkspaceID: f.wa, OwnerID: f.anne})
	long := strings.Repeat("a", 101)
	cases := []struct {
		name string
		mod  func(r *store.ResourceRegistration)
		want error
	}{
		{"service name with a capital", func(r *store.ResourceRegistration) { r.Key.Service = "Notes" }, store.ErrInvalidResource},
		{"service name starting with a digit", func(r *store.ResourceRegistration) { r.Key.Service = "1notes" }, store.ErrInvalidResource},
		{"empty service name", func(r *store.ResourceRegistration) { r.Key.Service = "" }, store.ErrInvalidResource},
		{"service name too long", func(r *store.ResourceRegistration) { r.Key.Service = long }, store.ErrInvalidResource},
		{"resource type with a slash", func(r *store.ResourceRegistration) { r.Key.Type = "doc/x" }, store.ErrInvalidResource},
		{"resource id not a UUID", func(r *store.ResourceRegistration) { r.Key.ID = "doc-1" }, store.ErrInvalidResource},
		{"workspace id not a UUID", func(r *store.ResourceRegistration) { r.WorkspaceID = "a" }, store.ErrInvalidResource},
		{"owner id not a UUID", func(r *store.ResourceRegistration) { r.OwnerID = "" }, store.ErrInvalidResource},
		{"unknown visibility", func(r *store.ResourceRegistration) { r.Visibility = "public" }, store.ErrInvalidResource},
		{"parent id not a UUID", func(r *store.ResourceRegistration) { r.ParentID = "x" }, store.ErrInvalidResource},
		{"unknown owner", func(r *store.ResourceRegistration) { r.OwnerID = f.unknownUser }, store.ErrNotFound},
		{"unknown parent", func(r *store.ResourceRegistration) { r.ParentID = f.nid }, store.ErrNotFound},
		{"parent is a resource id, not a registration id", func(r *store.ResourceRegistration) { r.ParentID = folder.Key.ID }, store.ErrNotFound},
		{"parent in another workspace", func(r *store.ResourceRegistration) { r.ParentID = otherWS.ID }, store.ErrNotFound},
		{"parent of another service", func(r *store.ResourceRegistration) { r.ParentID = otherSvc.ID }, store.ErrNotFound},
	}
	for _, c := range cases {
		st := resStateOf(t, s)
		reg := f.doc(store.VisibilityWorkspace)
		reg.ParentID = folder.ID
		c.mod(&reg)
		r, created, err := s.RegisterResource(t.Context(), reg)
		wantErrIs(t, c.name, err, c.want)
		if created || !reflect.DeepEqual(r, store.Resource{}) {
			t.Fatalf("%s: returned %+v, created %v", c.name, r, created)
		}
		resUnchanged(t, s, st, c.name)
	}
}

func testResourceParent(t *testing.T, s ResourceStore) {
	f := newResFixture(t, s)
	folder := f.register(t, store.ResourceRegistration{Key: resKey("notes", "folder", uuid.NewString()), WorkspaceID: f.wa,
		OwnerID: f.anne, Visibility: store.VisibilityPrivate})
	before := head(t, s)
	reg := f.doc(store.VisibilityPrivate)
	reg.ParentID = strings.ToUpper(folder.ID)
	doc := f.register(t, reg)
	if doc.ParentID != folder.ID {
		t.Fatalf("ParentID = %q, want %q", doc.ParentID, folder.ID)
	}
	if got := resOf(t, s, doc.ID); !reflect.DeepEqual(got, doc) {
		t.Fatalf("ResourceByID = %+v, want %+v", got, doc)
	}
	want := resBaseTuples(doc, &folder.Key)
	equalStrings(t, "changes of a registration with a parent", resSystemChanges(t, s, before), resPrefixed("write", want...))
	if !slices.Contains(want, resObj(doc.Key)+"#parent@"+resObj(folder.Key)) {
		t.Fatalf("no parent tuple among %q", want)
	}
	equalStrings(t, "tuples", resTuples(t, s), resSorted(append(want, resBaseTuples(folder, nil)...)...))
}

func testResourceVisibility(t *testing.T, s ResourceStore) {
	ctx := t.Context()
	f := newResFixture(t, s)
	r := f.register(t, f.doc(store.VisibilityWorkspace))
	vis := []string{resObj(r.Key) + "#visible_to@workspace:" + f.wa + "#member", resObj(r.Key) + "#editable_by@workspace:" + f.wa + "#editor"}

	steps := []struct {
		to      store.Visibility
		changes []string
	}{
		{store.VisibilityPrivate, resPrefixed("delete", vis...)},
		{store.VisibilityPrivate, nil}, // no change
		{store.VisibilityWorkspace, resPrefixed("write", vis...)},
		{store.VisibilityWorkspace, nil},
	}
	for _, step := range steps {
		before := head(t, s)
		got, err := s.SetResourceVisibility(ctx, r.ID, step.to)
		wantErrIs(t, "SetResourceVisibility", err, nil)
		r.Visibility = step.to
		if !reflect.DeepEqual(got, r) || !reflect.DeepEqual(resOf(t, s, r.ID), r) {
			t.Fatalf("SetResourceVisibility(%s) = %+v, want %+v", step.to, got, r)
		}
		equalStrings(t, "changes of visibility "+string(step.to), resSystemChanges(t, s, before), step.changes)
		if step.changes == nil && head(t, s) != before {
			t.Fatal("setting the current visibility appended to the changelog")
		}
		equalStrings(t, "tuples with visibility "+string(step.to), resTuples(t, s), resSorted(resBaseTuples(r, nil)...))
	}

	st := resStateOf(t, s)
	for _, c := range []struct {
		name string
		id   string
		v    store.Visibility
		want error
	}{
		{"unknown visibility", r.ID, "public", store.ErrInvalidResource},
		{"empty visibility", r.ID, "", store.ErrInvalidResource},
		{"unknown resource", f.nid, store.VisibilityPrivate, store.ErrNotFound},
	} {
		got, err := s.SetResourceVisibility(ctx, c.id, c.v)
		wantErrIs(t, c.name, err, c.want)
		if !reflect.DeepEqual(got, store.Resource{}) {
			t.Fatalf("%s: returned %+v", c.name, got)
		}
		resUnchanged(t, s, st, c.name)
	}
}
