package engine

import (
	"context"

	"github.com/sentinel-auth/sentinel/tuple"
)

// Mutation is one change to the tuple index.
type Mutation struct {
	ServiceID string
	Delete    bool
	Tuple     tuple.Tuple
}

// index is nested maps as OPA reads them, the membership closures: {"c",
// "y", "g"}; see closure.go for the paths. The tuples (fwdIndex,
// forward.go) and the flattened parent chains ("e", "f" and "h", chain.go;
// effIndex) are served beside it.
type index map[string]any

func newIndex() index {
	idx := index{}
	for _, root := range []string{"c", "y", "g"} {
		idx[root] = map[string]any{}
	}
	return idx
}

func child(m map[string]any, key string) map[string]any {
	if c, ok := m[key].(map[string]any); ok {
		return c
	}
	c := map[string]any{}
	m[key] = c
	return c
}

// Loader accumulates a full tuple set before it replaces the engine's
// indexes in one step (the initial load). It is not safe for concurrent use.
type Loader struct {
	ts    *tuples
	count int
}

// NewLoader returns an empty Loader.
func NewLoader() *Loader {
	ts := newTuples()
	ts.strs = newStrTable()
	return &Loader{ts: ts}
}

// Add records one tuple of a service.
func (l *Loader) Add(serviceID string, t tuple.Tuple) {
	if l.ts.add(serviceID, t) {
		l.count++
	}
}

// Len is the number of distinct tuples added.
func (l *Loader) Len() int { return l.count }

// Replace swaps every tuple index for the Loader's content, mirrors the
// directory into every service whose model opted in, and rebuilds the
// membership closures of every service with a model. The Loader must not be
// used afterwards: the engine keeps its maps.
func (e *Engine) Replace(_ context.Context, l *Loader) error {
	ts := l.ts
	l.ts = nil
	e.store.replace(ts, func(ts *tuples) {
		e.mu.RLock()
		defer e.mu.RUnlock()
		for svc, c := range e.models {
			if c.dirTypes != nil {
				ts.mirror(e.opts.DirectoryService, svc, e.opts.DirectoryTypes)
			}
			ts.recomputeService(svc, c.closables)
			ts.recomputeChains(svc, c.chains)
		}
	})
	return nil
}

// Apply applies mutations in order; a check sees all of them or none.
// Writing an existing tuple or deleting a missing one is a no-op, so a
// replayed batch is harmless. A change to a directory tuple applies to
// every service whose model opted in too (directory.go).
//
// The batch's consequences (closures, effective subjects) are computed
// while checks go on, and installed at once under the write lock (batch.go).
func (e *Engine) Apply(_ context.Context, muts []Mutation) error {
	if len(muts) == 0 {
		return nil
	}
	e.store.write(func(ts *tuples) func() {
		b := e.prepare(ts, muts)
		return func() { b.install(ts) }
	})
	return nil
}
