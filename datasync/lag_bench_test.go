package datasync

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/store/postgres"
	"github.com/sentinel-auth/sentinel/store/postgres/pgtest"
	"github.com/sentinel-auth/sentinel/tuple"
)

// BenchmarkLagPostgres measures how long a committed write takes to reach
// another replica's engine: one store writes, a second store (its own pool
// and LISTEN connection, as another process would have) feeds a Syncer that
// is woken only by NOTIFY or its poll. Reports p50/p99 in ms.
func BenchmarkLagPostgres(b *testing.B) {
	ctx := context.Background()
	url := pgtest.URL(b)
	writer, err := postgres.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer writer.Close()
	reader, err := postgres.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer reader.Close()
	svc, modelID := service(b, writer, "lag")
	s, _ := start(b, reader, Options{})
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := tuple.Tuple{Object: tuple.Object{Type: "doc", ID: fmt.Sprint(i)}, Relation: "viewer", User: tuple.User{Type: "user", ID: "u"}}
		began := time.Now()
		rev, err := writer.WriteTuples(ctx, svc, store.TupleWrite{ModelID: modelID, Writes: []tuple.Tuple{t}})
		if err != nil {
			b.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = s.WaitFor(wctx, rev)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(began))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
