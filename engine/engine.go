// Package engine answers authorization questions — check, list objects,
// list users, expand — by evaluating Rego compiled from each service's
// OpenFGA model (package engine/compiler) against an in-memory tuple index
// that datasync keeps in step with the changelog. No SQL is ever run on the
// query path.
//
// # Store layout
//
// OPA reads the index as nested maps keyed so that every step of a
// traversal is a ground lookup or a small enumeration, never a scan or a
// string split:
//
//	data.sentinel.t[svc][type][id][relation][userType][userId] = true          plain users; userId "*" is a wildcard
//	data.sentinel.s[svc][type][id][relation][userType][userRel][userId] = true userset users (group:eng#member)
//
// It is held in Go maps and slices behind OPA's storage interface
// (indexStore), by object (forward.go): maps down to the object, then the
// object's few (relation, user type, userset relation) groups in a slice,
// each with its ids in a sorted slice, or in the map OPA reads once past 64.
// OPA sees the nested maps above: a whole tuple is a lookup, and a shorter
// path (an object's parents, to iterate) gets the maps below it built for
// the read. Most of the nested maps held one entry, so as maps the tuples
// took ≈250 MiB of heap at 1M benchmark tuples; by object, ≈45. The ids and
// names are interned in a table of the index (intern.go): one string per
// distinct id, however many tuples name it, and the slices of ids hold its
// 4-byte symbols, with no pointer for the collector to follow.
//
// A write is a map assignment and a bounded slice insertion, at any width
// and any batch size, whereas OPA's AST-valued store rehashes the whole
// parent object on every write (tens of milliseconds per tuple at 1M
// tuples) and its plain in-memory store re-scans a transaction's pending
// writes on every write (quadratic in the batch). A batch of changes is
// computed beside the index while checks go on, then installed under the
// write lock in one step, so an evaluation sees all of it or none
// (batch.go). Deletes prune what they leave empty. A new model's closures
// and chains (below) are computed from the tuples the same way and swapped
// in with the model (derived.go): at 1M tuples, ≈1.2 s of work that checks
// do not wait for.
//
// Beside the tuples, the index keeps what the fast variant reads instead
// of walking, kept in step with the tuples they follow in the same batch:
//
//   - membership closures (closure.go): for a relation nested only in
//     itself (group#member), every member of each object with its nesting
//     distance (data.sentinel.c), a cycle flag (.y), and the same by member
//     (.g: the groups each user is in);
//   - flattened parent chains (chain.go; which relations:
//     compiler.Flattened): for a union such as `viewer: [user, user:*,
//     group#member] or editor or viewer from parent`, every user, wildcard
//     and userset its rewrite reaches across the whole chain, with the
//     steps to each (data.sentinel.e, .f), and the chain's height (.h).
//     A check of a plain user reads its id, the wildcard, and the fewest
//     steps through the usersets granted (.f) that the user is in (.g),
//     which the store matches in Go and serves as one read (.v, via.go).
//     These sets repeat every ancestor's grants in every object below, so
//     they are held compactly (effective.go: interned ids in sorted slices,
//     +80 MiB of heap at 1M tuples; as maps they took +630 MiB) and served
//     through the same storage interface. A grant changes them incrementally (the
//     objects whose walk reaches it, found by walking back); a parent
//     change recomputes the objects below it, each from its own tuples and
//     its parents' sets (chain_build.go).
//
// Contextual tuples ride on the evaluation's store transaction as an
// overlay in the same shape, so the compiled Rego needs no special case;
// a contextual grant on a chain adds its subjects to the flattened sets for
// that evaluation (chain_context.go); a contextual parent or membership
// sends the check to the careful variant.
//
// A service whose model opts in to the directory (ModelOptions.Directory)
// holds a copy of the directory service's workspace and group tuples in
// its own part of the index, kept in step in the same batch
// (directory.go), so all of the above is built over them unchanged.
//
// # Measured (2 cores, go test -bench; numbers in README.md)
//
//   - OPA's evaluator: ≈5 µs of CPU for a prepared query that does nothing
//     and ≈4–5 µs per data lookup (thread CPU time, best of 15 rounds; on
//     the shared machine wall time is two to three times that). So the
//     number of steps a check takes decides its cost, and latency does not
//     grow with the index.
//   - Applying changes: OPA's inmem store rescans a transaction's pending
//     writes on every write (1,000-row batch ≈9k rows/s); this index applies
//     100k–270k rows/s at any batch size, reverse indexes included.
//   - Traversal: depth-unrolled Rego with ordered else chains and a fast
//     variant without cycle tracking, so OPA's per-evaluation function cache
//     answers repeated sub-questions (p50 320 → 255 µs, allocations halved).
//     Lists use a Go-side reverse index: a Rego scan of every object was
//     unusable, a reverse expansion costs ≈2.2 µs per object listed, and
//     it follows only relations the listed one depends on (the heavy
//     user's editor list at 1M: 23 → 4.6 ms).
//   - Nested group membership was two thirds of a check's rule
//     evaluations; membership closures answer it in one lookup (1M: p50
//     285 → 200 µs). Flattened parent chains then made a typical check a
//     few lookups (1M: p50 146 → 31 µs, p99 1.10 ms → 192 µs, allocations
//     873 → 155): a grant found is one lookup; a denial reads the user's
//     id and the wildcard, the user's groups against those granted (the
//     dearest step, ≈18 µs of CPU for a user in a few groups), the height
//     and the group-cycle flag (≈40 µs of CPU in all).
//   - Then the evaluation itself (1M: p50 28.0 → 21.6 µs, p99 148 → 107
//     µs, allocations 155 → 96, interleaved with the day's first build): no
//     base-document cache (noBaseCache: OPA filled a trie node per path
//     key for reads that are map lookups) and no metrics registry; the
//     group match reads the usersets granted once and matches the user's
//     closure against them in Rego, not one read per group; plain users go
//     through entries made for them (compiler.Compiled.PlainQuery), which
//     skip the tests of what kind of user was given and read the user and
//     its wildcard at once (data.sentinel.u); the group-cycle flag is
//     folded into the chain's height; cancellation through
//     context.AfterFunc rather than a goroutine per evaluation.
//   - Memory (1M, BenchmarkLoad, median of 4, interleaved with the build
//     before): heap after the load 477 → 273 MiB, holding the tuples by
//     object and the reverse index's sets as sorted slices; checks
//     unchanged (96 allocations, p50 17.7 → 17.3 µs); a server loaded
//     through the API, after 20 s of checks, 1.07 → 0.64 GiB RSS.
//   - Then its garbage and the group match (1M, interleaved with the
//     previous build, medians of 6: p50 16.0 → 11.7 µs, p99 121 → 56 µs,
//     allocations 96 → 51, 5.6 → 3.0 KB per check). The collector marks the
//     whole index once per heap's worth of garbage, and at 100k its CPU
//     per check was about that of the check, so bytes count: the input
//     shares the model's name terms; function calls are cached in a
//     pooled list (callcache.go), not OPA's trie of hash maps;
//     cancellation polls the context (ctxCancel); checks
//     run through topdown on pooled copies of their query's settings
//     (prepared.go), not rego's per-evaluation context and result set.
//     The group match, half of a denial's CPU in Rego, is one read of a
//     view the store computes in Go (data.sentinel.v, via.go). Thread CPU
//     per check (best of 9 over the samples, 100k): mean 12.5 → 7.7 µs,
//     p90 22.5 → 11.6 µs; a denied doc#viewer 17.4 → 10.4 µs, a grant
//     found in one read 6.0 → 4.7 µs, most of it OPA's own evaluation.
//   - Then the collector's work on the index itself (1M, BenchmarkHeap:
//     tuples loaded with a string per field, as from the store;
//     interleaved with the build before, medians of 5): the strings
//     interned, one per distinct id (2.2M → ≈110k), the sets of ids as
//     symbols, a stored effective set in three allocations, the groups'
//     and reverse entries' keys shared: heap objects 3.78M → 1.28M, heap
//     213 → 144 MiB, CPU of a forced collection (the mark work every cycle
//     repeats) 340 → 111 ms; load CPU 4.2 → 3.5 s. A server under the load
//     tool (8 workers, 1M tuples, SQLite): mark CPU per cycle 601 → 309 ms
//     after loading through the API, 579 → 175 ms after a restart. The
//     closures' nested maps (c, g; closure.go) are the largest part left.
package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/sentinel-auth/sentinel/engine/compiler"
	"github.com/sentinel-auth/sentinel/model"
)

// indexPath is where the tuple index lives in the OPA store.
var indexPath = storage.Path{"sentinel"}

// Options tune an Engine.
type Options struct {
	// MaxDepth bounds resolution depth (default 25, OpenFGA's).
	MaxDepth int
	// DirectoryService is the service whose tuples of DirectoryTypes a
	// model that opts in sees as its own (directory.go): the store's
	// system service, with workspace and group. Without both, a model
	// that opts in is refused.
	DirectoryService string
	DirectoryTypes   []string
}

// Engine evaluates queries against its in-memory copy of every service's
// tuples and models. It is safe for concurrent use.
type Engine struct {
	store  *indexStore
	opts   Options
	calls  callCaches  // the evaluations' function-call caches, reused
	inputs checkInputs // the checks' inputs, reused

	mu     sync.RWMutex
	models map[string]*compiled // service id → current model
}

// New returns an Engine with an empty index.
func New(_ context.Context, opts ...Options) (*Engine, error) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = compiler.DefaultMaxDepth
	}
	s := newIndexStore()
	s.data.strs = newStrTable() // the index's; an overlay has none
	return &Engine{store: s, opts: o, models: map[string]*compiled{}}, nil
}

// errTooComplex is what the too_complex builtin fails with.
var errTooComplex = errors.New("resolution depth exceeded")

// compiled is one model version compiled for one service, with its queries
// prepared on first use. It holds two variants of the Rego (see
// compiler.Options.TrackCycles): fast, tried first, and careful, used when
// the fast one reaches the depth limit.
type compiled struct {
	service   string
	model     *model.Model
	dirTypes  map[string]bool // the directory types if the model opted in, else nil
	closables map[[2]string]closable
	chains    *chainPlan // nil if the model flattens no relation
	names     termNames  // terms of the model's names, for check inputs
	fast      *compiler.Compiled
	careful   *compiler.Compiled

	fastCompiler *ast.Compiler
	// carefulCompiler and carefulErr are set before carefulReady closes.
	carefulReady    chan struct{}
	carefulCompiler *ast.Compiler
	carefulErr      error

	mu      sync.RWMutex
	queries map[queryKey]*preparedQuery

	edgesOnce sync.Once
	edges     *edges
}

type queryKey struct {
	typ, rel string
	careful  bool
	plain    bool // the user is plain (compiler.Compiled.PlainQuery)
}

// reverseEdges returns the model's reverse edges, computed on first use.
func (c *compiled) reverseEdges() *edges {
	c.edgesOnce.Do(func() { c.edges = newEdges(c.model) })
	return c.edges
}

// Compile compiles m to Rego for a service without installing it, in both
// variants: fast (no cycle tracking) and careful. It is what
// `sentinel model compile` prints.
func Compile(serviceID string, m *model.Model, maxDepth int) (fast, careful *compiler.Compiled, err error) {
	fast, err = compiler.Compile(m, compiler.Options{Package: "sentinel.model", ServiceID: serviceID, MaxDepth: maxDepth})
	if err != nil {
		return nil, nil, err
	}
	careful, err = compiler.Compile(m, compiler.Options{Package: "sentinel.model_cycles", ServiceID: serviceID, MaxDepth: maxDepth, TrackCycles: true})
	if err != nil {
		return nil, nil, err
	}
	return fast, careful, nil
}

// SetModel compiles m and makes it the service's current model. Checks in
// flight finish on the previous version. The closures and flattened chains
// the model needs are computed from the tuples while checks go on, on the
// previous version, and installed with the model in one step (derived.go).
//
// Only the fast variant is compiled before SetModel returns; the careful one
// (several times larger, and OPA's recursion check is quadratic in the
// number of functions: ≈2 s for a 14-relation model with deep recursion)
// compiles in the background, so datasync is not held up by it. The rare
// check that needs it before it is ready waits for it.
//
// opts holds at most one ModelOptions. A model that opts in to the
// directory gets the directory's tuples mirrored in, in the same step as
// the model change; one that replaces an opted-in model without opting in
// has them removed (directory.go).
func (e *Engine) SetModel(serviceID string, m *model.Model, opts ...ModelOptions) error {
	var o ModelOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Directory {
		if err := e.checkDirectoryOptIn(serviceID); err != nil {
			return err
		}
	}
	fast, careful, err := Compile(serviceID, m, e.opts.MaxDepth)
	if err != nil {
		return fmt.Errorf("compile model of service %s: %w", serviceID, err)
	}
	fastC, err := compileRego(serviceID, "fast.rego", fast)
	if err != nil {
		return err
	}
	cm := &compiled{
		service: serviceID, model: m, closables: closablesOf(m), chains: newChainPlan(m), names: newTermNames(m),
		fast: fast, careful: careful, fastCompiler: fastC,
		carefulReady: make(chan struct{}),
		queries:      map[queryKey]*preparedQuery{},
	}
	if o.Directory {
		cm.dirTypes = e.directoryTypes()
	}
	go func() {
		cm.carefulCompiler, cm.carefulErr = compileRego(serviceID, "careful.rego", careful)
		close(cm.carefulReady)
	}()
	// The mirrored directory, the closures and the model change together:
	// an evaluation holding the store's read lock sees all old or all new.
	e.store.write(func(ts *tuples) func() {
		prev := e.current(serviceID)
		if (prev != nil && prev.dirTypes != nil) != (cm.dirTypes != nil) {
			// Opting in to the directory or out of it adds or removes
			// tuples, which checks read: all of it under the write lock.
			return func() {
				e.setDirectory(ts, serviceID, prev, cm)
				ts.recomputeService(serviceID, cm.closables)
				ts.recomputeChains(serviceID, cm.chains)
				e.install(cm)
			}
		}
		d := ts.derive(serviceID, cm.closables, cm.chains)
		return func() {
			ts.installDerived(serviceID, d)
			e.install(cm)
		}
	})
	return nil
}

// install makes c its service's current model.
func (e *Engine) install(c *compiled) {
	e.mu.Lock()
	e.models[c.service] = c
	e.mu.Unlock()
}

// compileRego parses and compiles one generated module.
func compileRego(serviceID, name string, code *compiler.Compiled) (*ast.Compiler, error) {
	mod, err := ast.ParseModuleWithOpts(name, code.Module, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return nil, fmt.Errorf("parse compiled model (%s) of service %s: %w", name, serviceID, err)
	}
	c := ast.NewCompiler().WithBuiltins(map[string]*ast.Builtin{
		compiler.TooComplexBuiltin: {Name: compiler.TooComplexBuiltin, Decl: types.NewFunction(types.Args(types.S), types.B)},
	})
	if c.Compile(map[string]*ast.Module{name: mod}); c.Failed() {
		return nil, fmt.Errorf("compile Rego (%s) of service %s: %w", name, serviceID, c.Errors)
	}
	return c, nil
}

// Model returns the current model of a service, or nil.
func (e *Engine) Model(serviceID string) *model.Model {
	if c := e.current(serviceID); c != nil {
		return c.model
	}
	return nil
}

func (e *Engine) current(serviceID string) *compiled {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.models[serviceID]
}

// isCurrent reports whether c is still its service's current model.
func (e *Engine) isCurrent(c *compiled) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.models[c.service] == c
}

// currentOf returns the current model of c's service.
func (e *Engine) currentOf(c *compiled) *compiled { return e.current(c.service) }

// query returns the prepared query deciding objType#relation in one variant.
func (e *Engine) query(ctx context.Context, c *compiled, objType, relation string, careful, plain bool) (*preparedQuery, error) {
	plain = plain && !careful
	key := queryKey{objType, relation, careful, plain}
	c.mu.RLock()
	q, ok := c.queries[key]
	c.mu.RUnlock()
	if ok {
		return q, nil
	}
	code, rc := c.fast, c.fastCompiler
	if careful {
		select {
		case <-c.carefulReady:
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for the careful variant of the model: %w", ctx.Err())
		}
		if c.carefulErr != nil {
			return nil, c.carefulErr
		}
		code, rc = c.careful, c.carefulCompiler
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if q, ok := c.queries[key]; ok {
		return q, nil
	}
	src, ok := code.Query(objType, relation)
	if plain {
		src, ok = code.PlainQuery(objType, relation)
	}
	if !ok {
		return nil, fmt.Errorf("%w: relation %q is not defined on type %q", ErrInvalidRequest, relation, objType)
	}
	pq, err := prepare(rc, e.store, src)
	if err != nil {
		return nil, fmt.Errorf("prepare %s#%s: %w", objType, relation, err)
	}
	c.queries[key] = pq
	return pq, nil
}
