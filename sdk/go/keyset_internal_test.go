package sentinel

import (
	"testing"
	"time"
)

func TestJWKSTTLIsBounded(t *testing.T) {
	ks := &keySet{refresh: 30 * time.Second, maxTTL: time.Hour}
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"", defaultJWKSTTL},
		{"public, max-age=300", 5 * time.Minute},
		{"max-age=600, must-revalidate", 10 * time.Minute},
		{"Max-Age=120", 2 * time.Minute},
		{`max-age="90"`, 90 * time.Second},
		{"max-age=31536000", time.Hour},                  // a year: bounded
		{"max-age=99999999999999999999", defaultJWKSTTL}, // overflows int64: ignored
		{"max-age=0", 30 * time.Second},                  // never below the refresh interval
		{"max-age=5", 30 * time.Second},
		{"no-store", 30 * time.Second},
		{"public, no-cache", 30 * time.Second},
		{"max-age=-1", defaultJWKSTTL},
	} {
		if got := ks.ttl(tc.header); got != tc.want {
			t.Errorf("ttl(%q) = %s, want %s", tc.header, got, tc.want)
		}
	}
}
