package storetest

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/store"
)

// impWant is what importing the source data set writes, per table.
var impWant = map[string]int{
	store.ImportUsers: 6, store.ImportIdentities: 6, store.ImportWorkspaces: 2, store.ImportMemberships: 6,
	store.ImportGroups: 3, store.ImportGroupMembers: 4, store.ImportResources: 4, store.ImportShares: 3,
	store.ImportServiceActions: 2, store.ImportRoles: 2, store.ImportRoleActions: 2, store.ImportRoleAssignments: 2,
	store.ImportServices: 1, store.ImportKeys: 2, store.ImportClientApps: 2, store.ImportActivity: 2,
}

func testImportSameAsMethods(t *testing.T, open func(t *testing.T) ImportStore) {
	ctx := t.Context()
	a := open(t)
	src := newImpSource(t, a)
	snap := src.snapshot(t, a)
	b := open(t)
	rep, err := b.Import(ctx, snap, store.ImportOptions{})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if !maps.Equal(rep.Imported, impWant) || len(rep.Skipped) != 0 || len(rep.ReusedServices) != 0 || rep.DryRun {
		t.Fatalf("report %+v, want imported %v and nothing skipped", rep, impWant)
	}

	// The same rows, read through the same methods, and the same tuples.
	if got, want := impRows(t, b, src), impRows(t, a, src); got != want {
		t.Fatalf("imported rows differ from the source's:\n got  %s\n want %s", got, want)
	}
	tuples := sysTuples(t, b)
	equalStrings(t, "system tuples", tuples, sysTuples(t, a))
	if rep.SystemTuples != len(tuples) || len(tuples) < 30 {
		t.Fatalf("report says %d system tuples, the store has %d", rep.SystemTuples, len(tuples))
	}
	apps, err := b.ClientApps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantApps := []store.ClientApp{snap.ClientApps[1], snap.ClientApps[0]}
	wantApps[0].RedirectURIs = []string{}
	if !reflect.DeepEqual(apps, wantApps) {
		t.Fatalf("client apps:\n got  %+v\n want %+v", apps, wantApps)
	}

	// The changelog: one write per system tuple, one key change of the
	// service, nothing else; the report's revision is the head.
	equalStrings(t, "system changes", resSystemChanges(t, b, 0), resPrefixed("write", tuples...))
	svc, err := b.ServiceByName(ctx, "notes")
	if err != nil {
		t.Fatal(err)
	}
	var keyChanges int
	for _, c := range allChanges(t, b, "", 0) {
		switch {
		case c.Op == store.OpKey && c.ServiceID == svc.ID:
			keyChanges++
		case c.ServiceID != store.SystemServiceID || c.Op != store.OpWrite:
			t.Fatalf("unexpected change %+v", c)
		}
	}
	if keyChanges != 1 || rep.Revision != head(t, b) {
		t.Fatalf("%d key changes (want 1); revision %d, head %d", keyChanges, rep.Revision, head(t, b))
	}

	// The keys keep working by their hash; the revoked one stays revoked.
	for prefix, hash := range src.hashes {
		k, err := b.KeyByHash(ctx, hash)
		if err != nil || k.ServiceID != svc.ID || k.Active(time.Now()) != strings.HasPrefix(prefix, "sk_a") {
			t.Fatalf("KeyByHash(%s) = %+v, %v", prefix, k, err)
		}
	}
	es, _, err := b.ListActivity(ctx, store.ActivityFilter{Action: store.ImportedAction}, 1, 10)
	if err != nil || len(es) != 1 || es[0].ActorType != store.ActorAdmin {
		t.Fatalf("the import's own activity entry: %+v, %v", es, err)
	}
}

// impStateOf renders what an import could change in a store: the head, the
// system tuples, users, services, client apps and the activity log.
func impStateOf(t testing.TB, s ImportStore, userIDs ...string) string {
	t.Helper()
	ctx := t.Context()
	var b strings.Builder
	fmt.Fprintf(&b, "head %d\ntuples %q\n", head(t, s), sysTuples(t, s))
	for _, id := range userIDs {
		u, err := s.UserByID(ctx, id)
		fmt.Fprintf(&b, "user %+v %v\n", u, err)
	}
	svcs, err := s.ListServices(ctx)
	fmt.Fprintf(&b, "services %+v %v\n", svcs, err)
	for _, svc := range svcs {
		ks, err := s.ListKeys(ctx, svc.ID)
		fmt.Fprintf(&b, "keys %+v %v\n", ks, err)
	}
	apps, err := s.ClientApps(ctx)
	fmt.Fprintf(&b, "client apps %+v %v\n", apps, err)
	_, n, err := s.ListActivity(ctx, store.ActivityFilter{}, 1, 1)
	fmt.Fprintf(&b, "activity %d %v\n", n, err)
	rs, n, err := s.ListResources(ctx, store.ResourceFilter{}, 1, 10)
	fmt.Fprintf(&b, "resources %d %+v %v\n", n, rs, err)
	return b.String()
}

// impUnchanged fails unless err is want and s is in state before.
func impUnchanged(t testing.TB, s ImportStore, before, what string, err, want error, userIDs ...string) {
	t.Helper()
	wantErrIs(t, what, err, want)
	if after := impStateOf(t, s, userIDs...); after != before {
		t.Fatalf("%s failed but changed the store:\nbefore %s\nafter  %s", what, before, after)
	}
}

func testImportDryRun(t *testing.T, open func(t *testing.T) ImportStore) {
	ctx := t.Context()
	a := open(t)
	src := newImpSource(t, a)
	snap := src.snapshot(t, a)
	b := open(t)
	ids := []string{src.users[0].ID}
	before := impStateOf(t, b, ids...)
	dry, err := b.Import(ctx, snap, store.ImportOptions{DryRun: true})
	impUnchanged(t, b, before, "a dry run", err, nil, ids...)
	if !dry.DryRun || dry.Revision != 0 {
		t.Fatalf("dry report %+v", dry)
	}
	// It reports what the import then does.
	rep, err := b.Import(ctx, snap, store.ImportOptions{})
	if err != nil {
		t.Fatalf("Import after a dry run: %v", err)
	}
	if !maps.Equal(dry.Imported, rep.Imported) || dry.SystemTuples != rep.SystemTuples || !maps.Equal(rep.Imported, impWant) {
		t.Fatalf("dry run reported %v (%d tuples), the import %v (%d tuples)", dry.Imported, dry.SystemTuples, rep.Imported, rep.SystemTuples)
	}
}

func testImportNotEmpty(t *testing.T, open func(t *testing.T) ImportStore) {
	ctx := t.Context()
	snap, ids := impSmall()

	s := open(t)
	u, _ := provision(t, s, sighting("google", "g-zed", "zed@example.com"))
	before := impStateOf(t, s, u.ID)
	_, err := s.Import(ctx, snap, store.ImportOptions{})
	impUnchanged(t, s, before, "import into a store with a user", err, store.ErrStoreNotEmpty, u.ID)

	// A second import is refused, even of the same data.
	s = open(t)
	if _, err := s.Import(ctx, snap, store.ImportOptions{}); err != nil {
		t.Fatalf("first import: %v", err)
	}
	before = impStateOf(t, s, ids.u1)
	_, err = s.Import(ctx, snap, store.ImportOptions{})
	impUnchanged(t, s, before, "a second import", err, store.ErrStoreNotEmpty, ids.u1)
	for _, dry := range []bool{true, false} {
		_, err = s.Import(ctx, store.ImportSnapshot{}, store.ImportOptions{DryRun: dry})
		impUnchanged(t, s, before, "an empty import into a filled store", err, store.ErrStoreNotEmpty, ids.u1)
	}
}

func testImportFailureWritesNothing(t *testing.T, open func(t *testing.T) ImportStore) {
	ctx := t.Context()
	s := open(t)
	// A service and key of the store itself: they do not make it "not
	// empty", but the snapshot's key has the same hash, which fails the
	// import after every other row was written in its transaction.
	svc := newService(t, s, "docs")
	snap, ids := impSmall()
	if _, err := s.CreateKey(ctx, svc.ID, snap.Services[0].Keys[0].Hash, "sk_dddd****", nil); err != nil {
		t.Fatal(err)
	}
	before := impStateOf(t, s, ids.u1)
	_, err := s.Import(ctx, snap, store.ImportOptions{})
	impUnchanged(t, s, before, "an import whose key hash is stored", err, store.ErrAlreadyExists, ids.u1)
	if len(sysTuples(t, s)) != 0 {
		t.Fatal("a failed import left system tuples")
	}
}

func testImportReusedService(t *testing.T, open func(t *testing.T) ImportStore) {
	ctx := t.Context()
	s := open(t)
	svc := newService(t, s, "notes")
	snap, _ := impSmall()
	rep, err := s.Import(ctx, snap, store.ImportOptions{})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if !slices.Equal(rep.ReusedServices, []string{"notes"}) || rep.Imported[store.ImportServices] != 0 || rep.Imported[store.ImportKeys] != 1 {
		t.Fatalf("report %+v", rep)
	}
	k, err := s.KeyByHash(ctx, snap.Services[0].Keys[0].Hash)
	if err != nil || k.ServiceID != svc.ID {
		t.Fatalf("the key went to %+v (%v), want service %s", k, err, svc.ID)
	}
	if svcs, err := s.ListServices(ctx); err != nil || len(svcs) != 1 {
		t.Fatalf("services %+v, %v", svcs, err)
	}
}

func testImportInvalid(t *testing.T, open func(t *testing.T) ImportStore) {
	cases := []struct {
		name string
		edit func(s *store.ImportSnapshot)
	}{
		{"emails differing in case", func(s *store.ImportSnapshot) { s.Users[1].Email = "U1@Example.com" }},
		{"malformed user id", func(s *store.ImportSnapshot) { s.Users[0].ID = "user-1" }},
		{"user twice", func(s *store.ImportSnapshot) { s.Users = append(s.Users, s.Users[0]) }},
		{"slug twice", func(s *store.ImportSnapshot) { s.Workspaces[1].Slug = s.Workspaces[0].Slug }},
		{"resource twice", func(s *store.ImportSnapshot) {
			r := s.Resources[0]
			r.ID, r.Shares = "6a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d", nil
			s.Resources = append(s.Resources, r)
		}},
		{"membership twice", func(s *store.ImportSnapshot) { s.Memberships = append(s.Memberships, s.Memberships[0]) }},
		{"malformed share id", func(s *store.ImportSnapshot) { s.Resources[0].Shares[0].ID = "x" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			snap, ids := impSmall()
			tc.edit(&snap)
			before := impStateOf(t, s, ids.u1)
			for _, dry := range []bool{true, false} {
				_, err := s.Import(t.Context(), snap, store.ImportOptions{DryRun: dry})
				impUnchanged(t, s, before, tc.name, err, store.ErrInvalidImport, ids.u1)
			}
		})
	}
}

func testImportStrict(t *testing.T, open func(t *testing.T) ImportStore) {
	s := open(t)
	snap, ids := impSmall()
	snap.Memberships = append(snap.Memberships, store.Membership{WorkspaceID: ids.w, UserID: ids.u3, Role: "guest"})
	before := impStateOf(t, s, ids.u1)
	rep, err := s.Import(t.Context(), snap, store.ImportOptions{Strict: true})
	impUnchanged(t, s, before, "a strict import with a bad row", err, store.ErrInvalidImport, ids.u1)
	if len(rep.Skipped) != 1 || rep.Skipped[0].Table != store.ImportMemberships {
		t.Fatalf("skipped %+v", rep.Skipped)
	}
}
