package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// RunServiceApps runs the suite of service apps, whole-service deletion
// and the administrator's service actions. open must return a new, empty
// store for each call and release it when t ends.
func RunServiceApps(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Apps", testServiceApps},
		{"AppsInvalid", testServiceAppsInvalid},
		{"Deactivate", testServiceAppDeactivate},
		{"DeleteService", testDeleteService},
		{"DeleteServiceRefused", testDeleteServiceRefused},
		{"ServiceActionAdmin", testServiceActionAdmin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

func testServiceApps(t *testing.T, s store.Store) {
	ctx := t.Context()
	svc, app, err := s.CreateServiceApp(ctx, "notes", store.ServiceAppSpec{Name: "Notes app", AllowedOrigins: []string{"https://notes.example", "http://localhost:3000"}})
	if err != nil {
		t.Fatal(err)
	}
	if svc.ID == "" || svc.Name != "notes" || app.ServiceID != svc.ID || app.Name != "Notes app" || !app.Active ||
		!slices.Equal(app.AllowedOrigins, []string{"https://notes.example", "http://localhost:3000"}) || !app.UpdatedAt.Equal(svc.CreatedAt) {
		t.Fatalf("CreateServiceApp = %+v, %+v", svc, app)
	}
	if got, err := s.ServiceByName(ctx, "notes"); err != nil || got != svc {
		t.Fatalf("ServiceByName = %+v, %v; want %+v", got, err, svc)
	}
	if got, err := s.ServiceApp(ctx, svc.ID); err != nil || fmt.Sprint(got) != fmt.Sprint(app) {
		t.Fatalf("ServiceApp = %+v, %v; want %+v", got, err, app)
	}
	// A service made without a record is an app with the defaults.
	plain, err := s.CreateService(ctx, "plain")
	if err != nil {
		t.Fatal(err)
	}
	want := store.ServiceApp{ServiceID: plain.ID, Name: "plain", AllowedOrigins: []string{}, Active: true, UpdatedAt: plain.CreatedAt}
	if got, err := s.ServiceApp(ctx, plain.ID); err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ServiceApp of a plain service = %+v, %v; want %+v", got, err, want)
	}
	all, err := s.ServiceApps(ctx)
	if err != nil || len(all) != 2 || fmt.Sprint(all[svc.ID]) != fmt.Sprint(app) || fmt.Sprint(all[plain.ID]) != fmt.Sprint(want) {
		t.Fatalf("ServiceApps = %+v, %v", all, err)
	}
	_, err = s.ServiceApp(ctx, store.SystemServiceID)
	wantErrIs(t, "ServiceApp of the system service", err, store.ErrNotFound)
	_, err = s.ServiceApp(ctx, uuid.NewString())
	wantErrIs(t, "ServiceApp of an unknown service", err, store.ErrNotFound)

	// A name taken: nothing written.
	_, _, err = s.CreateServiceApp(ctx, "notes", store.ServiceAppSpec{Name: "Again"})
	wantErrIs(t, "CreateServiceApp of a taken name", err, store.ErrAlreadyExists)
	if got, _ := s.ServiceApp(ctx, svc.ID); fmt.Sprint(got) != fmt.Sprint(app) {
		t.Fatalf("a refused create changed the app: %+v", got)
	}

	// Updates: a no-op keeps UpdatedAt; a plain service gets a record.
	if got, err := s.UpdateServiceApp(ctx, svc.ID, store.ServiceAppUpdate{Name: new("Notes app")}); err != nil || fmt.Sprint(got) != fmt.Sprint(app) {
		t.Fatalf("no-op UpdateServiceApp = %+v, %v", got, err)
	}
	origins := []string{"https://plain.example:8443"}
	up, err := s.UpdateServiceApp(ctx, plain.ID, store.ServiceAppUpdate{Name: new("Plain"), AllowedOrigins: &origins})
	if err != nil || up.Name != "Plain" || !slices.Equal(up.AllowedOrigins, origins) || !up.Active || up.UpdatedAt.Before(plain.CreatedAt) {
		t.Fatalf("UpdateServiceApp = %+v, %v", up, err)
	}
	if got, err := s.ServiceApp(ctx, plain.ID); err != nil || fmt.Sprint(got) != fmt.Sprint(up) {
		t.Fatalf("ServiceApp after update = %+v, %v; want %+v", got, err, up)
	}
	_, err = s.UpdateServiceApp(ctx, uuid.NewString(), store.ServiceAppUpdate{Name: new("x")})
	wantErrIs(t, "UpdateServiceApp of an unknown service", err, store.ErrNotFound)
}

func testServiceAppsInvalid(t *testing.T, s store.Store) {
	ctx := t.Context()
	svc, app, err := s.CreateServiceApp(ctx, "notes", store.ServiceAppSpec{})
	if err != nil || app.Name != "notes" || app.AllowedOrigins == nil {
		t.Fatalf("CreateServiceApp without a name = %+v, %v", app, err)
	}
	before, _ := s.ListServices(ctx)
	for _, o := range []string{"", "notes.example", "ftp://notes.example", "https://notes.example/", "https://notes.example/app",
		"https://notes.example?x", "https://notes.example#x", "https://u@notes.example", "*", "https://"} {
		_, _, err := s.CreateServiceApp(ctx, "other", store.ServiceAppSpec{AllowedOrigins: []string{o}})
		wantErrIs(t, "CreateServiceApp with origin "+o, err, store.ErrInvalidServiceApp)
		_, err = s.UpdateServiceApp(ctx, svc.ID, store.ServiceAppUpdate{AllowedOrigins: &[]string{o}})
		wantErrIs(t, "UpdateServiceApp with origin "+o, err, store.ErrInvalidServiceApp)
	}
	for _, name := range []string{" ", strings.Repeat("n", store.MaxServiceAppName+1)} {
		_, _, err := s.CreateServiceApp(ctx, "other", store.ServiceAppSpec{Name: name})
		wantErrIs(t, "CreateServiceApp named "+name, err, store.ErrInvalidServiceApp)
		_, err = s.UpdateServiceApp(ctx, svc.ID, store.ServiceAppUpdate{Name: &name})
		wantErrIs(t, "UpdateServiceApp to "+name, err, store.ErrInvalidServiceApp)
	}
	after, _ := s.ListServices(ctx)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("refused creates changed the services: %+v, want %+v", after, before)
	}
	if got, _ := s.ServiceApp(ctx, svc.ID); fmt.Sprint(got) != fmt.Sprint(app) {
		t.Fatalf("refused updates changed the app: %+v, want %+v", got, app)
	}
}

// keyChanges counts the OpKey changes of the service after rev.
func keyChanges(t testing.TB, s store.Store, serviceID string, after uint64) int {
	t.Helper()
	n := 0
	for _, c := range allChanges(t, s, "", after) {
		if c.Op == store.OpKey && c.ServiceID == serviceID {
			n++
		}
	}
	return n
}

func testServiceAppDeactivate(t *testing.T, s store.Store) {
	ctx := t.Context()
	svc, _, err := s.CreateServiceApp(ctx, "notes", store.ServiceAppSpec{})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := s.CreateService(ctx, "other")
	for _, id := range []string{svc.ID, svc.ID, other.ID} {
		if _, err := s.CreateKey(ctx, id, uuid.NewString(), "sk_x****", nil); err != nil {
			t.Fatal(err)
		}
	}
	h0 := head(t, s)
	app, err := s.SetServiceAppActive(ctx, svc.ID, false)
	if err != nil || app.Active {
		t.Fatalf("deactivate = %+v, %v", app, err)
	}
	keys, _ := s.ListKeys(ctx, svc.ID)
	for _, k := range keys {
		if k.RevokedAt == nil {
			t.Fatalf("a key of a deactivated app is not revoked: %+v", k)
		}
	}
	if okeys, _ := s.ListKeys(ctx, other.ID); len(okeys) != 1 || okeys[0].RevokedAt != nil {
		t.Fatalf("another service's key changed: %+v", okeys)
	}
	if n := keyChanges(t, s, svc.ID, h0); n != 1 {
		t.Fatalf("deactivation appended %d key changes, want 1", n)
	}
	if got, _ := s.ServiceApp(ctx, svc.ID); got.Active {
		t.Fatalf("ServiceApp after deactivation = %+v", got)
	}
	// Again: nothing left to revoke, no change.
	h1 := head(t, s)
	if _, err := s.SetServiceAppActive(ctx, svc.ID, false); err != nil || head(t, s) != h1 {
		t.Fatalf("second deactivation: %v, head %d → %d", err, h1, head(t, s))
	}
	app, err = s.SetServiceAppActive(ctx, svc.ID, true)
	if err != nil || !app.Active {
		t.Fatalf("activate = %+v, %v", app, err)
	}
	if keys, _ := s.ListKeys(ctx, svc.ID); keys[0].RevokedAt == nil {
		t.Fatal("activating un-revoked a key")
	}
	_, err = s.SetServiceAppActive(ctx, uuid.NewString(), false)
	wantErrIs(t, "deactivate an unknown service", err, store.ErrNotFound)
}

// deleteServiceFixture is two services, notes and docs, each with a
// model, tuples, a key, a registered resource shared to bob, and an
// action granted by a role of acme.
type deleteServiceFixture struct {
	*rbacFixture
	notes, docs       store.Service
	notesRes, docsRes store.Resource
	exporter          store.RBACRole
}

func newDeleteServiceFixture(t *testing.T, s store.Store) *deleteServiceFixture {
	t.Helper()
	ctx := t.Context()
	f := &deleteServiceFixture{rbacFixture: newRBACFixture(t, s)}
	f.exporter = f.role(t, s, f.acme, "Exporter")
	if err := s.AddRoleActions(ctx, f.exporter.ID, []string{f.export.ID, f.print.ID}); err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		svc *store.Service
		res *store.Resource
		app string
	}{{&f.notes, &f.notesRes, "notes"}, {&f.docs, &f.docsRes, "docs"}} {
		var err error
		if *x.svc, _, err = s.CreateServiceApp(ctx, x.app, store.ServiceAppSpec{AllowedOrigins: []string{"https://" + x.app + ".example"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateKey(ctx, x.svc.ID, uuid.NewString(), "sk_"+x.app+"****", nil); err != nil {
			t.Fatal(err)
		}
		m, err := s.WriteModel(ctx, x.svc.ID, "", `{"schema_version":"1.1","type_definitions":[{"type":"user"}]}`)
		if err != nil {
			t.Fatal(err)
		}
		var writes []tuple.Tuple
		for i := range 3 {
			writes = append(writes, tup(fmt.Sprintf("doc:%d#viewer@user:u%d", i, i)))
		}
		if _, err := s.WriteTuples(ctx, x.svc.ID, store.TupleWrite{ModelID: m.ID, Writes: writes}); err != nil {
			t.Fatal(err)
		}
		*x.res, _, err = s.RegisterResource(ctx, store.ResourceRegistration{Key: store.ResourceKey{Service: x.app, Type: "doc", ID: uuid.NewString()},
			WorkspaceID: f.acme.ID, OwnerID: f.anne.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ShareResource(ctx, x.res.ID, store.ResourceGrant{GranteeType: store.GranteeUser, GranteeID: f.bob.ID,
			Permission: store.ShareView, GrantedBy: f.anne.ID}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// serviceState renders what a service owns: what deleting another service
// must not change.
func serviceState(t testing.TB, s store.Store, svc store.Service, res store.Resource) string {
	t.Helper()
	ctx := t.Context()
	var b strings.Builder
	got, err := s.ServiceByID(ctx, svc.ID)
	fmt.Fprintf(&b, "service %+v %v\n", got, err)
	app, err := s.ServiceApp(ctx, svc.ID)
	fmt.Fprintf(&b, "app %+v %v\n", app, err)
	keys, err := s.ListKeys(ctx, svc.ID)
	fmt.Fprintf(&b, "keys %+v %v\n", keys, err)
	m, err := s.CurrentModel(ctx, svc.ID)
	fmt.Fprintf(&b, "model %s %v\n", m.ID, err)
	ts, _, err := s.ReadTuples(ctx, svc.ID, store.TupleFilter{}, "", 100)
	fmt.Fprintf(&b, "tuples %q %v\n", strs(ts), err)
	r, err := s.ResourceByID(ctx, res.ID)
	fmt.Fprintf(&b, "resource %+v %v\n", r, err)
	as, err := s.ServiceActions(ctx, svc.Name)
	fmt.Fprintf(&b, "actions %+v %v\n", as, err)
	var sys []string
	for _, tp := range strs(allTuples(t, s, store.SystemServiceID, store.TupleFilter{})) {
		if strings.Contains(tp, "resource:"+svc.Name+"/") {
			sys = append(sys, tp)
		}
	}
	slices.Sort(sys)
	fmt.Fprintf(&b, "system tuples %q\n", sys)
	return b.String()
}

func testDeleteService(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := newDeleteServiceFixture(t, s)
	docsBefore := serviceState(t, s, f.docs, f.docsRes)
	notesTuples := strs(allTuples(t, s, f.notes.ID, store.TupleFilter{}))
	resTuples := []string{}
	for _, tp := range strs(allTuples(t, s, store.SystemServiceID, store.TupleFilter{})) {
		if strings.HasPrefix(tp, "resource:notes/") {
			resTuples = append(resTuples, tp)
		}
	}
	h0 := head(t, s)

	del, err := s.DeleteService(ctx, f.notes.ID)
	if err != nil {
		t.Fatal(err)
	}
	if del.Service != f.notes || del.Resources != 1 || del.Actions != 2 || del.Tuples != 3 || del.Keys != 1 {
		t.Fatalf("DeleteService = %+v; want notes, 1 resource, 2 actions, 3 tuples, 1 key", del)
	}
	_, err = s.ServiceByID(ctx, f.notes.ID)
	wantErrIs(t, "ServiceByID after delete", err, store.ErrNotFound)
	_, err = s.ServiceApp(ctx, f.notes.ID)
	wantErrIs(t, "ServiceApp after delete", err, store.ErrNotFound)
	if keys, err := s.ListKeys(ctx, f.notes.ID); err != nil || len(keys) != 0 {
		t.Fatalf("keys after delete = %+v, %v", keys, err)
	}
	_, err = s.CurrentModel(ctx, f.notes.ID)
	if err == nil {
		t.Fatal("the deleted service still has a model")
	}
	_, err = s.ResourceByID(ctx, f.notesRes.ID)
	wantErrIs(t, "ResourceByID after delete", err, store.ErrNotFound)
	if as, err := s.ServiceActions(ctx, "notes"); err != nil || len(as) != 0 {
		t.Fatalf("actions after delete = %+v, %v", as, err)
	}
	if as, err := s.RoleActions(ctx, f.exporter.ID); err != nil || !slices.Equal(as, []store.ServiceAction{f.print}) {
		t.Fatalf("role actions after delete = %+v, %v; want docs:print", as, err)
	}
	// The changelog says every tuple of the service is gone (replicas
	// drop them), and that its keys changed.
	var deleted, sysDeleted []string
	for _, c := range allChanges(t, s, "", h0) {
		switch {
		case c.ServiceID == f.notes.ID && c.Op == store.OpDelete:
			deleted = append(deleted, c.Tuple.String())
		case c.ServiceID == store.SystemServiceID && c.Op == store.OpDelete:
			sysDeleted = append(sysDeleted, c.Tuple.String())
		case c.ServiceID == store.SystemServiceID || (c.ServiceID == f.notes.ID && c.Op == store.OpKey):
		default:
			t.Fatalf("unexpected change %+v", c)
		}
	}
	slices.Sort(deleted)
	slices.Sort(notesTuples)
	equalStrings(t, "deleted tuples in the changelog", deleted, notesTuples)
	if n := keyChanges(t, s, f.notes.ID, h0); n != 1 {
		t.Fatalf("%d key changes, want 1", n)
	}
	grant := fmt.Sprintf("action:%s/%s#granted@role:%s#assignee", f.acme.ID, f.export.ID, f.exporter.ID)
	wantSys := append(slices.Clone(resTuples), grant)
	slices.Sort(wantSys)
	slices.Sort(sysDeleted)
	equalStrings(t, "system tuples deleted", sysDeleted, wantSys)
	if after := serviceState(t, s, f.docs, f.docsRes); after != docsBefore {
		t.Fatalf("deleting notes changed docs:\nbefore %s\nafter  %s", docsBefore, after)
	}
	// The name is free again, for a new service with a new id.
	again, err := s.CreateService(ctx, "notes")
	if err != nil || again.ID == f.notes.ID {
		t.Fatalf("CreateService(notes) after delete = %+v, %v", again, err)
	}
}

func testDeleteServiceRefused(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := newDeleteServiceFixture(t, s)
	before := serviceState(t, s, f.notes, f.notesRes) + serviceState(t, s, f.docs, f.docsRes)
	h0 := head(t, s)
	for _, id := range []string{uuid.NewString(), store.SystemServiceID, "not-a-uuid"} {
		_, err := s.DeleteService(ctx, id)
		wantErrIs(t, "DeleteService("+id+")", err, store.ErrNotFound)
	}
	if after := serviceState(t, s, f.notes, f.notesRes) + serviceState(t, s, f.docs, f.docsRes); after != before || head(t, s) != h0 {
		t.Fatalf("refused deletes changed the store:\nbefore %s\nafter  %s", before, after)
	}
	if n := len(allTuples(t, s, store.SystemServiceID, store.TupleFilter{})); n == 0 {
		t.Fatal("the system service lost its tuples")
	}
}

func testServiceActionAdmin(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := newRBACFixture(t, s)
	all, err := s.AllServiceActions(ctx)
	if err != nil || !slices.Equal(all, []store.ServiceAction{f.print, f.export, f.share}) {
		t.Fatalf("AllServiceActions = %+v, %v; want docs:print, notes:export, notes:share", all, err)
	}
	r := f.role(t, s, f.acme, "Exporter")
	if err := s.AddRoleActions(ctx, r.ID, []string{f.export.ID, f.share.ID}); err != nil {
		t.Fatal(err)
	}
	h0 := head(t, s)
	got, err := s.DeleteServiceAction(ctx, f.export.ID)
	if err != nil || got != f.export {
		t.Fatalf("DeleteServiceAction = %+v, %v; want %+v", got, err, f.export)
	}
	equalStrings(t, "changes", rbacChanges(t, s, h0), []string{"delete " + grant(f.acme, f.export, r)})
	if as, _ := s.RoleActions(ctx, r.ID); !slices.Equal(as, []store.ServiceAction{f.share}) {
		t.Fatalf("role actions = %+v; want notes:share", as)
	}
	if all, _ := s.AllServiceActions(ctx); !slices.Equal(all, []store.ServiceAction{f.print, f.share}) {
		t.Fatalf("AllServiceActions after delete = %+v", all)
	}
	before := rbacState(t, s, []store.Workspace{f.acme, f.other}, "notes", "docs")
	for _, id := range []string{f.export.ID, uuid.NewString(), "x"} {
		_, err := s.DeleteServiceAction(ctx, id)
		rbacUnchanged(t, s, before, "DeleteServiceAction("+id+")", err, store.ErrNotFound, []store.Workspace{f.acme, f.other}, "notes", "docs")
	}
}
