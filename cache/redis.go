package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Connect returns a Redis client for a SENTINEL_REDIS_URL (redis://,
// rediss:// or unix://), or nil when url is empty: a nil client means
// "in-process caches only" everywhere in this package. It does not ping:
// Redis being down at start is handled like Redis going down later.
//
// Timeouts and retries not set in the URL get values suited to a cache that
// can fall back (short timeouts, one retry), and context deadlines are
// honoured on the socket so an operation timeout really bounds a call.
func Connect(rawURL string) (*redis.Client, error) {
	if rawURL == "" {
		return nil, nil
	}
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		// url.Parse errors quote the input, which may carry a password.
		if _, ok := errors.AsType[*url.Error](err); ok {
			return nil, errors.New("parse redis URL: malformed URL")
		}
		return nil, fmt.Errorf("parse redis URL: %w", err)
	}
	if opt.DialTimeout == 0 {
		opt.DialTimeout = 2 * time.Second
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = time.Second
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = time.Second
	}
	if opt.MaxRetries == 0 {
		opt.MaxRetries = 1
	}
	if opt.DialerRetries == 0 {
		opt.DialerRetries = 1
	}
	opt.ContextTimeoutEnabled = true
	return redis.NewClient(opt), nil
}

// redisOp runs one Redis call bounded by timeout.
func redisOp[T any](ctx context.Context, timeout time.Duration, f func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return f(ctx)
}

// health remembers whether Redis answered lately. After a failure Redis is
// left alone for the retry period, then one caller probes it: a hung server
// costs one timeout per period rather than one per request. Each transition
// (up to down, down to up) is logged once.
type health struct {
	log      *slog.Logger
	cache    string // which cache, for the log
	fallback string // what it does meanwhile, for the log
	retry    time.Duration
	onSet    func(up bool) // may be nil

	mu    sync.Mutex
	down  bool
	until time.Time // while down: no probe before this
}

// usable reports whether the caller may talk to Redis now. While Redis is
// down it says yes to one caller per retry period: the probe.
func (h *health) usable(now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down {
		return true
	}
	if now.Before(h.until) {
		return false
	}
	h.until = now.Add(h.retry)
	return true
}

// report records the outcome of a Redis call; redis.Nil is an answer.
func (h *health) report(now time.Time, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil || errors.Is(err, redis.Nil) {
		if h.down {
			h.down = false
			h.log.Info("redis reachable again", "cache", h.cache)
			h.set(true)
		}
		return
	}
	h.until = now.Add(h.retry)
	if !h.down {
		h.down = true
		h.log.Warn("redis unreachable", "cache", h.cache, "meanwhile", h.fallback,
			"error", err.Error(), "retry_every", h.retry.String())
		h.set(false)
	}
}

func (h *health) set(up bool) {
	if h.onSet != nil {
		h.onSet(up)
	}
}

// ErrRedisDown is returned, wrapped, while an unreachable Redis is being
// left alone between probes.
var ErrRedisDown = errors.New("redis unreachable")
