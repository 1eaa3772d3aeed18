package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/store"
)

func testServices(t *testing.T, s store.Store) {
	ctx := t.Context()
	before := time.Now().Add(-time.Second)
	b := newService(t, s, "beta")
	a := newService(t, s, "alpha")
	if a.ID == "" || a.ID == b.ID || a.Name != "alpha" {
		t.Fatalf("CreateService returned %+v (and %+v)", a, b)
	}
	if a.CreatedAt.Location() != time.UTC || a.CreatedAt.Before(before) {
		t.Fatalf("CreatedAt %v: want a recent UTC time", a.CreatedAt)
	}

	_, err := s.CreateService(ctx, "alpha")
	wantErrIs(t, "CreateService of a taken name", err, store.ErrAlreadyExists)

	lookups := []struct {
		name string
		get  func() (store.Service, error)
		want store.Service
		err  error
	}{
		{"by name", func() (store.Service, error) { return s.ServiceByName(ctx, "alpha") }, a, nil},
		{"by id", func() (store.Service, error) { return s.ServiceByID(ctx, b.ID) }, b, nil},
		{"unknown name", func() (store.Service, error) { return s.ServiceByName(ctx, "gamma") }, store.Service{}, store.ErrNotFound},
		// The system service exists (a migration creates it) but has no
		// usable name, so no key can be made for it.
		{"system by name", func() (store.Service, error) { return s.ServiceByName(ctx, store.SystemServiceName) }, store.Service{}, store.ErrNotFound},
		{"unknown id", func() (store.Service, error) { return s.ServiceByID(ctx, "00000000-0000-4000-8000-000000000000") }, store.Service{}, store.ErrNotFound},
	}
	for _, l := range lookups {
		got, err := l.get()
		wantErrIs(t, l.name, err, l.err)
		if !reflect.DeepEqual(got, l.want) {
			t.Errorf("%s: got %+v, want %+v (times must round-trip exactly, in UTC)", l.name, got, l.want)
		}
	}

	list, err := s.ListServices(ctx)
	wantErrIs(t, "ListServices", err, nil)
	if !reflect.DeepEqual(list, []store.Service{a, b}) {
		t.Fatalf("ListServices = %+v, want alpha then beta", list)
	}
}

func testAdminKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	hashes, err := s.AdminKeyHashes(ctx)
	wantErrIs(t, "AdminKeyHashes", err, nil)
	if len(hashes) != 0 {
		t.Fatalf("AdminKeyHashes of a new store = %q", hashes)
	}
	for _, h := range []string{"h1", "h2", "h1"} {
		wantErrIs(t, "AddAdminKey "+h, s.AddAdminKey(ctx, h), nil)
	}
	hashes, err = s.AdminKeyHashes(ctx)
	wantErrIs(t, "AdminKeyHashes", err, nil)
	equalStrings(t, "AdminKeyHashes (adding a hash twice is a no-op)", hashes, []string{"h1", "h2"})
}

func testKeyActive(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Minute), now.Add(time.Minute)
	cases := []struct {
		name string
		key  store.Key
		want bool
	}{
		{"plain", store.Key{}, true},
		{"expires later", store.Key{ExpiresAt: &future}, true},
		{"expired", store.Key{ExpiresAt: &past}, false},
		{"expires now", store.Key{ExpiresAt: &now}, false},
		{"revoked", store.Key{RevokedAt: &past}, false},
		{"revoked now", store.Key{RevokedAt: &now}, false},
		{"revocation scheduled", store.Key{RevokedAt: &future}, true},
	}
	for _, c := range cases {
		if got := c.key.Active(now); got != c.want {
			t.Errorf("%s: Active = %v, want %v", c.name, got, c.want)
		}
	}
}

func testKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	svc := newService(t, s, "svc")
	other := newService(t, s, "other")
	start := head(t, s)

	_, err := s.CreateKey(ctx, "00000000-0000-4000-8000-000000000000", "hx", "sk_x", nil)
	wantErrIs(t, "CreateKey for an unknown service", err, store.ErrNotFound)

	create := func(hash string, grace *time.Duration) store.Key {
		t.Helper()
		k, err := s.CreateKey(ctx, svc.ID, hash, "sk_"+hash, grace)
		if err != nil {
			t.Fatalf("CreateKey(%s): %v", hash, err)
		}
		return k
	}
	byHash := func(hash string) store.Key {
		t.Helper()
		k, err := s.KeyByHash(ctx, hash)
		if err != nil {
			t.Fatalf("KeyByHash(%s): %v", hash, err)
		}
		return k
	}
	wantExpiry := func(hash string, want *time.Time) {
		t.Helper()
		got := byHash(hash).ExpiresAt
		if (got == nil) != (want == nil) || got != nil && !got.Equal(*want) {
			t.Fatalf("key %s: ExpiresAt = %v, want %v", hash, got, want)
		}
	}

	k1 := create("h1", nil)
	if k1.ID == "" || k1.ServiceID != svc.ID || k1.Prefix != "sk_h1" || k1.ExpiresAt != nil || k1.RevokedAt != nil || k1.LastUsedAt != nil {
		t.Fatalf("CreateKey = %+v", k1)
	}
	if got := byHash("h1"); !reflect.DeepEqual(got, k1) {
		t.Fatalf("KeyByHash = %+v, want %+v", got, k1)
	}
	if !k1.Active(time.Now()) {
		t.Fatal("a new key is not active")
	}
	_, err = s.CreateKey(ctx, svc.ID, "h1", "sk_dup", nil)
	wantErrIs(t, "CreateKey of a stored hash", err, store.ErrAlreadyExists)
	_, err = s.KeyByHash(ctx, "nope")
	wantErrIs(t, "KeyByHash of an unknown hash", err, store.ErrNotFound)

	create("h2", nil)
	wantExpiry("h1", nil) // no grace: others untouched
	if _, err := s.CreateKey(ctx, other.ID, "o1", "sk_o1", nil); err != nil {
		t.Fatalf("CreateKey(other): %v", err)
	}

	// Rotation: others expire at now+grace, the new key does not.
	hour, twoHours, zero := time.Hour, 2*time.Hour, time.Duration(0)
	k3 := create("h3", &hour)
	exp3 := k3.CreatedAt.Add(hour)
	wantExpiry("h1", &exp3)
	wantExpiry("h2", &exp3)
	wantExpiry("h3", nil)
	wantExpiry("o1", nil) // another service's key is untouched

	// A longer grace never extends an earlier expiry.
	k4 := create("h4", &twoHours)
	exp4 := k4.CreatedAt.Add(twoHours)
	wantExpiry("h1", &exp3)
	wantExpiry("h3", &exp4)
	wantExpiry("h4", nil)

	// Revocation.
	wantErrIs(t, "RevokeKey", s.RevokeKey(ctx, svc.ID, k3.ID), nil)
	if r := byHash("h3"); r.RevokedAt == nil || r.Active(time.Now()) {
		t.Fatalf("revoked key = %+v, want RevokedAt set and inactive", r)
	}
	wantErrIs(t, "RevokeKey of another service's key", s.RevokeKey(ctx, other.ID, k1.ID), store.ErrNotFound)
	wantErrIs(t, "RevokeKey of an unknown key", s.RevokeKey(ctx, svc.ID, "nope"), store.ErrNotFound)
	if byHash("h1").RevokedAt != nil {
		t.Fatal("RevokeKey through another service revoked the key")
	}

	// Zero grace: every other active key expires at once; revoked keys
	// keep their expiry.
	k5 := create("h5", &zero)
	for _, h := range []string{"h1", "h2", "h4"} {
		wantExpiry(h, &k5.CreatedAt)
		if byHash(h).Active(k5.CreatedAt) {
			t.Fatalf("key %s still active after a zero-grace rotation", h)
		}
	}
	wantExpiry("h3", &exp4)
	if !byHash("h5").Active(time.Now()) {
		t.Fatal("the rotated-in key is not active")
	}

	// TouchKey.
	used := time.Now().Add(-time.Minute)
	wantErrIs(t, "TouchKey", s.TouchKey(ctx, k1.ID, used), nil)
	if lu := byHash("h1").LastUsedAt; lu == nil || !lu.Equal(used.Truncate(time.Microsecond)) || lu.Location() != time.UTC {
		t.Fatalf("LastUsedAt = %v, want %v in UTC", lu, used)
	}
	wantErrIs(t, "TouchKey of an unknown key", s.TouchKey(ctx, "nope", used), store.ErrNotFound)

	// ListKeys: oldest first, per service.
	keys, err := s.ListKeys(ctx, svc.ID)
	wantErrIs(t, "ListKeys", err, nil)
	var prefixes []string
	for _, k := range keys {
		prefixes = append(prefixes, k.Prefix)
	}
	equalStrings(t, "ListKeys", prefixes, []string{"sk_h1", "sk_h2", "sk_h3", "sk_h4", "sk_h5"})
	if keys, _ := s.ListKeys(ctx, other.ID); len(keys) != 1 {
		t.Fatalf("ListKeys(other) = %+v", keys)
	}

	// Every create and revoke appended an OpKey change, seen only by the
	// global log.
	var svcKeyOps int
	for _, c := range allChanges(t, s, "", start) {
		if c.Op != store.OpKey {
			t.Fatalf("unexpected change %+v", c)
		}
		if c.ServiceID == svc.ID {
			svcKeyOps++
		}
		if c.ModelID != "" || c.Tuple.Object.Type != "" {
			t.Fatalf("OpKey change carries data: %+v", c)
		}
	}
	if svcKeyOps != 6 { // h1 h2 h3 h4 revoke h5
		t.Fatalf("%d OpKey changes for the service, want 6", svcKeyOps)
	}
	if cs := allChanges(t, s, svc.ID, start); len(cs) != 0 {
		t.Fatalf("Changes(service) includes key ops: %+v", cs)
	}
}
