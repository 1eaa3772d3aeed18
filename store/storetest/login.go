package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

// RunLogin runs the conformance tests of the LoginStore. open must return
// a new, empty store for each call and release it when t ends.
func RunLogin(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"StateSingleUse", testLoginStateSingleUse},
		{"CodePeekAndTake", testLoginCodePeekAndTake},
		{"CodeTakenOnce", testLoginCodeTakenOnce},
		{"RefreshRotation", testRefreshRotation},
		{"RefreshConcurrentReuse", testRefreshConcurrentReuse},
		{"RefreshRevokeUser", testRefreshRevokeUser},
		{"Prune", testLoginPrune},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// loginT0 is a fixed clock: the store compares with the now it is given.
var loginT0 = time.Date(2032, 3, 4, 5, 6, 7, 0, time.UTC)

func wantIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if (want == nil && err != nil) || (want != nil && !errors.Is(err, want)) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func testLoginStateSingleUse(t *testing.T, s store.Store) {
	ctx := t.Context()
	st := store.LoginState{Hash: store.SecretHash("state-1"), Kind: "login", Provider: "corp",
		Data: []byte(`{"redirect_uri":"https://app.example/cb"}`), CreatedAt: loginT0, ExpiresAt: loginT0.Add(10 * time.Minute)}
	wantIs(t, "put", s.PutLoginState(ctx, st), nil)
	wantIs(t, "put again", s.PutLoginState(ctx, st), store.ErrAlreadyExists)
	got, err := s.TakeLoginState(ctx, st.Hash, loginT0.Add(time.Minute))
	wantIs(t, "take", err, nil)
	if got.Hash != st.Hash || got.Kind != "login" || got.Provider != "corp" || string(got.Data) != string(st.Data) ||
		!got.CreatedAt.Equal(st.CreatedAt) || !got.ExpiresAt.Equal(st.ExpiresAt) || got.ExpiresAt.Location() != time.UTC {
		t.Fatalf("take = %+v, want %+v", got, st)
	}
	_, err = s.TakeLoginState(ctx, st.Hash, loginT0.Add(time.Minute))
	wantIs(t, "take twice", err, store.ErrNotFound)
	_, err = s.TakeLoginState(ctx, store.SecretHash("never stored"), loginT0)
	wantIs(t, "take unknown", err, store.ErrNotFound)

	// An expired state is refused, and gone: the same take with an
	// earlier clock finds nothing either.
	old := st
	old.Hash = store.SecretHash("state-2")
	wantIs(t, "put", s.PutLoginState(ctx, old), nil)
	_, err = s.TakeLoginState(ctx, old.Hash, old.ExpiresAt)
	wantIs(t, "take at expiry", err, store.ErrNotFound)
	_, err = s.TakeLoginState(ctx, old.Hash, loginT0)
	wantIs(t, "take after expired take", err, store.ErrNotFound)
}

func loginCode(secret, user string) store.LoginCode {
	return store.LoginCode{Hash: store.SecretHash(secret), UserID: user, Provider: "corp", ClientAppID: "app-1",
		RedirectURI: "https://app.example/cb", Challenge: "challenge-" + secret, CreatedAt: loginT0, ExpiresAt: loginT0.Add(5 * time.Minute)}
}

func testLoginCodePeekAndTake(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := loginCode("code-1", "u1")
	wantIs(t, "put", s.PutLoginCode(ctx, c), nil)
	wantIs(t, "put again", s.PutLoginCode(ctx, c), store.ErrAlreadyExists)
	now := loginT0.Add(time.Minute)

	_, err := s.PeekLoginCode(ctx, c.Hash, "wrong", now)
	wantIs(t, "peek, wrong challenge", err, store.ErrCodeMismatch)
	for i := range 2 { // peeking uses nothing up
		got, err := s.PeekLoginCode(ctx, c.Hash, c.Challenge, now)
		wantIs(t, fmt.Sprint("peek ", i), err, nil)
		if fmt.Sprint(got) != fmt.Sprint(c) {
			t.Fatalf("peek = %+v, want %+v", got, c)
		}
	}
	_, err = s.PeekLoginCode(ctx, c.Hash, c.Challenge, c.ExpiresAt)
	wantIs(t, "peek at expiry", err, store.ErrNotFound)
	_, err = s.TakeLoginCode(ctx, c.Hash, c.Challenge, c.ExpiresAt)
	wantIs(t, "take at expiry", err, store.ErrNotFound)
	_, err = s.TakeLoginCode(ctx, c.Hash, "wrong", now)
	wantIs(t, "take, wrong challenge", err, store.ErrCodeMismatch)

	// The mismatch left the code for its rightful holder.
	got, err := s.TakeLoginCode(ctx, c.Hash, c.Challenge, now)
	wantIs(t, "take", err, nil)
	if fmt.Sprint(got) != fmt.Sprint(c) {
		t.Fatalf("take = %+v, want %+v", got, c)
	}
	_, err = s.TakeLoginCode(ctx, c.Hash, c.Challenge, now)
	wantIs(t, "take twice", err, store.ErrNotFound)
	_, err = s.PeekLoginCode(ctx, c.Hash, c.Challenge, now)
	wantIs(t, "peek after take", err, store.ErrNotFound)
	_, err = s.TakeLoginCode(ctx, c.Hash, "wrong", now)
	wantIs(t, "take used code, wrong challenge", err, store.ErrNotFound)
}

// testLoginCodeTakenOnce races many takes of one code: exactly one wins.
func testLoginCodeTakenOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	for round := range 5 {
		c := loginCode(fmt.Sprint("race-", round), "u1")
		wantIs(t, "put", s.PutLoginCode(ctx, c), nil)
		const n = 12
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			won  int
			errs []error
		)
		for range n {
			wg.Go(func() {
				_, err := s.TakeLoginCode(ctx, c.Hash, c.Challenge, loginT0)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case !errors.Is(err, store.ErrNotFound):
					errs = append(errs, err)
				}
			})
		}
		wg.Wait()
		if won != 1 || len(errs) > 0 {
			t.Fatalf("round %d: %d of %d takes got the code, unexpected errors %v", round, won, n, errs)
		}
	}
}

func newFamily(t *testing.T, s store.Store, user, current string) store.RefreshFamily {
	t.Helper()
	f := store.RefreshFamily{ID: uuid.NewString(), UserID: user, WorkspaceID: "ws-1", ClientAppID: "app-1",
		CurrentHash: store.SecretHash(current), CreatedAt: loginT0, RotatedAt: loginT0, ExpiresAt: loginT0.Add(7 * 24 * time.Hour)}
	wantIs(t, "create family", s.CreateRefreshFamily(t.Context(), f), nil)
	return f
}

func testRefreshRotation(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := newFamily(t, s, "u1", "jti-1")
	wantIs(t, "create again", s.CreateRefreshFamily(ctx, f), store.ErrAlreadyExists)
	got, err := s.RefreshFamily(ctx, f.ID)
	wantIs(t, "read", err, nil)
	if fmt.Sprint(got) != fmt.Sprint(f) {
		t.Fatalf("RefreshFamily = %+v, want %+v", got, f)
	}
	_, err = s.RefreshFamily(ctx, "no-such-family")
	wantIs(t, "read unknown", err, store.ErrNotFound)
	wantIs(t, "rotate unknown", s.RotateRefresh(ctx, "no-such-family", "a", "b", loginT0.Add(time.Hour), loginT0), store.ErrNotFound)

	now := loginT0.Add(time.Hour)
	h1, h2, h3 := store.SecretHash("jti-1"), store.SecretHash("jti-2"), store.SecretHash("jti-3")
	wantIs(t, "rotate 1→2", s.RotateRefresh(ctx, f.ID, h1, h2, now.Add(7*24*time.Hour), now), nil)
	got, _ = s.RefreshFamily(ctx, f.ID)
	if got.CurrentHash != h2 || !got.RotatedAt.Equal(now) || !got.ExpiresAt.Equal(now.Add(7*24*time.Hour)) || got.RevokedAt != nil {
		t.Fatalf("after a rotation: %+v", got)
	}
	wantIs(t, "rotate 2→3", s.RotateRefresh(ctx, f.ID, h2, h3, now.Add(7*24*time.Hour), now), nil)

	// jti-1 comes back: reuse, and the family is gone for its holder too.
	wantIs(t, "reuse of 1", s.RotateRefresh(ctx, f.ID, h1, store.SecretHash("x"), now.Add(time.Hour), now), store.ErrRefreshReused)
	got, _ = s.RefreshFamily(ctx, f.ID)
	if got.RevokedAt == nil || !got.RevokedAt.Equal(now) || got.CurrentHash != h3 {
		t.Fatalf("after reuse: %+v", got)
	}
	wantIs(t, "current after reuse", s.RotateRefresh(ctx, f.ID, h3, store.SecretHash("y"), now.Add(time.Hour), now), store.ErrRefreshRevoked)
	wantIs(t, "revoke revoked", s.RevokeRefreshFamily(ctx, f.ID, now.Add(time.Minute)), nil)
	got, _ = s.RefreshFamily(ctx, f.ID)
	if !got.RevokedAt.Equal(now) {
		t.Fatalf("a second revocation moved revoked_at: %+v", got)
	}
	wantIs(t, "revoke unknown", s.RevokeRefreshFamily(ctx, "no-such-family", now), store.ErrNotFound)

	// An expired family is revoked for every token, current or not.
	e := newFamily(t, s, "u1", "e-1")
	wantIs(t, "rotate expired", s.RotateRefresh(ctx, e.ID, e.CurrentHash, "z", e.ExpiresAt.Add(time.Hour), e.ExpiresAt), store.ErrRefreshRevoked)
	got, _ = s.RefreshFamily(ctx, e.ID)
	if got.CurrentHash != e.CurrentHash || got.RevokedAt != nil {
		t.Fatalf("a refused rotation changed the family: %+v", got)
	}
}

// testRefreshConcurrentReuse rotates one token from many goroutines: one
// rotation wins, every other is reuse, and the family ends revoked.
func testRefreshConcurrentReuse(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := newFamily(t, s, "u1", "jti-0")
	const n = 10
	var (
		wg                sync.WaitGroup
		mu                sync.Mutex
		won, reused, rest int
	)
	for i := range n {
		wg.Go(func() {
			err := s.RotateRefresh(ctx, f.ID, f.CurrentHash, store.SecretHash(fmt.Sprint("next-", i)), loginT0.Add(time.Hour), loginT0)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, store.ErrRefreshReused), errors.Is(err, store.ErrRefreshRevoked):
				reused++
			default:
				rest++
				t.Errorf("rotate: %v", err)
			}
		})
	}
	wg.Wait()
	got, _ := s.RefreshFamily(ctx, f.ID)
	if won != 1 || reused != n-1 || rest != 0 || got.RevokedAt == nil {
		t.Fatalf("won %d, reused %d, other %d; family %+v", won, reused, rest, got)
	}
}

func testRefreshRevokeUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	a1, a2 := newFamily(t, s, "anne", "a1"), newFamily(t, s, "anne", "a2")
	b := newFamily(t, s, "bob", "b1")
	now := loginT0.Add(time.Minute)
	wantIs(t, "revoke a2 first", s.RevokeRefreshFamily(ctx, a2.ID, now), nil)
	n, err := s.RevokeUserRefreshFamilies(ctx, "anne", now.Add(time.Second))
	if err != nil || n != 1 {
		t.Fatalf("RevokeUserRefreshFamilies = %d, %v; want 1 (a2 was revoked already)", n, err)
	}
	for _, f := range []store.RefreshFamily{a1, a2} {
		wantIs(t, "anne's family after revocation", s.RotateRefresh(ctx, f.ID, f.CurrentHash, "x", now.Add(time.Hour), now), store.ErrRefreshRevoked)
	}
	wantIs(t, "bob's family", s.RotateRefresh(ctx, b.ID, b.CurrentHash, store.SecretHash("b2"), now.Add(time.Hour), now), nil)
	if n, err := s.RevokeUserRefreshFamilies(ctx, "nobody", now); err != nil || n != 0 {
		t.Fatalf("RevokeUserRefreshFamilies(nobody) = %d, %v", n, err)
	}
}

func testLoginPrune(t *testing.T, s store.Store) {
	ctx := t.Context()
	cut := loginT0.Add(time.Hour)
	// One expired and one live row in each table.
	for i, exp := range []time.Time{cut.Add(-time.Second), cut.Add(time.Second)} {
		wantIs(t, "put state", s.PutLoginState(ctx, store.LoginState{Hash: store.SecretHash(fmt.Sprint("s", i)), Kind: "login",
			Provider: "corp", CreatedAt: loginT0, ExpiresAt: exp}), nil)
		c := loginCode(fmt.Sprint("c", i), "u1")
		c.ExpiresAt = exp
		wantIs(t, "put code", s.PutLoginCode(ctx, c), nil)
		f := store.RefreshFamily{ID: fmt.Sprint("f", i), UserID: "u1", WorkspaceID: "w", CurrentHash: "h",
			CreatedAt: loginT0, RotatedAt: loginT0, ExpiresAt: exp}
		wantIs(t, "create family", s.CreateRefreshFamily(ctx, f), nil)
	}
	n, err := s.PruneLogin(ctx, cut)
	if err != nil || n != 3 {
		t.Fatalf("PruneLogin = %d, %v; want 3", n, err)
	}
	if _, err := s.RefreshFamily(ctx, "f0"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired family kept: %v", err)
	}
	if _, err := s.RefreshFamily(ctx, "f1"); err != nil {
		t.Fatalf("live family pruned: %v", err)
	}
	if _, err := s.PeekLoginCode(ctx, store.SecretHash("c1"), "challenge-c1", loginT0); err != nil {
		t.Fatalf("live code pruned: %v", err)
	}
	if _, err := s.TakeLoginState(ctx, store.SecretHash("s1"), loginT0); err != nil {
		t.Fatalf("live state pruned: %v", err)
	}
	if n, err := s.PruneLogin(ctx, cut); err != nil || n != 0 {
		t.Fatalf("second PruneLogin = %d, %v; want 0", n, err)
	}
}
