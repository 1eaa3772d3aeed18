package datasync

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// benchTuples is the size of the initial-load benchmark:
// SENTINEL_BENCH_TUPLES (default 100000; the README quotes 1000000).
func benchTuples(b *testing.B) int {
	if v := os.Getenv("SENTINEL_BENCH_TUPLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 {
			b.Fatalf("SENTINEL_BENCH_TUPLES=%q: want a number >= 100", v)
		}
		return n
	}
	return 100_000
}

// seed writes n tuples in requests of 100: 1 in 4 users sees each doc,
// docs have 4 viewers, every 50th tuple is a group userset.
func seed(b *testing.B, st store.Store, n int) string {
	ctx := context.Background()
	svc, modelID := service(b, st, "bench")
	batch := make([]tuple.Tuple, 0, 100)
	for i := 0; i < n; i++ {
		user := tuple.User{Type: "user", ID: "u" + strconv.Itoa(i%50_000)}
		batch = append(batch, tuple.Tuple{Object: tuple.Object{Type: "doc", ID: strconv.Itoa(i / 4)}, Relation: "viewer", User: user})
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := st.WriteTuples(ctx, svc, store.TupleWrite{ModelID: modelID, Writes: batch}); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return svc
}

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

func heapMiB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse) / (1 << 20)
}

// BenchmarkInitialLoad measures a cold start: the snapshot read from the
// store plus building the in-memory index. It reports the heap the loaded
// index keeps (heap-MiB) and the process RSS growth (rss-MiB).
func BenchmarkInitialLoad(b *testing.B) {
	n := benchTuples(b)
	backends := map[string]func(b *testing.B) store.Store{
		"sqlite":   func(b *testing.B) store.Store { return openStore(b) },
		"postgres": func(b *testing.B) store.Store { return testenv.PostgresStore(b) },
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(fmt.Sprintf("%s/tuples=%d", name, n), func(b *testing.B) {
			st := backends[name](b)
			seed(b, st, n)
			heap0, rss0 := heapMiB(), rssMiB()
			var eng *engine.Engine
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				eng = nil
				runtime.GC()
				ctx, cancel := context.WithCancel(context.Background())
				var err error
				eng, err = engine.New(ctx)
				if err != nil {
					b.Fatal(err)
				}
				stats, err := New(st, eng, Options{}).Start(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if stats.Tuples != n {
					b.Fatalf("loaded %d tuples, want %d", stats.Tuples, n)
				}
				cancel()
			}
			b.StopTimer()
			b.ReportMetric(heapMiB()-heap0, "heap-MiB")
			b.ReportMetric(rssMiB()-rss0, "rss-MiB")
			runtime.KeepAlive(eng)
		})
	}
}
