package bench_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/gen"
	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/tuple"
)

// service is the service id the benchmarks load their data under.
const service = "bench"

// samples is how many distinct questions a check benchmark cycles through.
const samples = 4096

// sizes are the dataset sizes: 10k and 100k tuples, and 1M with
// SENTINEL_BENCH_LARGE=1.
func sizes() []int {
	s := []int{10_000, 100_000}
	if os.Getenv("SENTINEL_BENCH_LARGE") == "1" {
		s = append(s, 1_000_000)
	}
	return s
}

func label(n int) string {
	if n >= 1_000_000 {
		return fmt.Sprintf("%dM", n/1_000_000)
	}
	return fmt.Sprintf("%dk", n/1000)
}

// fixture is an engine loaded with a generated dataset.
type fixture struct {
	n      int
	d      *gen.Dataset
	eng    *engine.Engine
	checks []gen.Check

	verifyOnce sync.Once
	wrong      float64 // share of checks answered differently from gen, %

	heavyOnce sync.Once
	heavy     gen.Heavy

	fresh   []tuple.Tuple // tuples the writer writes and deletes again
	applied int           // mutations the writer applied so far
}

// current is the last fixture built; one is kept at a time, so the 1M
// dataset does not stay in memory beside the others.
var current *fixture

// load returns an engine holding the dataset of n tuples.
func load(b *testing.B, n int) *fixture {
	b.Helper()
	if current != nil && current.n == n {
		return current
	}
	current = nil
	runtime.GC()
	d, err := gen.Build(gen.Config{Tuples: n})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	eng := newEngine(b, d)
	b.Logf("%s: loaded %d tuples in %s", label(n), d.Len(), time.Since(start).Round(time.Millisecond))
	current = &fixture{n: n, d: d, eng: eng, checks: d.SampleChecks(samples)}
	// Collect the load's garbage now: otherwise the collection of a
	// gigabyte of it runs during the first benchmark and is counted as
	// check latency (the first of three runs measured half again slower).
	runtime.GC()
	return current
}

// newEngine returns an engine with gen.Model and the tuples of d.
func newEngine(b *testing.B, d *gen.Dataset) *engine.Engine {
	b.Helper()
	ctx := context.Background()
	eng, err := engine.New(ctx)
	if err != nil {
		b.Fatal(err)
	}
	m, err := model.ParseDSL(gen.Model)
	if err != nil {
		b.Fatal(err)
	}
	if err := eng.SetModel(service, m); err != nil {
		b.Fatal(err)
	}
	l := engine.NewLoader()
	_ = d.Each(func(t tuple.Tuple) error { l.Add(service, t); return nil })
	if err := eng.Replace(ctx, l); err != nil {
		b.Fatal(err)
	}
	return eng
}

func checkRequest(c *gen.Check) engine.CheckRequest {
	return engine.CheckRequest{Object: c.Object, Relation: c.Relation, User: c.User}
}

// verify asks every sample once and records (f.wrong, reported as wrong-%
// by reportLatency) how many answers differ from gen's reference
// evaluator, logging the first few.
func (f *fixture) verify(b *testing.B) {
	b.Helper()
	f.verifyOnce.Do(func() {
		wrong := 0
		for i := range f.checks {
			c := &f.checks[i]
			res, err := f.eng.Check(context.Background(), service, checkRequest(c))
			if err != nil {
				b.Fatalf("check %s#%s@%s: %v", c.Object, c.Relation, c.User, err)
			}
			if res.Allowed != c.Allowed {
				if wrong < 3 {
					b.Logf("WRONG: check %s#%s@%s = %v, the model says %v", c.Object, c.Relation, c.User, res.Allowed, c.Allowed)
				}
				wrong++
			}
		}
		f.wrong = 100 * float64(wrong) / float64(len(f.checks))
		if wrong > 0 {
			b.Logf("WRONG: %d of %d sample checks answered wrongly", wrong, len(f.checks))
		}
	})
}

// reportLatency reports the median and 99th percentile of lat, and the
// share of wrong answers (after the timed loop: ResetTimer drops metrics).
func reportLatency(b *testing.B, lat []time.Duration, wrong float64) {
	b.ReportMetric(wrong, "wrong-%")
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100])/1e3, "p99-µs")
}

// rssMiB is the process's resident set size (0 where /proc is missing).
// It counts the whole benchmark process (the generated dataset too), and
// after many checks the heap the collector lets grow between collections.
func rssMiB() float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

// heapMiB is the heap in use after a collection.
func heapMiB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse) / (1 << 20)
}

// BenchmarkLoad measures an initial load (Loader.Add of every tuple, then
// Replace) into a fresh engine and reports the heap the loaded engine holds
// (heap-MiB, after a collection).
func BenchmarkLoad(b *testing.B) {
	for _, n := range sizes() {
		b.Run(label(n), func(b *testing.B) {
			current = nil // free the other benchmarks' engine
			d, err := gen.Build(gen.Config{Tuples: n})
			if err != nil {
				b.Fatal(err)
			}
			tuples := make([]tuple.Tuple, 0, d.Len())
			_ = d.Each(func(t tuple.Tuple) error { tuples = append(tuples, t); return nil })
			m, err := model.ParseDSL(gen.Model)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			var heap float64
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				before := heapMiB()
				eng, err := engine.New(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if err := eng.SetModel(service, m); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				l := engine.NewLoader()
				for _, t := range tuples {
					l.Add(service, t)
				}
				if err := eng.Replace(ctx, l); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				heap = heapMiB() - before
				runtime.KeepAlive(eng)
				b.StartTimer()
			}
			b.ReportMetric(heap, "heap-MiB")
			b.ReportMetric(rssMiB(), "rss-MiB")
			b.ReportMetric(float64(len(tuples)), "tuples")
		})
	}
}

// BenchmarkCheck measures one check at a time, cycling through gen's
// sample questions (about half allowed).
func BenchmarkCheck(b *testing.B) {
	for _, n := range sizes() {
		b.Run(label(n), func(b *testing.B) {
			f := load(b, n)
			f.verify(b)
			ctx := context.Background()
			lat := make([]time.Duration, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				c := &f.checks[i%len(f.checks)]
				start := time.Now()
				_, err := f.eng.Check(ctx, service, checkRequest(c))
				lat[i] = time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			reportLatency(b, lat, f.wrong)
			b.ReportMetric(rssMiB(), "rss-MiB")
		})
	}
}

// BenchmarkCheckParallel measures check throughput with every core busy.
func BenchmarkCheckParallel(b *testing.B) {
	for _, n := range sizes() {
		b.Run(label(n), func(b *testing.B) {
			f := load(b, n)
			f.verify(b)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					c := &f.checks[i%len(f.checks)]
					i += 7
					if _, err := f.eng.Check(ctx, service, checkRequest(c)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(f.wrong, "wrong-%")
		})
	}
}

// BenchmarkListObjects lists the documents gen's heavy user can edit
// (≈22% of them: ≈10,000 at 1M tuples, every one through nested groups and
// folder chains) and can view (those plus the public documents).
func BenchmarkListObjects(b *testing.B) {
	for _, n := range sizes() {
		for _, rel := range []string{"editor", "viewer"} {
			b.Run(label(n)+"/"+rel, func(b *testing.B) {
				f := load(b, n)
				f.heavyOnce.Do(func() { f.heavy = f.d.HeavyUser() })
				want := f.heavy.Objects
				if rel == "viewer" {
					want = f.heavy.Viewable
				}
				ctx := context.Background()
				req := engine.ListObjectsRequest{Type: f.heavy.Type, Relation: rel, User: f.heavy.User}
				got, err := f.eng.ListObjects(ctx, service, req)
				if err != nil {
					b.Skipf("ListObjects is not available: %v", err)
				}
				wrong := 0.0
				if len(got) != want {
					b.Logf("WRONG: list %s %s %s returned %d objects, the model says %d", req.Type, rel, req.User, len(got), want)
					wrong = 100
				}
				lat := make([]time.Duration, b.N)
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					start := time.Now()
					_, err := f.eng.ListObjects(ctx, service, req)
					lat[i] = time.Since(start)
					if err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				reportLatency(b, lat, wrong)
				b.ReportMetric(float64(want), "objects")
			})
		}
	}
}

// writeRate is the write load of BenchmarkCheckUnderWrites.
const writeRate = 1000 // per second

// BenchmarkCheckUnderWrites is BenchmarkCheck while a goroutine applies
// writeRate single-tuple Engine.Apply calls a second (half writes of fresh
// tuples from gen.FreshTuples — document grants, group memberships, folder
// grants to groups — half deletes of the write 100 before), compared with
// none: writes=0 and writes=1000 report p50-µs and p99-µs side by side,
// and writes/s the rate achieved.
func BenchmarkCheckUnderWrites(b *testing.B) {
	for _, n := range sizes() {
		for _, rate := range []int{0, writeRate} {
			b.Run(fmt.Sprintf("%s/writes=%d", label(n), rate), func(b *testing.B) {
				f := load(b, n)
				f.verify(b)
				ctx := context.Background()
				var writes int
				var stop func()
				if rate > 0 {
					writes, stop = f.writer(b, rate)
				}
				lat := make([]time.Duration, b.N)
				b.ResetTimer()
				start := time.Now()
				for i := range b.N {
					c := &f.checks[i%len(f.checks)]
					t0 := time.Now()
					_, err := f.eng.Check(ctx, service, checkRequest(c))
					lat[i] = time.Since(t0)
					if err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				elapsed := time.Since(start)
				if stop != nil {
					stop()
					b.ReportMetric(float64(f.applied-writes)/elapsed.Seconds(), "writes/s")
				}
				reportLatency(b, lat, f.wrong)
			})
		}
	}
}

// writer starts applying rate mutations a second until stop is called; it
// returns how many had been applied before (the count goes on across
// runs, so every write is of a fresh tuple).
func (f *fixture) writer(b *testing.B, rate int) (before int, stop func()) {
	if f.fresh == nil {
		f.fresh = f.d.FreshTuples(200_000)
	}
	before = f.applied
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		start, base := time.Now(), f.applied
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			due := base + int(time.Since(start).Seconds()*float64(rate))
			for f.applied < due {
				k := f.applied
				mut := engine.Mutation{ServiceID: service}
				switch {
				case k%2 == 0: // write fresh tuple k/2
					mut.Tuple = f.fresh[(k/2)%len(f.fresh)]
				case k/2 >= 100: // delete the write 100 before
					mut.Delete, mut.Tuple = true, f.fresh[(k/2-100)%len(f.fresh)]
				default:
					mut.Delete, mut.Tuple = true, f.fresh[len(f.fresh)-1] // absent: a no-op
				}
				if err := f.eng.Apply(context.Background(), []engine.Mutation{mut}); err != nil {
					b.Error(err)
					return
				}
				f.applied = k + 1
			}
		}
	}()
	return before, func() { close(done); wg.Wait() }
}
