package storetest

import (
	"fmt"
	"testing"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// BenchWriteTuples measures WriteTuples with batches of 100 new tuples per
// request on one service; it reports tuples/s.
func BenchWriteTuples(b *testing.B, s store.Store) {
	const batch = 100
	svc := newService(b, s, "bench")
	newModel(b, s, svc.ID)
	ts := make([]tuple.Tuple, batch)
	b.ReportAllocs()
	b.ResetTimer()
	for n := range b.N {
		for i := range ts {
			ts[i] = tuple.Tuple{
				Object:   tuple.Object{Type: "doc", ID: fmt.Sprintf("d%d_%d", n, i)},
				Relation: "viewer",
				User:     tuple.User{Type: "user", ID: fmt.Sprintf("u%d", i)},
			}
		}
		if _, err := s.WriteTuples(b.Context(), svc.ID, store.TupleWrite{Writes: ts}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "tuples/s")
}

// BenchLoadSnapshot measures LoadSnapshot of n tuples spread over 10
// services; it reports tuples/s. Seeding uses requests of 5000 tuples.
func BenchLoadSnapshot(b *testing.B, s store.Store, n int) {
	const services, seedBatch = 10, 5000
	ids := make([]string, services)
	for i := range ids {
		ids[i] = newService(b, s, fmt.Sprintf("bench%d", i)).ID
		newModel(b, s, ids[i])
	}
	ts := make([]tuple.Tuple, 0, seedBatch)
	flush := func(sid string) {
		if len(ts) == 0 {
			return
		}
		if _, err := s.WriteTuples(b.Context(), sid, store.TupleWrite{Writes: ts}); err != nil {
			b.Fatal(err)
		}
		ts = ts[:0]
	}
	perService := n / services
	for si, sid := range ids {
		for i := range perService {
			ts = append(ts, tuple.Tuple{
				Object:   tuple.Object{Type: "doc", ID: fmt.Sprintf("d%d", i)},
				Relation: "viewer",
				User:     tuple.User{Type: "user", ID: fmt.Sprintf("u%d_%d", si, i%1000)},
			})
			if len(ts) == seedBatch {
				flush(sid)
			}
		}
		flush(sid)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		count := 0
		if _, err := s.LoadSnapshot(b.Context(), func(string, tuple.Tuple) error { count++; return nil }); err != nil {
			b.Fatal(err)
		}
		if count != perService*services {
			b.Fatalf("snapshot has %d tuples, want %d", count, perService*services)
		}
	}
	b.ReportMetric(float64(b.N*perService*services)/b.Elapsed().Seconds(), "tuples/s")
}
