package cache

import (
	"context"
	"testing"
)

// BenchmarkJWKSWarm measures Fetch of a key set that is already cached:
//   - memory: single node, the set in process;
//   - redis/local: Redis configured, the set in process (the usual case on a
//     replica: Redis is not asked);
//   - redis/shared: a replica that has not seen the set yet takes it from
//     Redis (GET and re-validation), as a newly started replica does once.
func BenchmarkJWKSWarm(b *testing.B) {
	p := newIDP(b, keySet(b, "k1", "k2", "k3"), "max-age=3600")
	ctx := context.Background()
	warm := func(b *testing.B, c *JWKS) {
		if _, err := c.Fetch(ctx, p.url(), false); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("memory", func(b *testing.B) {
		c, err := NewJWKS(nil, JWKSOptions{})
		if err != nil {
			b.Fatal(err)
		}
		warm(b, c)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Fetch(ctx, p.url(), false); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("redis/local", func(b *testing.B) {
		rdb, prefix := testRedis(b)
		c, err := NewJWKS(rdb, JWKSOptions{Prefix: prefix})
		if err != nil {
			b.Fatal(err)
		}
		warm(b, c)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Fetch(ctx, p.url(), false); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("redis/shared", func(b *testing.B) {
		rdb, prefix := testRedis(b)
		clk := newClock()
		first, err := NewJWKS(rdb, JWKSOptions{Prefix: prefix, Now: clk.Now})
		if err != nil {
			b.Fatal(err)
		}
		warm(b, first)
		hits := p.hits.Load()
		c, err := NewJWKS(rdb, JWKSOptions{Prefix: prefix, Now: clk.Now})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			// Forget the in-process copy so each Fetch goes to Redis.
			c.mu.Lock()
			clear(c.entries)
			c.mu.Unlock()
			if _, err := c.Fetch(ctx, p.url(), false); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if n := p.hits.Load() - hits; n != 0 {
			b.Fatalf("%d fetches from the identity provider, want 0", n)
		}
	})
}
