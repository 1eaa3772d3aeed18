package sentinel

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// backoff is the wait before retry number attempt+1: "full jitter", a
// uniform draw from (0, min(maxBackoff, minBackoff·2^attempt)], so that
// clients failing together do not retry together.
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.maxBackoff
	if attempt < 30 {
		if d := c.minBackoff << attempt; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	if ceiling <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(ceiling))) + 1
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an
// HTTP-date. Anything else, or a time in the past, is 0 (no advice).
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(24*time.Hour/time.Second) {
			return 24 * time.Hour
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
