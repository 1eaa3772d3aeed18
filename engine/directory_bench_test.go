package engine

import (
	"context"
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkDirectoryMirror measures what an opt-in costs: the heap a full
// mirror of the directory adds to the index (forward and reverse index,
// group closures), per mirrored tuple and in all, beside what the
// directory's own copy takes, and what stays after an opt-out; and the
// time of an opt-in with the opt-out that follows it (ns/op). The directory: 2,000 workspaces of 25 members,
// each with 5 groups of 10 users, one group nested in another.
func BenchmarkDirectoryMirror(b *testing.B) {
	ctx := context.Background()
	e := dirEngine(b, map[string]string{"a": dirDocModel})
	heap := func() uint64 {
		if c := e.current("a"); c != nil {
			<-c.carefulReady // its compilation is not the mirror's
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	empty := heap()
	l := NewLoader()
	roles := []string{"owner", "admin", "editor", "viewer", "viewer"}
	for w := range 2000 {
		ws := fmt.Sprintf("workspace:w%d", w)
		for m := range 25 {
			l.Add(dirSvc, mustTuple(b, ws, roles[m%len(roles)], fmt.Sprintf("user:u%d", w*25+m)))
		}
		for g := range 5 {
			grp := fmt.Sprintf("group:w%dg%d", w, g)
			l.Add(dirSvc, mustTuple(b, grp, "workspace", ws))
			for m := range 10 {
				l.Add(dirSvc, mustTuple(b, grp, "member", fmt.Sprintf("user:u%d", w*25+(g*5+m)%25)))
			}
			if g > 0 {
				l.Add(dirSvc, mustTuple(b, grp, "member", fmt.Sprintf("group:w%dg%d#member", w, g-1)))
			}
		}
	}
	n := l.Len()
	if err := e.Replace(ctx, l); err != nil {
		b.Fatal(err)
	}
	loaded := heap()
	setModel(b, e, "a", dirDocModel, true)
	mirrored := heap()
	setModel(b, e, "a", dirDocModel, false)
	optedOut := heap()
	b.ResetTimer()
	for b.Loop() {
		setModel(b, e, "a", dirDocModel, true)
		setModel(b, e, "a", dirDocModel, false)
	}
	b.ReportMetric(float64(n), "tuples")
	b.ReportMetric(float64(loaded-empty)/float64(n), "B/directory-tuple")
	b.ReportMetric(float64(mirrored-loaded)/float64(n), "B/mirrored-tuple")
	b.ReportMetric(float64(mirrored-loaded)/(1<<20), "MiB/opted-in-service")
	// Go maps keep their buckets when emptied: the reverse index, keyed
	// across services, stays at its grown size after an opt-out (and is
	// reused by later writes).
	b.ReportMetric(float64(int64(optedOut)-int64(loaded))/(1<<20), "MiB-kept-after-opt-out")
}
