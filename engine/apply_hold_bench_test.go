package engine

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/gen"
	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/tuple"
)

// BenchmarkApplyHold applies the write load of bench's CheckUnderWrites
// (single-tuple batches: fresh tuples from gen.FreshTuples, each deleted
// again 100 writes later) to gen's dataset, and reports per kind of write
// how long the index's write lock was held (held-p50-µs, held-p99-µs,
// held-max-µs: what a check arriving meanwhile waits) and how long Apply
// took in all (apply-p50-µs, apply-p99-µs). One op is one mutation; run it
// with -benchtime=4000x or so for a stable tail. Sizes: 100k tuples, and
// 1M with SENTINEL_BENCH_LARGE=1.
func BenchmarkApplyHold(b *testing.B) {
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
			held := map[string][]time.Duration{}
			total := map[string][]time.Duration{}
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
				all, hold := applyTimed(b, e, []Mutation{mut})
				kind := writeKind(mut)
				held[kind] = append(held[kind], hold)
				total[kind] = append(total[kind], all)
			}
			b.StopTimer()
			for kind, lat := range held {
				slices.Sort(lat)
				slices.Sort(total[kind])
				b.ReportMetric(us(lat[len(lat)/2]), kind+"-held-p50-µs")
				b.ReportMetric(us(lat[len(lat)*99/100]), kind+"-held-p99-µs")
				b.ReportMetric(us(lat[len(lat)-1]), kind+"-held-max-µs")
				b.ReportMetric(us(total[kind][len(lat)/2]), kind+"-apply-p50-µs")
				b.ReportMetric(us(total[kind][len(lat)*99/100]), kind+"-apply-p99-µs")
			}
		})
	}
}

func us(d time.Duration) float64 { return float64(d) / 1e3 }

// writeKind names a mutation of the bench write load: "doc", "group" or
// "folder" (a document grant, a group membership, a folder grant), with
// "+" for a write and "-" for a delete.
func writeKind(m Mutation) string {
	k := m.Tuple.Object.Type
	if m.Delete {
		return k + "-"
	}
	return k + "+"
}

// applyTimed applies one batch as Apply does and returns how long that
// took and how long it held the index's write lock (the install).
func applyTimed(b *testing.B, e *Engine, muts []Mutation) (total, held time.Duration) {
	start := time.Now()
	e.store.write(func(ts *tuples) func() {
		bt := e.prepare(ts, muts)
		return func() {
			t0 := time.Now()
			bt.install(ts)
			held = time.Since(t0)
		}
	})
	return time.Since(start), held
}
