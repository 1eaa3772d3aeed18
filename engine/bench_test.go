package engine

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkApply measures changelog rows applied per second into an index
// already holding `base` tuples, by batch (engine transaction) size.
func BenchmarkApply(b *testing.B) {
	for _, bc := range []struct{ base, batch int }{
		{100_000, 10}, {100_000, 100}, {100_000, 1000}, {1_000_000, 100},
	} {
		b.Run(fmt.Sprintf("base=%d/batch=%d", bc.base, bc.batch), func(b *testing.B) {
			ctx := context.Background()
			e := newEngine(b, testModel)
			l := NewLoader()
			for i := 0; i < bc.base; i++ {
				l.Add("svc", mustTuple(b, fmt.Sprintf("doc:%d", i/4), "viewer", fmt.Sprintf("user:u%d", i)))
			}
			if err := e.Replace(ctx, l); err != nil {
				b.Fatal(err)
			}
			muts := make([]Mutation, bc.batch)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				for j := range muts {
					n := i*bc.batch + j
					// Half land on existing objects, half create new ones.
					muts[j] = Mutation{ServiceID: "svc", Tuple: mustTuple(b, fmt.Sprintf("doc:%d", n%(bc.base/2+1)), "editor", fmt.Sprintf("user:w%d", n))}
				}
				b.StartTimer()
				if err := e.Apply(ctx, muts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*bc.batch)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(0, "ns/op") // per batch; rows/s is the figure
		})
	}
}
