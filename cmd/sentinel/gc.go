package main

import (
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
)

// defaultGCPercent is the collector's pace Sentinel runs at: a collection
// when the heap has grown by 200% of the live data, not Go's 100%. The
// tuple index is most of the live heap and every collection marks all of
// it, so at 1M tuples this takes 4–10% off the CPU of a check for ≈0.1–0.2
// GiB more RSS (README, Configuration).
const defaultGCPercent = 200

// setGCPace sets the collector's pace to percent, unless the GOGC
// environment variable has set it (the runtime read it at start): Go's own
// setting wins, GOGC=off included.
func setGCPace(percent int, log *slog.Logger) error {
	if percent < 1 {
		return fmt.Errorf("--gc-percent %d: want 1 or more (GOGC=off turns the collector off)", percent)
	}
	if v, ok := os.LookupEnv("GOGC"); ok {
		log.Debug("collector pace set by GOGC", "GOGC", v)
		return nil
	}
	debug.SetGCPercent(percent)
	return nil
}
