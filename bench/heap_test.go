//go:build unix

package bench_test

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/gen"
	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/tuple"
)

// BenchmarkHeap measures what the loaded engine costs the garbage
// collector: an operation is one forced collection (runtime.GC) with the
// engine live and nothing else to collect, so ns/op is its wall time and
// gc-cpu-ms the process's CPU time meanwhile (median over the
// operations): the mark work every cycle of a server repeats. (The
// runtime's own estimate, /cpu/classes/gc, counts its workers' wall time,
// which other processes on the cores inflate.) heap-objects and heap-MiB
// (HeapAlloc) are what the engine holds after a collection; load-s and
// load-cpu-s are the load's wall and CPU time.
//
// The tuples are loaded as a store's scan delivers them (store/sqlstore's
// LoadSnapshot, datasync): every string of every tuple its own
// allocation, the service id too, made during the load; gen's tuples share
// their type and relation names and an object's id across its grants.
func BenchmarkHeap(b *testing.B) {
	for _, n := range sizes() {
		b.Run(label(n), func(b *testing.B) {
			current = nil // free the other benchmarks' engine
			d, err := gen.Build(gen.Config{Tuples: n})
			if err != nil {
				b.Fatal(err)
			}
			m, err := model.ParseDSL(gen.Model)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			before := memStats()
			eng, err := engine.New(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if err := eng.SetModel(service, m); err != nil {
				b.Fatal(err)
			}
			start, startCPU := time.Now(), processCPU()
			l := engine.NewLoader()
			_ = d.Each(func(t tuple.Tuple) error { l.Add(strings.Clone(service), scanned(t)); return nil })
			if err := eng.Replace(ctx, l); err != nil {
				b.Fatal(err)
			}
			loaded, loadedCPU := time.Since(start), processCPU()-startCPU
			after := memStats()

			cpu := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				was := processCPU()
				runtime.GC()
				cpu = append(cpu, processCPU()-was)
			}
			b.StopTimer()
			runtime.KeepAlive(eng)
			slices.Sort(cpu)
			b.ReportMetric(float64(cpu[len(cpu)/2])/1e6, "gc-cpu-ms")
			b.ReportMetric(float64(after.HeapObjects)-float64(before.HeapObjects), "heap-objects")
			b.ReportMetric((float64(after.HeapAlloc)-float64(before.HeapAlloc))/(1<<20), "heap-MiB")
			b.ReportMetric(loaded.Seconds(), "load-s")
			b.ReportMetric(loadedCPU.Seconds(), "load-cpu-s")
		})
	}
}

// memStats returns the memory statistics after a collection.
func memStats() runtime.MemStats {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// scanned returns t with every string a fresh copy, as a row scanned from
// the store is.
func scanned(t tuple.Tuple) tuple.Tuple {
	c := strings.Clone
	return tuple.Tuple{
		Object:   tuple.Object{Type: c(t.Object.Type), ID: c(t.Object.ID)},
		Relation: c(t.Relation),
		User:     tuple.User{Type: c(t.User.Type), ID: c(t.User.ID), Relation: c(t.User.Relation)},
	}
}
