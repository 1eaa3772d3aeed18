package main

import (
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"testing"
)

// TestSetGCPace: --gc-percent sets the collector's pace unless GOGC is set,
// and a pace below 1 is refused. Not parallel: the pace is the process's.
func TestSetGCPace(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	log := slog.New(slog.DiscardHandler)
	t.Setenv("GOGC", "") // restored after the test
	cases := []struct {
		name    string
		gogc    string // "-" leaves GOGC unset
		percent int
		want    int // the pace afterwards, from 100
		err     string
	}{
		{"default", "-", defaultGCPercent, defaultGCPercent, ""},
		{"flag", "-", 150, 150, ""},
		{"GOGC wins", "300", 150, 100, ""},
		{"GOGC=off wins", "off", 150, 100, ""},
		{"zero", "-", 0, 100, "want 1 or more"},
		{"negative with GOGC", "300", -1, 100, "want 1 or more"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.gogc == "-" {
				os.Unsetenv("GOGC")
			} else {
				os.Setenv("GOGC", c.gogc)
			}
			debug.SetGCPercent(100)
			err := setGCPace(c.percent, log)
			if got := debug.SetGCPercent(100); got != c.want {
				t.Errorf("pace %d, want %d", got, c.want)
			}
			switch {
			case c.err == "" && err != nil:
				t.Errorf("error %v", err)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Errorf("error %v, want one saying %q", err, c.err)
			}
		})
	}
}
