package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

// sighting is a valid first sighting of provider/subject with email.
func sighting(provider, subject, email string) store.IdentitySighting {
	return store.IdentitySighting{
		Provider: provider, Subject: subject, Issuer: "https://" + provider + ".example",
		Email: email, Name: "Name of " + subject, AvatarURL: "https://img.example/" + subject,
		Claims: []byte(`{"sub":"` + subject + `","email":"` + email + `"}`),
	}
}

// provision calls ProvisionUser and fails the test on an error.
func provision(t testing.TB, s store.Store, si store.IdentitySighting) (store.User, bool) {
	t.Helper()
	u, created, err := s.ProvisionUser(t.Context(), si)
	if err != nil {
		t.Fatalf("ProvisionUser(%s/%s): %v", si.Provider, si.Subject, err)
	}
	return u, created
}

// identities returns the identities of the user, failing on an error.
func identities(t testing.TB, s store.Store, userID string) []store.Identity {
	t.Helper()
	ids, err := s.IdentitiesOf(t.Context(), userID)
	if err != nil {
		t.Fatalf("IdentitiesOf(%s): %v", userID, err)
	}
	return ids
}

// userOf returns the user with that id, failing on an error.
func userOf(t testing.TB, s store.Store, id string) store.User {
	t.Helper()
	u, err := s.UserByID(t.Context(), id)
	if err != nil {
		t.Fatalf("UserByID(%s): %v", id, err)
	}
	return u
}

func testProvisionUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	before := time.Now().Add(-time.Second)
	first := sighting("google", "g-1", "Anne@Example.COM")
	u, created := provision(t, s, first)
	if !created {
		t.Fatal("first sighting: created = false")
	}
	if _, err := uuid.Parse(u.ID); err != nil {
		t.Fatalf("user id %q is not a UUID", u.ID)
	}
	want := store.User{ID: u.ID, Email: "anne@example.com", Name: "Name of g-1", AvatarURL: "https://img.example/g-1",
		Active: true, CreatedAt: u.CreatedAt, UpdatedAt: u.CreatedAt}
	if u != want {
		t.Fatalf("ProvisionUser = %+v, want %+v (email lower-cased, active, not admin)", u, want)
	}
	if u.CreatedAt.Location() != time.UTC || u.CreatedAt.Before(before) {
		t.Fatalf("CreatedAt %v: want a recent UTC time", u.CreatedAt)
	}
	if got := userOf(t, s, u.ID); got != u {
		t.Fatalf("UserByID = %+v, want %+v (times must round-trip exactly)", got, u)
	}
	ids := identities(t, s, u.ID)
	wantID := store.Identity{Provider: "google", Subject: "g-1", Issuer: "https://google.example", UserID: u.ID,
		Email: "anne@example.com", Claims: first.Claims, CreatedAt: u.CreatedAt, LastSeenAt: u.CreatedAt}
	if len(ids) != 1 || !reflect.DeepEqual(ids[0], wantID) {
		t.Fatalf("IdentitiesOf = %+v, want [%+v]", ids, wantID)
	}

	// Case-insensitive lookups by email.
	for _, e := range []string{"anne@example.com", "ANNE@EXAMPLE.COM", "Anne@example.Com"} {
		got, err := s.UserByEmail(ctx, e)
		if err != nil || got != u {
			t.Fatalf("UserByEmail(%q) = %+v, %v; want %+v", e, got, err, u)
		}
	}
	_, err := s.UserByEmail(ctx, "bob@example.com")
	wantErrIs(t, "UserByEmail of an unknown email", err, store.ErrNotFound)
	_, err = s.UserByID(ctx, "00000000-0000-4000-8000-000000000000")
	wantErrIs(t, "UserByID of an unknown id", err, store.ErrNotFound)
	if ids := identities(t, s, "00000000-0000-4000-8000-000000000000"); len(ids) != 0 {
		t.Fatalf("IdentitiesOf an unknown user = %+v", ids)
	}

	// A later sighting refreshes the link, not the user, and is not a change.
	rev := head(t, s)
	again := store.IdentitySighting{Provider: "google", Subject: "g-1", Issuer: "https://accounts.google.example",
		Email: "anne.new@example.com", Name: "Another Name", AvatarURL: "https://img.example/new",
		Claims: []byte(`{"sub":"g-1","hd":"example.com"}`)}
	u2, created := provision(t, s, again)
	if created || u2 != u {
		t.Fatalf("second sighting = %+v, created %v; want the unchanged user %+v", u2, created, u)
	}
	ids = identities(t, s, u.ID)
	if len(ids) != 1 {
		t.Fatalf("IdentitiesOf after a second sighting = %+v", ids)
	}
	got := ids[0]
	if got.Issuer != again.Issuer || got.Email != "anne.new@example.com" || string(got.Claims) != string(again.Claims) ||
		!got.CreatedAt.Equal(u.CreatedAt) || got.LastSeenAt.Before(u.CreatedAt) || got.UserID != u.ID {
		t.Fatalf("refreshed identity = %+v", got)
	}
	if h := head(t, s); h != rev {
		t.Fatalf("a repeat sighting appended changes: head %d, was %d", h, rev)
	}
	if _, err := s.UserByEmail(ctx, "anne.new@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the user's email followed the identity's: %v", err)
	}

	// Another identity of the same person is a new user (never linked by email).
	other, created := provision(t, s, sighting("github", "github|7", "bob@example.com"))
	if !created || other.ID == u.ID {
		t.Fatalf("a new identity with a new email: %+v, created %v", other, created)
	}

	// No claims are stored as an empty object.
	bare := store.IdentitySighting{Provider: "corp", Subject: "c-1", Email: "carol@example.com"}
	carol, _ := provision(t, s, bare)
	if ids := identities(t, s, carol.ID); len(ids) != 1 || string(ids[0].Claims) != "{}" || ids[0].Issuer != "" {
		t.Fatalf("identity without claims = %+v", ids)
	}
	if carol.Name != "" || carol.AvatarURL != "" {
		t.Fatalf("user without a name = %+v", carol)
	}
}

func testProvisionUserInvalid(t *testing.T, s store.Store) {
	ctx := t.Context()
	rev := head(t, s)
	valid := sighting("google", "g-1", "anne@example.com")
	cases := []struct {
		name string
		edit func(si *store.IdentitySighting)
	}{
		{"no email", func(si *store.IdentitySighting) { si.Email = "" }},
		{"blank email", func(si *store.IdentitySighting) { si.Email = "  " }},
		{"no provider", func(si *store.IdentitySighting) { si.Provider = "" }},
		{"no subject", func(si *store.IdentitySighting) { si.Subject = "" }},
		{"claims not JSON", func(si *store.IdentitySighting) { si.Claims = []byte(`{"sub":`) }},
		{"claims an array", func(si *store.IdentitySighting) { si.Claims = []byte(`["sub"]`) }},
		{"claims null", func(si *store.IdentitySighting) { si.Claims = []byte(`null`) }},
	}
	for _, c := range cases {
		si := valid
		c.edit(&si)
		if u, _, err := s.ProvisionUser(ctx, si); err == nil {
			t.Errorf("%s: ProvisionUser accepted it: %+v", c.name, u)
		}
	}
	if h := head(t, s); h != rev {
		t.Fatalf("rejected sightings appended changes: head %d, was %d", h, rev)
	}
	if _, err := s.UserByEmail(ctx, "anne@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a rejected sighting created a user: %v", err)
	}
}

func testEmailTaken(t *testing.T, s store.Store) {
	ctx := t.Context()
	anne, _ := provision(t, s, sighting("google", "g-1", "anne@example.com"))
	rev := head(t, s)

	// Another provider, or another subject of the same one, with Anne's
	// email in any case: refused, and nothing is written.
	for _, si := range []store.IdentitySighting{
		sighting("github", "github|1", "ANNE@example.com"),
		sighting("google", "g-2", "anne@EXAMPLE.com"),
	} {
		_, created, err := s.ProvisionUser(ctx, si)
		wantErrIs(t, "ProvisionUser of "+si.Provider+"/"+si.Subject+" with a taken email", err, store.ErrEmailTaken)
		if created {
			t.Fatal("created = true with an error")
		}
	}
	if h := head(t, s); h != rev {
		t.Fatalf("a refused sighting appended changes: head %d, was %d", h, rev)
	}
	if got := userOf(t, s, anne.ID); got != anne {
		t.Fatalf("the owner of the email changed: %+v, want %+v", got, anne)
	}
	if ids := identities(t, s, anne.ID); len(ids) != 1 || ids[0].Provider != "google" || ids[0].Subject != "g-1" {
		t.Fatalf("identities of the owner after refusals = %+v", ids)
	}
	// The refused identity was not linked to anyone: with an email of its
	// own it is a first sighting.
	u, created := provision(t, s, sighting("github", "github|1", "anne@personal.example"))
	if !created || u.ID == anne.ID || u.Email != "anne@personal.example" {
		t.Fatalf("the refused identity later: %+v, created %v", u, created)
	}
}

func testUserFlags(t *testing.T, s store.Store) {
	ctx := t.Context()
	u, _ := provision(t, s, sighting("google", "g-1", "anne@example.com"))
	other, _ := provision(t, s, sighting("google", "g-2", "bob@example.com"))

	steps := []struct {
		name       string
		set        func() error
		wantActive bool
		wantAdmin  bool
	}{
		{"grant admin", func() error { return s.SetUserAdmin(ctx, u.ID, true) }, true, true},
		{"deactivate", func() error { return s.SetUserActive(ctx, u.ID, false) }, false, true},
		{"deactivate again", func() error { return s.SetUserActive(ctx, u.ID, false) }, false, true},
		{"revoke admin", func() error { return s.SetUserAdmin(ctx, u.ID, false) }, false, false},
		{"reactivate", func() error { return s.SetUserActive(ctx, u.ID, true) }, true, false},
	}
	prev := u
	for _, st := range steps {
		rev := head(t, s)
		wantErrIs(t, st.name, st.set(), nil)
		got := userOf(t, s, u.ID)
		if got.Active != st.wantActive || got.Admin != st.wantAdmin {
			t.Fatalf("%s: user = %+v, want active %v admin %v", st.name, got, st.wantActive, st.wantAdmin)
		}
		if got.UpdatedAt.Before(prev.UpdatedAt) || !got.CreatedAt.Equal(u.CreatedAt) || got.Email != u.Email {
			t.Fatalf("%s: user = %+v after %+v", st.name, got, prev)
		}
		cs := allChanges(t, s, "", rev)
		if len(cs) != 1 || cs[0].Op != store.OpUser || cs[0].UserID != u.ID || cs[0].ServiceID != "" {
			t.Fatalf("%s: changes %+v, want one OpUser change of %s", st.name, cs, u.ID)
		}
		prev = got
	}
	if got := userOf(t, s, other.ID); got != other {
		t.Fatalf("another user changed: %+v, want %+v", got, other)
	}

	// A deactivated user is still found by a sighting, as inactive.
	wantErrIs(t, "deactivate", s.SetUserActive(ctx, u.ID, false), nil)
	got, created := provision(t, s, sighting("google", "g-1", "anne@example.com"))
	if created || got.ID != u.ID || got.Active {
		t.Fatalf("sighting of a deactivated user = %+v, created %v", got, created)
	}

	rev := head(t, s)
	unknown := "00000000-0000-4000-8000-000000000000"
	wantErrIs(t, "SetUserActive of an unknown user", s.SetUserActive(ctx, unknown, true), store.ErrNotFound)
	wantErrIs(t, "SetUserAdmin of an unknown user", s.SetUserAdmin(ctx, unknown, true), store.ErrNotFound)
	if h := head(t, s); h != rev {
		t.Fatalf("failed flag changes appended changes: head %d, was %d", h, rev)
	}
}

// testUserChanges checks that OpUser rows carry the user and reach only the
// global log, interleaved in revision order with tuple changes.
func testUserChanges(t *testing.T, s store.Store) {
	ctx := t.Context()
	svc := newService(t, s, "svc")
	m := newModel(t, s, svc.ID)
	start := head(t, s)
	anne, _ := provision(t, s, sighting("google", "g-1", "anne@example.com"))
	mustWrite(t, s, svc.ID, tup("doc:1#viewer@user:anne"))
	wantErrIs(t, "SetUserActive", s.SetUserActive(ctx, anne.ID, false), nil)
	wantErrIs(t, "SetUserAdmin", s.SetUserAdmin(ctx, anne.ID, true), nil)
	provision(t, s, sighting("google", "g-1", "anne@example.com")) // a refresh: no change

	all := allChanges(t, s, "", start)
	var got []string
	for _, c := range all {
		switch c.Op {
		case store.OpUser:
			if c.ServiceID != "" || c.ModelID != "" || c.Tuple.Object.Type != "" {
				t.Fatalf("OpUser change carries other data: %+v", c)
			}
			got = append(got, "user "+c.UserID)
		default:
			if c.UserID != "" {
				t.Fatalf("%s change carries a user: %+v", c.Op, c)
			}
			got = append(got, changeStrings([]store.Change{c})...)
		}
	}
	u := "user " + anne.ID
	equalStrings(t, "Changes(\"\")", got, []string{u, "write doc:1#viewer@user:anne", u, u})

	svcChanges := allChanges(t, s, svc.ID, 0)
	equalStrings(t, "Changes(service)", changeStrings(svcChanges), []string{"model " + m.ID, "write doc:1#viewer@user:anne"})
}

// testConcurrentProvisioning runs first sightings in parallel: of one
// identity (one user, no error), and of different identities sharing an
// email (one user, the rest ErrEmailTaken).
func testConcurrentProvisioning(t *testing.T, s store.Store) {
	const n = 8
	ctx := t.Context()
	run := func(si func(g int) store.IdentitySighting) ([]store.User, []bool, []error) {
		users, created, errs := make([]store.User, n), make([]bool, n), make([]error, n)
		var wg sync.WaitGroup
		for g := range n {
			wg.Go(func() { users[g], created[g], errs[g] = s.ProvisionUser(ctx, si(g)) })
		}
		wg.Wait()
		return users, created, errs
	}

	start := head(t, s)
	users, created, errs := run(func(int) store.IdentitySighting { return sighting("google", "same", "same@example.com") })
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent first sightings of one identity: %v", err)
	}
	var creators int
	for g := range n {
		if created[g] {
			creators++
		}
		if users[g] != users[0] {
			t.Fatalf("sighting %d returned %+v, sighting 0 %+v", g, users[g], users[0])
		}
	}
	if creators != 1 {
		t.Fatalf("%d sightings report created, want 1", creators)
	}
	if ids := identities(t, s, users[0].ID); len(ids) != 1 {
		t.Fatalf("identities = %+v, want one", ids)
	}
	if cs := allChanges(t, s, "", start); len(cs) != 1 || cs[0].UserID != users[0].ID {
		t.Fatalf("changes %+v, want one OpUser change", cs)
	}

	users, _, errs = run(func(g int) store.IdentitySighting {
		return sighting("corp", fmt.Sprintf("c-%d", g), "Shared@example.com")
	})
	winner := -1
	for g, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("sightings %d and %d both got the email", winner, g)
		case err == nil:
			winner = g
		case !errors.Is(err, store.ErrEmailTaken):
			t.Fatalf("sighting %d: %v, want ErrEmailTaken", g, err)
		}
	}
	if winner < 0 {
		t.Fatal("no sighting got the shared email")
	}
	owner, err := s.UserByEmail(ctx, "shared@example.com")
	if err != nil || owner != users[winner] {
		t.Fatalf("owner of the shared email = %+v, %v; want %+v", owner, err, users[winner])
	}
	if ids := identities(t, s, owner.ID); len(ids) != 1 || ids[0].Subject != fmt.Sprintf("c-%d", winner) {
		t.Fatalf("identities of the owner = %+v", ids)
	}
}

func testSigningKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	keys, err := s.SigningKeys(ctx)
	wantErrIs(t, "SigningKeys of a new store", err, nil)
	if len(keys) != 0 {
		t.Fatalf("SigningKeys of a new store = %+v", keys)
	}
	rev := head(t, s)
	base := time.Now().UTC().Truncate(time.Microsecond)
	key := func(kid string, signFrom time.Duration) store.SigningKey {
		return store.SigningKey{KID: kid, Alg: "ES256", PrivateSealed: []byte{0, 1, 2, 0xff, byte(len(kid))},
			PublicJWK: []byte(`{"kty":"EC","kid":"` + kid + `"}`), CreatedAt: base, SignFrom: base.Add(signFrom)}
	}
	// Added out of order; "b" and "c" start signing at the same time.
	add := []store.SigningKey{key("c", time.Hour), key("a", 2*time.Hour), key("b", time.Hour), key("z", 0)}
	for _, k := range add {
		wantErrIs(t, "AddSigningKey "+k.KID, s.AddSigningKey(ctx, k), nil)
	}
	dup := key("a", 0)
	dup.Alg = "RS256"
	wantErrIs(t, "AddSigningKey of a stored kid", s.AddSigningKey(ctx, dup), store.ErrAlreadyExists)

	keys, err = s.SigningKeys(ctx)
	wantErrIs(t, "SigningKeys", err, nil)
	want := []store.SigningKey{add[3], add[2], add[0], add[1]} // z, b, c, a
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("SigningKeys =\n %+v\nwant (by SignFrom, then KID, bytes and times exact)\n %+v", keys, want)
	}

	invalid := []struct {
		name string
		edit func(k *store.SigningKey)
	}{
		{"no kid", func(k *store.SigningKey) { k.KID = "" }},
		{"no alg", func(k *store.SigningKey) { k.Alg = "" }},
		{"no private key", func(k *store.SigningKey) { k.PrivateSealed = nil }},
		{"JWK not JSON", func(k *store.SigningKey) { k.PublicJWK = []byte("{") }},
	}
	for _, c := range invalid {
		k := key("new", 0)
		c.edit(&k)
		if err := s.AddSigningKey(ctx, k); err == nil {
			t.Errorf("AddSigningKey with %s succeeded", c.name)
		}
	}

	wantErrIs(t, "DeleteSigningKey", s.DeleteSigningKey(ctx, "c"), nil)
	wantErrIs(t, "DeleteSigningKey again", s.DeleteSigningKey(ctx, "c"), store.ErrNotFound)
	wantErrIs(t, "DeleteSigningKey of an unknown kid", s.DeleteSigningKey(ctx, "nope"), store.ErrNotFound)
	keys, err = s.SigningKeys(ctx)
	wantErrIs(t, "SigningKeys", err, nil)
	var kids []string
	for _, k := range keys {
		kids = append(kids, k.KID)
	}
	equalStrings(t, "SigningKeys after a delete", kids, []string{"z", "b", "a"})

	// Zero times: created now, signing from creation.
	wantErrIs(t, "AddSigningKey without times", s.AddSigningKey(ctx, store.SigningKey{
		KID: "now", Alg: "EdDSA", PrivateSealed: []byte{1}, PublicJWK: []byte(`{}`)}), nil)
	keys, err = s.SigningKeys(ctx)
	wantErrIs(t, "SigningKeys", err, nil)
	if i := slices.IndexFunc(keys, func(k store.SigningKey) bool { return k.KID == "now" }); i < 0 ||
		keys[i].CreatedAt.Before(base) || !keys[i].SignFrom.Equal(keys[i].CreatedAt) {
		t.Fatalf("key added without times: %+v", keys)
	}
	if h := head(t, s); h != rev {
		t.Fatalf("signing keys appended changes: head %d, was %d", h, rev)
	}
}
