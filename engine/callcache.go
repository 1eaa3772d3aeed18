package engine

import (
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// callCache is the virtual-document cache of one evaluation
// (topdown.VirtualCache): the value of each function call made so far,
// keyed by the function's reference and its arguments, so a repeated call
// (the generated Rego asks the same sub-question from several branches) is
// answered without evaluating it again.
//
// OPA's own cache is a trie with a hash map per node: a check filled one
// map and one node per key term, about fifteen allocations for the few
// calls it makes. Here the entries of a check are a short list compared
// term by term, held in slices that are reused across evaluations
// (callCaches), so a check allocates nothing for it. An evaluation that
// caches more than maxCallEntries (a long walk of the careful variant)
// moves to OPA's cache, whose lookups do not grow with the number of
// entries.
type callCache struct {
	terms   []*ast.Term // the entries' keys, one after another
	entries []callEntry
	frames  []int // where each frame pushed over the first begins in entries

	spill topdown.VirtualCache // OPA's cache, once entries passed maxCallEntries
}

type callEntry struct {
	from, to  int // the key is terms[from:to]
	value     *ast.Term
	undefined bool // the reference was put as undefined, which sticks, as in OPA's cache
}

// maxCallEntries is how many entries a callCache compares one by one
// before it moves to OPA's cache.
const maxCallEntries = 64

// Push starts an empty frame (OPA does so for the body of a `with`): the
// entries of the frames below are not seen until Pop.
func (c *callCache) Push() {
	if c.spill != nil {
		c.spill.Push()
		return
	}
	c.frames = append(c.frames, len(c.entries))
}

// Pop drops the top frame and its entries.
func (c *callCache) Pop() {
	if c.spill != nil {
		c.spill.Pop()
		return
	}
	if len(c.frames) == 0 {
		return // OPA pops only what it pushed; the bottom frame stays
	}
	start := c.frames[len(c.frames)-1]
	c.frames = c.frames[:len(c.frames)-1]
	if start < len(c.entries) {
		c.terms = c.terms[:c.entries[start].from]
	}
	c.entries = c.entries[:start]
}

// Get returns the value cached for ref; see topdown.VirtualCache.
func (c *callCache) Get(ref ast.Ref) (*ast.Term, bool) {
	if c.spill != nil {
		return c.spill.Get(ref)
	}
	if i := c.find(ref); i >= 0 {
		if e := c.entries[i]; !e.undefined {
			return e.value, false
		}
		return nil, true
	}
	return nil, false
}

// Put records the value of ref (nil: undefined). The caller reuses ref's
// slice, so its terms are copied.
func (c *callCache) Put(ref ast.Ref, value *ast.Term) {
	if c.spill != nil {
		c.spill.Put(ref, value)
		return
	}
	if i := c.find(ref); i >= 0 {
		c.entries[i].set(value)
		return
	}
	if len(c.entries) == maxCallEntries {
		c.moveToSpill()
		c.spill.Put(ref, value)
		return
	}
	from := len(c.terms)
	c.terms = append(c.terms, ref...)
	e := callEntry{from: from, to: len(c.terms)}
	e.set(value)
	c.entries = append(c.entries, e)
}

func (e *callEntry) set(value *ast.Term) {
	if value == nil {
		e.undefined = true
	} else {
		e.value = value
	}
}

// Keys returns the references cached in the top frame.
func (c *callCache) Keys() []ast.Ref {
	if c.spill != nil {
		return c.spill.Keys()
	}
	var keys []ast.Ref
	for _, e := range c.entries[c.top():] {
		if e.value != nil {
			keys = append(keys, ast.Ref(c.terms[e.from:e.to:e.to]))
		}
	}
	return keys
}

// find returns the index of ref's entry in the top frame, or -1. Keys are
// compared from their last term: a call's arguments differ far more often
// than the function it calls.
func (c *callCache) find(ref ast.Ref) int {
	for i := len(c.entries) - 1; i >= c.top(); i-- {
		e := c.entries[i]
		if e.to-e.from != len(ref) {
			continue
		}
		key := c.terms[e.from:e.to]
		j := len(ref) - 1
		for j >= 0 && key[j].Equal(ref[j]) {
			j--
		}
		if j < 0 {
			return i
		}
	}
	return -1
}

func (c *callCache) top() int {
	if len(c.frames) == 0 {
		return 0
	}
	return c.frames[len(c.frames)-1]
}

// moveToSpill hands every frame's entries to a new OPA cache, which takes
// over from here.
func (c *callCache) moveToSpill() {
	spill := topdown.NewVirtualCache()
	starts := append([]int{0}, c.frames...)
	for f, start := range starts {
		if f > 0 {
			spill.Push()
		}
		end := len(c.entries)
		if f+1 < len(starts) {
			end = starts[f+1]
		}
		for _, e := range c.entries[start:end] {
			key := ast.Ref(c.terms[e.from:e.to])
			if e.value != nil {
				spill.Put(key, e.value)
			}
			if e.undefined {
				spill.Put(key, nil)
			}
		}
	}
	c.spill = spill
}

// reset empties c for another evaluation, dropping its references to
// terms so they can be collected.
func (c *callCache) reset() {
	clear(c.terms[:cap(c.terms)])
	clear(c.entries[:cap(c.entries)])
	c.terms, c.entries, c.frames, c.spill = c.terms[:0], c.entries[:0], c.frames[:0], nil
}

// callCaches reuses callCaches across evaluations.
type callCaches struct{ pool sync.Pool }

func (p *callCaches) get() *callCache {
	if c, ok := p.pool.Get().(*callCache); ok {
		return c
	}
	return &callCache{}
}

func (p *callCaches) put(c *callCache) {
	c.reset()
	p.pool.Put(c)
}
