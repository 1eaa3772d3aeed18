//go:build !linux

package engine

import "time"

// threadCPU is not measured here: CPU metrics read 0.
func threadCPU() time.Duration { return 0 }
