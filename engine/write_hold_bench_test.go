package engine

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/gen"
	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/tuple"
)

// BenchmarkWriteHold applies the write load of bench's CheckUnderWrites
// (single-tuple batches: fresh tuples from gen.FreshTuples, each deleted
// again 100 writes later) to gen's dataset, and reports per kind of write
// (writeKind) how long the index's write lock was held, what a check
// arriving meanwhile waits: held-p50-µs, held-p99-µs and held-max-µs in
// wall time, held-cpu-p99-µs in the thread's CPU time (wall time on a
// shared machine counts the waits for a core too); and the CPU time of the
// whole Apply, which competes with checks for the cores: apply-cpu-p50-µs,
// apply-cpu-p99-µs. One op is one mutation; run it with -benchtime=4000x
// or so for a stable tail. Sizes: 100k tuples, and 1M with
// SENTINEL_BENCH_LARGE=1.
func BenchmarkWriteHold(b *testing.B) {
	sizes := []int{100_000}
	if os.Getenv("SENTINEL_BENCH_LARGE") == "1" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			d, err := gen.Build(gen.Config{Tuples: n})
			if err != nil {
				b.Fatal(err)
			}
			e, err := New(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			m, err := model.ParseDSL(gen.Model)
			if err != nil {
				b.Fatal(err)
			}
			if err := e.SetModel("svc", m); err != nil {
				b.Fatal(err)
			}
			l := NewLoader()
			_ = d.Each(func(t tuple.Tuple) error { l.Add("svc", t); return nil })
			if err := e.Replace(context.Background(), l); err != nil {
				b.Fatal(err)
			}
			fresh := d.FreshTuples(b.N/2 + 1)
			times := map[string]*writeTimes{}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ResetTimer()
			for k := range b.N {
				mut := Mutation{ServiceID: "svc"}
				switch {
				case k%2 == 0:
					mut.Tuple = fresh[k/2]
				case k/2 >= 100:
					mut.Delete, mut.Tuple = true, fresh[k/2-100]
				default:
					continue // the writer deletes an absent tuple here
				}
				kind := writeKind(mut)
				if times[kind] == nil {
					times[kind] = &writeTimes{}
				}
				times[kind].add(applyTimed(e, []Mutation{mut}))
			}
			b.StopTimer()
			for kind, t := range times {
				t.report(b, kind)
			}
		})
	}
}

// writeKind names a mutation of the bench write load: "doc", "group" or
// "folder" (a document grant, a group membership, a folder grant), with
// "+" for a write and "-" for a delete.
func writeKind(m Mutation) string {
	if m.Delete {
		return m.Tuple.Object.Type + "-"
	}
	return m.Tuple.Object.Type + "+"
}

// writeTimes are the times of the writes of one kind.
type writeTimes struct{ held, heldCPU, applyCPU []time.Duration }

func (w *writeTimes) add(t applyTimes) {
	w.held = append(w.held, t.held)
	w.heldCPU = append(w.heldCPU, t.heldCPU)
	w.applyCPU = append(w.applyCPU, t.applyCPU)
}

func (w *writeTimes) report(b *testing.B, kind string) {
	for _, ds := range [][]time.Duration{w.held, w.heldCPU, w.applyCPU} {
		slices.Sort(ds)
	}
	p := func(ds []time.Duration, q int) float64 { return float64(ds[(len(ds)-1)*q/100]) / 1e3 }
	b.ReportMetric(p(w.held, 50), kind+"-held-p50-µs")
	b.ReportMetric(p(w.held, 99), kind+"-held-p99-µs")
	b.ReportMetric(p(w.held, 100), kind+"-held-max-µs")
	b.ReportMetric(p(w.heldCPU, 99), kind+"-held-cpu-p99-µs")
	b.ReportMetric(p(w.applyCPU, 50), kind+"-apply-cpu-p50-µs")
	b.ReportMetric(p(w.applyCPU, 99), kind+"-apply-cpu-p99-µs")
}

// applyTimes are the times of one Apply: how long it held the write lock
// (wall and CPU time) and the CPU time of all of it.
type applyTimes struct{ held, heldCPU, applyCPU time.Duration }

// applyTimed applies one batch as Apply does, on a goroutine locked to its
// thread, and times it: the write lock is held for the install.
func applyTimed(e *Engine, muts []Mutation) applyTimes {
	var t applyTimes
	cpu := threadCPU()
	e.store.write(func(ts *tuples) func() {
		bt := e.prepare(ts, muts)
		return func() {
			start, startCPU := time.Now(), threadCPU()
			bt.install(ts)
			t.held, t.heldCPU = time.Since(start), threadCPU()-startCPU
		}
	})
	t.applyCPU = threadCPU() - cpu
	return t
}
