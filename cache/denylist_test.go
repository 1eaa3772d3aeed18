package cache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func newTestDenylist(t *testing.T, be backend, clk *clock) *Denylist {
	t.Helper()
	rdb, prefix := be.open(t)
	return NewDenylist(rdb, DenylistOptions{Prefix: prefix, Now: clk.Now})
}

func wantDenied(t testing.TB, d *Denylist, jti string, want bool) {
	t.Helper()
	got, err := d.Denied(context.Background(), jti)
	if err != nil {
		t.Fatalf("Denied(%q): %v", jti, err)
	}
	if got != want {
		t.Fatalf("Denied(%q) = %v, want %v", jti, got, want)
	}
}

func TestDenylist(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			clk := newClock()
			d := newTestDenylist(t, be, clk)
			ctx := t.Context()
			now := clk.Now()

			wantDenied(t, d, "a", false)
			if err := d.Deny(ctx, "a", now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			wantDenied(t, d, "a", true)
			wantDenied(t, d, "b", false)

			// Denying again with an earlier expiry keeps the later one.
			if err := d.Deny(ctx, "a", now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if be.name == "memory" {
				clk.Advance(30 * time.Minute)
				wantDenied(t, d, "a", true)
			} else {
				pttl, err := d.rdb.PTTL(ctx, d.key("a")).Result()
				if err != nil {
					t.Fatal(err)
				}
				if pttl <= 30*time.Minute {
					t.Fatalf("redis TTL %v after a shorter second Deny, want about an hour", pttl)
				}
			}

			// A token already expired needs no entry.
			if err := d.Deny(ctx, "old", clk.Now().Add(-time.Second)); err != nil {
				t.Fatal(err)
			}
			wantDenied(t, d, "old", false)

			for _, jti := range []string{"", strings.Repeat("x", maxJTILen+1)} {
				if err := d.Deny(ctx, jti, now.Add(time.Hour)); err == nil {
					t.Errorf("Deny(%.10q…) accepted", jti)
				}
				if _, err := d.Denied(ctx, jti); err == nil {
					t.Errorf("Denied(%.10q…) answered", jti)
				}
			}
		})
	}
}

// TestDenylistEntryExpiresWithToken (in process, on the fake clock): denied
// up to the token's expiry, not after.
func TestDenylistEntryExpiresWithToken(t *testing.T) {
	clk := newClock()
	d := NewDenylist(nil, DenylistOptions{Now: clk.Now})
	until := clk.Now().Add(15 * time.Minute)
	if err := d.Deny(t.Context(), "j", until); err != nil {
		t.Fatal(err)
	}
	clk.Advance(15*time.Minute - time.Nanosecond)
	wantDenied(t, d, "j", true)
	clk.Advance(time.Nanosecond)
	wantDenied(t, d, "j", false)
	if len(d.local) != 0 {
		t.Fatalf("expired entry kept: %v", d.local)
	}
}

// TestDenylistSweepsExpired: the in-process map does not grow with tokens
// that expired and were never asked about again.
func TestDenylistSweepsExpired(t *testing.T) {
	clk := newClock()
	d := NewDenylist(nil, DenylistOptions{Now: clk.Now})
	for i := range 5000 {
		if err := d.Deny(t.Context(), fmt.Sprintf("j%d", i), clk.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
	}
	// A sweep at 1024 entries leaves the last minute's 60, so the map stays
	// below the first sweep threshold.
	if n := len(d.local); n > 1024 {
		t.Fatalf("%d entries kept for 60 live tokens", n)
	}
}

// TestDenylistRedisEntryExpiresWithToken: Redis drops the entry when the
// token expires.
func TestDenylistRedisEntryExpiresWithToken(t *testing.T) {
	rdb, prefix := testRedis(t)
	d := NewDenylist(rdb, DenylistOptions{Prefix: prefix})
	lifetime := 300 * time.Millisecond
	if err := d.Deny(t.Context(), "j", time.Now().Add(lifetime)); err != nil {
		t.Fatal(err)
	}
	pttl, err := rdb.PTTL(t.Context(), d.key("j")).Result()
	if err != nil {
		t.Fatal(err)
	}
	if pttl <= 0 || pttl > lifetime {
		t.Fatalf("redis TTL %v, want within (0, %v]", pttl, lifetime)
	}
	// Wait for Redis to expire it (generously bounded: this is not a timing check).
	deadline := time.Now().Add(10 * time.Second)
	for {
		denied, err := d.Denied(t.Context(), "j")
		if err != nil {
			t.Fatal(err)
		}
		if !denied {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("still denied long after the token expired")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDenylistFailsClosed: with Redis configured but refusing connections
// or hanging, Denied and Deny return errors, never "not denied".
func TestDenylistFailsClosed(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		var logs logBuffer
		d := NewDenylist(deadRedis(t), DenylistOptions{Logger: logs.logger()})
		for range 5 {
			denied, err := d.Denied(t.Context(), "j")
			if err == nil || denied {
				t.Fatalf("Denied = %v, %v; want an error", denied, err)
			}
		}
		if err := d.Deny(t.Context(), "j", time.Now().Add(time.Hour)); err == nil {
			t.Fatal("Deny succeeded without Redis")
		}
		if n := logs.count("redis unreachable"); n != 1 {
			t.Fatalf("outage logged %d times, want once:\n%s", n, logs.buf.String())
		}
	})
	t.Run("hanging", func(t *testing.T) {
		rdb, prefix := testRedis(t)
		px := newProxy(t, redisAddr)
		viaProxy, err := Connect("redis://" + px.addr())
		if err != nil {
			t.Fatal(err)
		}
		defer viaProxy.Close()
		clk := newClock()
		d := NewDenylist(viaProxy, DenylistOptions{Prefix: prefix, RedisTimeout: 100 * time.Millisecond, Now: clk.Now})
		if err := d.Deny(t.Context(), "j", clk.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		wantDenied(t, d, "j", true)
		if n, _ := rdb.Exists(t.Context(), prefix+"deny:j").Result(); n != 1 {
			t.Fatal("entry not under the test's prefix")
		}

		px.freeze()
		for _, jti := range []string{"j", "other"} {
			denied, err := d.Denied(t.Context(), jti)
			if err == nil || denied {
				t.Fatalf("Denied(%q) = %v, %v with Redis hanging; want an error", jti, denied, err)
			}
		}
		// Between probes the answer is an immediate error.
		if _, err := d.Denied(t.Context(), "j"); !errors.Is(err, ErrRedisDown) {
			t.Fatalf("err %v, want ErrRedisDown", err)
		}

		px.unfreeze()
		clk.Advance(time.Second)
		wantDenied(t, d, "j", true)
		wantDenied(t, d, "other", false)
	})
}

// TestDenylistCallerCancelIsNotAnOutage: a caller giving up does not make
// the next caller fail fast.
func TestDenylistCallerCancelIsNotAnOutage(t *testing.T) {
	rdb, prefix := testRedis(t)
	d := NewDenylist(rdb, DenylistOptions{Prefix: prefix})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := d.Denied(ctx, "j"); err == nil {
		t.Fatal("Denied answered on a cancelled context")
	}
	wantDenied(t, d, "j", false)
}
