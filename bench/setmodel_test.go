package bench_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/gen"
	"github.com/sentinel-auth/sentinel/model"
)

// BenchmarkSetModelUnderChecks measures reinstalling the dataset's model
// (the closures and flattened chains recomputed from every tuple) while a
// goroutine checks without pause, as a server's clients would. ns/op is
// one SetModel; check-max-ms is the longest check that ran meanwhile (a
// check that waits for the model change shows here), check-p99-µs its
// 99th percentile, and wrong-% the checks answered otherwise than the
// generator's reference says (the model is the same, so none may be).
func BenchmarkSetModelUnderChecks(b *testing.B) {
	for _, n := range sizes() {
		b.Run(label(n), func(b *testing.B) {
			f := load(b, n)
			f.verify(b)
			m, err := model.ParseDSL(gen.Model)
			if err != nil {
				b.Fatal(err)
			}
			var (
				lat   []time.Duration
				wrong int
				done  = make(chan struct{})
				wg    sync.WaitGroup
			)
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := context.Background()
				for i := 0; ; i++ {
					select {
					case <-done:
						return
					default:
					}
					c := &f.checks[i%len(f.checks)]
					t0 := time.Now()
					res, err := f.eng.Check(ctx, service, checkRequest(c))
					lat = append(lat, time.Since(t0))
					if err != nil {
						b.Error(err)
						return
					}
					if res.Allowed != c.Allowed {
						wrong++
					}
				}
			}()
			b.ResetTimer()
			for range b.N {
				if err := f.eng.SetModel(service, m); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			close(done)
			wg.Wait()
			if len(lat) == 0 {
				return
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)-1])/1e6, "check-max-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100])/1e3, "check-p99-µs")
			b.ReportMetric(100*float64(wrong)/float64(len(lat)), "wrong-%")
		})
	}
}
