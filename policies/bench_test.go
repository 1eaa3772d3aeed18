package policies_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/policies"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// benchConfig is the benchmarks' population: 100 workspaces of 30 members,
// 6 groups and 1,000 resources each, so 100,000 registered resources
// (≈440k system tuples). A viewer sees ≈1,000 resources of their
// workspace: the 85% visible to it, plus what they own and what is shared
// with them or their groups, directly or through a parent.
var benchConfig = dataConfig{workspaces: 100, members: 30, groups: 6, resources: 1000, seed: 42}

// benchWorld is the population loaded into an engine, built once per
// process: loading goes straight to the engine (engine.Loader), which is
// what datasync's initial load does, without a store in between.
type benchWorld struct {
	d   *dataset
	eng *engine.Engine
}

var (
	benchOnce sync.Once
	bw        benchWorld
	benchErr  error
)

func loadBench(b *testing.B) benchWorld {
	b.Helper()
	benchOnce.Do(func() {
		start := time.Now()
		d := generate(benchConfig)
		ctx := context.Background()
		eng, err := engine.New(ctx)
		if err != nil {
			benchErr = err
			return
		}
		m, err := policies.Default()
		if err != nil {
			benchErr = err
			return
		}
		if err := eng.SetModel(store.SystemServiceID, m); err != nil {
			benchErr = err
			return
		}
		l := engine.NewLoader()
		for _, tp := range d.tuples() {
			l.Add(store.SystemServiceID, tp)
		}
		n := l.Len()
		if err := eng.Replace(ctx, l); err != nil {
			benchErr = err
			return
		}
		bw = benchWorld{d: d, eng: eng}
		b.Logf("%d resources, %d system tuples, loaded in %s", len(d.resources), n, time.Since(start).Round(time.Millisecond))
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return bw
}

// question is one check: a member of the resource's workspace (the API
// compares the token's workspace with the resource's before asking).
type question struct {
	user string
	res  *resourceRow
	rel  string
	want bool
}

// BenchmarkDefaultModelCheck measures single checks on the default model
// over 100k registered resources, cycling through 4,096 questions: a
// random member of a random workspace, a random resource of it, view or
// edit. It reports the median and 99th percentile latency, the share of
// allowed answers, and the share of answers that differ from the
// original's rules (wrong-%, must be 0).
func BenchmarkDefaultModelCheck(b *testing.B) {
	w := loadBench(b)
	rng := rand.New(rand.NewPCG(7, 7))
	qs := make([]question, 4096)
	allowed := 0
	for i := range qs {
		ws := w.d.workspaces[rng.IntN(len(w.d.workspaces))]
		q := question{
			user: ws.members[rng.IntN(len(ws.members))],
			res:  ws.resources[rng.IntN(len(ws.resources))],
			rel:  []string{"view", "edit"}[rng.IntN(2)],
		}
		q.want = w.d.allowed(q.user, q.res, q.rel)
		if q.want {
			allowed++
		}
		qs[i] = q
	}
	reqs := make([]engine.CheckRequest, len(qs))
	for i, q := range qs {
		reqs[i] = engine.CheckRequest{Object: tuple.Object{Type: "resource", ID: q.res.id}, Relation: q.rel, User: userRef(q.user)}
	}
	ctx := context.Background()
	wrong := 0
	for i, q := range qs {
		res, err := w.eng.Check(ctx, store.SystemServiceID, reqs[i])
		if err != nil {
			b.Fatal(err)
		}
		if res.Allowed != q.want {
			wrong++
		}
	}
	lat := make([]time.Duration, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		_, err := w.eng.Check(ctx, store.SystemServiceID, reqs[i%len(reqs)])
		lat[i] = time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportLatency(b, lat)
	b.ReportMetric(100*float64(wrong)/float64(len(qs)), "wrong-%")
	b.ReportMetric(100*float64(allowed)/float64(len(qs)), "allowed-%")
}

// BenchmarkDefaultModelList measures listing the resources a viewer of the
// first workspace can view (≈1,000) and edit, as `accessible` does for a
// role viewer, and reports how many were listed and whether the list
// differs from the original's rules (wrong-%: 0 or 100).
func BenchmarkDefaultModelList(b *testing.B) {
	w := loadBench(b)
	ws := w.d.workspaces[0]
	user := ws.members[len(ws.members)-1] // a viewer
	for _, rel := range []string{"view", "edit"} {
		b.Run(rel, func(b *testing.B) {
			var want []string
			for _, r := range w.d.resources {
				if w.d.allowed(user, r, rel) {
					want = append(want, r.id)
				}
			}
			slices.Sort(want)
			ctx := context.Background()
			req := engine.ListObjectsRequest{Type: "resource", Relation: rel, User: userRef(user)}
			got, err := w.eng.ListObjects(ctx, store.SystemServiceID, req)
			if err != nil {
				b.Fatal(err)
			}
			wrong := 0.0
			if !slices.Equal(got, want) {
				wrong = 100
			}
			lat := make([]time.Duration, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				start := time.Now()
				_, err := w.eng.ListObjects(ctx, store.SystemServiceID, req)
				lat[i] = time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			reportLatency(b, lat)
			b.ReportMetric(wrong, "wrong-%")
			b.ReportMetric(float64(len(want)), "objects")
		})
	}
}

// reportLatency reports the median and 99th percentile of lat (after the
// timed loop: ResetTimer drops metrics).
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100])/1e3, "p99-µs")
}
