package sentinel

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoffIsJitteredAndBounded(t *testing.T) {
	c := &Client{minBackoff: 100 * time.Millisecond, maxBackoff: time.Second}
	for attempt, ceiling := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond,
		800 * time.Millisecond, time.Second, time.Second, time.Second} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := c.backoff(attempt)
			if d <= 0 || d > ceiling {
				t.Fatalf("backoff(%d) = %s, want in (0, %s]", attempt, d, ceiling)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Fatalf("backoff(%d) took only %d values in 200 draws: not jittered", attempt, len(seen))
		}
	}
	if d := c.backoff(1000); d <= 0 || d > time.Second {
		t.Fatalf("backoff(1000) = %s, want the max bound", d)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{"7", 7 * time.Second},
		{" 2 ", 2 * time.Second},
		{"99999999999", 24 * time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
	} {
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseAPIError(t *testing.T) {
	for _, tc := range []struct {
		status   int
		body     string
		code     string
		msg      string
		temporay bool
	}{
		{400, `{"error":{"code":"invalid_argument","message":"bad object"}}`, "invalid_argument", "bad object", false},
		{503, `{"error":{"code":"consistency_timeout","message":"retry"}}`, "consistency_timeout", "retry", true},
		{429, ``, "", "Too Many Requests", true},
		{502, `<html>bad gateway</html>`, "", "<html>bad gateway</html>", true},
		{404, `{"detail":"Not Found"}`, "", `{"detail":"Not Found"}`, false},
	} {
		e := parseAPIError(tc.status, []byte(tc.body))
		if e.Status != tc.status || e.Code != tc.code || e.Message != tc.msg || e.Temporary() != tc.temporay {
			t.Errorf("parseAPIError(%d, %q) = %+v (temporary %v)", tc.status, tc.body, e, e.Temporary())
		}
	}
}
