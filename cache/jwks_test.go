package cache

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// backend is where a test's JWKS caches keep their sets.
type backend struct {
	name string
	open func(t *testing.T) (redis.UniversalClient, string) // client (nil: in process), key prefix
}

var backends = []backend{
	{"memory", func(t *testing.T) (redis.UniversalClient, string) { return nil, "" }},
	{"redis", func(t *testing.T) (redis.UniversalClient, string) {
		rdb, prefix := testRedis(t)
		return rdb, prefix
	}},
}

func newTestJWKS(t testing.TB, rdb redis.UniversalClient, prefix string, clk *clock, opt JWKSOptions) *JWKS {
	t.Helper()
	opt.Prefix, opt.Now = prefix, clk.Now
	c, err := NewJWKS(rdb, opt)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustFetch(t testing.TB, c *JWKS, u string, refresh bool) []byte {
	t.Helper()
	b, err := c.Fetch(context.Background(), u, refresh)
	if err != nil {
		t.Fatalf("Fetch(refresh=%v): %v", refresh, err)
	}
	return b
}

func wantHits(t testing.TB, p *idp, want int64) {
	t.Helper()
	if got := p.hits.Load(); got != want {
		t.Fatalf("identity provider fetched %d times, want %d", got, want)
	}
}

func TestJWKSHonoursCacheControl(t *testing.T) {
	tests := []struct {
		cacheControl string
		ttl          time.Duration // what the set must live, given [1m, 1h] and default 15m
	}{
		{"max-age=120", 2 * time.Minute},
		{"max-age=5", time.Minute},
		{"max-age=86400", time.Hour},
		{"", 15 * time.Minute},
	}
	for _, be := range backends {
		for _, tt := range tests {
			t.Run(be.name+"/"+tt.cacheControl, func(t *testing.T) {
				rdb, prefix := be.open(t)
				clk := newClock()
				p := newIDP(t, keySet(t, "k1"), tt.cacheControl)
				c := newTestJWKS(t, rdb, prefix, clk, JWKSOptions{MaxTTL: time.Hour})

				mustFetch(t, c, p.url(), false)
				wantHits(t, p, 1)
				if rdb != nil {
					// Redis expires the shared copy with the set.
					pttl, err := rdb.PTTL(t.Context(), c.redisKey(p.url())).Result()
					if err != nil {
						t.Fatal(err)
					}
					if pttl > tt.ttl || pttl < tt.ttl-30*time.Second {
						t.Errorf("redis TTL %v, want %v", pttl, tt.ttl)
					}
				}
				clk.Advance(tt.ttl - time.Millisecond)
				mustFetch(t, c, p.url(), false)
				wantHits(t, p, 1)
				clk.Advance(time.Millisecond)
				mustFetch(t, c, p.url(), false)
				wantHits(t, p, 2)
			})
		}
	}
}

func TestJWKSRefreshIsRateLimited(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			rdb, prefix := be.open(t)
			clk := newClock()
			old, rotated := keySet(t, "k1"), keySet(t, "k1", "k2")
			p := newIDP(t, old, "max-age=3600")
			c := newTestJWKS(t, rdb, prefix, clk, JWKSOptions{RefreshInterval: 10 * time.Second})

			mustFetch(t, c, p.url(), false)
			p.set(rotated, http.StatusOK)

			// Just fetched: a refresh within the window returns the cached set.
			if got := mustFetch(t, c, p.url(), true); !bytes.Equal(got, old) {
				t.Fatal("refresh within the window did not return the cached set")
			}
			wantHits(t, p, 1)

			clk.Advance(10 * time.Second)
			if got := mustFetch(t, c, p.url(), true); !bytes.Equal(got, rotated) {
				t.Fatal("refresh after the window did not return the new set")
			}
			wantHits(t, p, 2)
			if got := mustFetch(t, c, p.url(), false); !bytes.Equal(got, rotated) {
				t.Fatal("the refreshed set was not cached")
			}

			for range 5 {
				clk.Advance(time.Second)
				mustFetch(t, c, p.url(), true)
			}
			wantHits(t, p, 2)

			// A failed refresh counts too: the identity provider is not
			// hammered, callers keep the cached set meanwhile.
			clk.Advance(5 * time.Second)
			p.set([]byte("oops"), http.StatusInternalServerError)
			if _, err := c.Fetch(t.Context(), p.url(), true); err == nil || !strings.Contains(err.Error(), "status 500") {
				t.Fatalf("failed refresh: err %v, want status 500", err)
			}
			wantHits(t, p, 3)
			if got := mustFetch(t, c, p.url(), true); !bytes.Equal(got, rotated) {
				t.Fatal("refresh after a failed one did not return the cached set")
			}
			wantHits(t, p, 3)
		})
	}
}

// TestJWKSConcurrentMissesShareOneFetch: 50 goroutines that all miss, or
// all refresh, cause one HTTP fetch.
func TestJWKSConcurrentMissesShareOneFetch(t *testing.T) {
	for _, be := range backends {
		for _, refresh := range []bool{false, true} {
			name := be.name + "/miss"
			if refresh {
				name = be.name + "/refresh"
			}
			t.Run(name, func(t *testing.T) {
				rdb, prefix := be.open(t)
				clk := newClock()
				p := newIDP(t, keySet(t, "k1"), "")
				c := newTestJWKS(t, rdb, prefix, clk, JWKSOptions{})
				var before int64
				if refresh {
					mustFetch(t, c, p.url(), false)
					clk.Advance(time.Minute) // past the refresh window, still fresh
					before = 1
				}

				release := p.hold()
				var wg sync.WaitGroup
				errs := make(chan error, 50)
				for range 50 {
					wg.Go(func() {
						if _, err := c.Fetch(context.Background(), p.url(), refresh); err != nil {
							errs <- err
						}
					})
				}
				<-p.entered
				// Let the other goroutines pile up behind the fetch in flight.
				// (Those that come after it are answered from memory: the
				// count below holds however the scheduler runs them.)
				time.Sleep(50 * time.Millisecond)
				close(release)
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Error(err)
				}
				wantHits(t, p, before+1)
			})
		}
	}
}

// TestJWKSCallerCancelDoesNotCancelOthers: the first caller giving up does
// not fail the fetch the others share.
func TestJWKSCallerCancelDoesNotCancelOthers(t *testing.T) {
	clk := newClock()
	p := newIDP(t, keySet(t, "k1"), "")
	c := newTestJWKS(t, nil, "", clk, JWKSOptions{})
	release := p.hold()

	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := c.Fetch(ctx, p.url(), false)
		first <- err
	}()
	<-p.entered
	second := make(chan error, 1)
	go func() {
		_, err := c.Fetch(context.Background(), p.url(), false)
		second <- err
	}()
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: err %v, want context.Canceled", err)
	}
	close(release)
	if err := <-second; err != nil {
		t.Fatalf("other caller: %v", err)
	}
	wantHits(t, p, 1)
}

// TestJWKSReplicasShareRedis: two caches on one Redis act as two replicas;
// what one fetched the other does not fetch again, refreshes included.
func TestJWKSReplicasShareRedis(t *testing.T) {
	rdb, prefix := testRedis(t)
	clk := newClock()
	old, rotated := keySet(t, "k1"), keySet(t, "k1", "k2")
	p := newIDP(t, old, "max-age=3600")
	a := newTestJWKS(t, rdb, prefix, clk, JWKSOptions{})
	b := newTestJWKS(t, rdb, prefix, clk, JWKSOptions{})

	mustFetch(t, a, p.url(), false)
	if got := mustFetch(t, b, p.url(), false); !bytes.Equal(got, old) {
		t.Fatal("second replica got another set")
	}
	wantHits(t, p, 1)

	// Keys rotate; both replicas meet the new kid.
	p.set(rotated, http.StatusOK)
	clk.Advance(time.Minute)
	if got := mustFetch(t, a, p.url(), true); !bytes.Equal(got, rotated) {
		t.Fatal("first replica's refresh missed the new set")
	}
	if got := mustFetch(t, b, p.url(), true); !bytes.Equal(got, rotated) {
		t.Fatal("second replica's refresh did not take the new set from redis")
	}
	wantHits(t, p, 2)

	// Another prefix is another cache.
	other := newTestJWKS(t, rdb, randomPrefix(t), clk, JWKSOptions{})
	mustFetch(t, other, p.url(), false)
	wantHits(t, p, 3)
	rdb.Del(context.Background(), other.redisKey(p.url()))
}

// TestJWKSRejectsBadSetInRedis: a shared entry is validated like a download.
func TestJWKSRejectsBadSetInRedis(t *testing.T) {
	rdb, prefix := testRedis(t)
	clk := newClock()
	good := keySet(t, "k1")
	p := newIDP(t, good, "")
	c := newTestJWKS(t, rdb, prefix, clk, JWKSOptions{})
	bad := encodeEntry(&entry{body: []byte(`{"keys":[{"kty":"oct","kid":"s","k":"c2VjcmV0"}]}`),
		fetchedAt: clk.Now(), expiresAt: clk.Now().Add(time.Hour)})
	if err := rdb.Set(t.Context(), c.redisKey(p.url()), bad, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if got := mustFetch(t, c, p.url(), false); !bytes.Equal(got, good) {
		t.Fatalf("got %s, want the downloaded set", got)
	}
	wantHits(t, p, 1)
}

// TestJWKSRedisUnreachable: with Redis refusing connections the key sets
// are still served (in process, fetched directly) and the outage is logged
// once, not per request.
func TestJWKSRedisUnreachable(t *testing.T) {
	clk := newClock()
	var logs logBuffer
	p := newIDP(t, keySet(t, "k1"), "max-age=60")
	c := newTestJWKS(t, deadRedis(t), "", clk, JWKSOptions{Logger: logs.logger()})
	for i := range 10 {
		mustFetch(t, c, p.url(), false)
		mustFetch(t, c, p.url(), false)
		wantHits(t, p, int64(i+1))
		clk.Advance(time.Minute) // expired: every round goes to Redis, then the network
	}
	if n := logs.count("redis unreachable"); n != 1 {
		t.Fatalf("outage logged %d times, want once:\n%s", n, logs.buf.String())
	}
}

// TestJWKSRedisHangsMidRun: Redis works, then stops answering (timeouts,
// not refusals), then comes back. Callers are served throughout; each
// transition is logged once; the shared cache is used again afterwards.
func TestJWKSRedisHangsMidRun(t *testing.T) {
	testRedis(t) // skip (or fail under CI) without Redis
	px := newProxy(t, redisAddr)
	rdb, err := Connect("redis://" + px.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	prefix := randomPrefix(t)
	defer func() {
		direct, _ := testRedis(t)
		keys, _ := direct.Keys(context.Background(), prefix+"*").Result()
		if len(keys) > 0 {
			direct.Del(context.Background(), keys...)
		}
	}()
	clk := newClock()
	var logs logBuffer
	p := newIDP(t, keySet(t, "k1"), "max-age=60")
	opt := JWKSOptions{Logger: logs.logger(), RedisTimeout: 100 * time.Millisecond, RedisRetry: 30 * time.Second}
	a := newTestJWKS(t, rdb, prefix, clk, opt)
	b := newTestJWKS(t, rdb, prefix, clk, opt)

	mustFetch(t, a, p.url(), false)
	mustFetch(t, b, p.url(), false)
	wantHits(t, p, 1) // b read it from Redis

	px.freeze()
	clk.Advance(time.Minute)
	mustFetch(t, a, p.url(), false)
	wantHits(t, p, 2) // Redis timed out: fetched directly
	for range 5 {
		clk.Advance(time.Second) // within RedisRetry: Redis is not even tried
		mustFetch(t, a, p.url(), true)
		mustFetch(t, a, p.url(), false)
	}
	if n := logs.count("redis unreachable"); n != 1 {
		t.Fatalf("outage logged %d times, want once:\n%s", n, logs.buf.String())
	}

	px.unfreeze()
	clk.Advance(time.Minute) // expired again, and past RedisRetry: Redis is probed
	mustFetch(t, a, p.url(), false)
	wantHits(t, p, 3)
	if n := logs.count("redis reachable again"); n != 1 {
		t.Fatalf("recovery logged %d times, want once:\n%s", n, logs.buf.String())
	}
	// a stored the new set in Redis again: b (expired too) takes it from there.
	mustFetch(t, b, p.url(), false)
	wantHits(t, p, 3)
}

func TestNewJWKSRejectsBadOptions(t *testing.T) {
	for _, opt := range []JWKSOptions{
		{MinTTL: time.Hour, MaxTTL: time.Minute},
		{DefaultTTL: 48 * time.Hour},
		{MinTTL: -time.Second},
		{RefreshInterval: -time.Second},
	} {
		if _, err := NewJWKS(nil, opt); err == nil {
			t.Errorf("NewJWKS(%+v) accepted", opt)
		}
	}
}
