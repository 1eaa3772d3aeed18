package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// callKey is the key OPA caches a call under: the function's reference,
// then its arguments.
func callKey(fn string, args ...string) ast.Ref {
	key := ast.Ref{ast.RefTerm(ast.DefaultRootDocument, ast.StringTerm("m"), ast.StringTerm(fn))}
	for _, a := range args {
		key = append(key, ast.StringTerm(a))
	}
	return key
}

func TestCallCache(t *testing.T) {
	t.Parallel()
	yes, no := ast.BooleanTerm(true), ast.BooleanTerm(false)
	type op struct {
		do    string // put, get, push, pop
		key   ast.Ref
		value *ast.Term // put: the value (nil: undefined); get: the value expected
		undef bool      // get: expect the undefined mark
	}
	for _, tc := range []struct {
		name string
		ops  []op
	}{
		{"a value put is got", []op{
			{do: "put", key: callKey("f", "1"), value: yes},
			{do: "get", key: callKey("f", "1"), value: yes},
		}},
		{"another argument or function misses", []op{
			{do: "put", key: callKey("f", "1"), value: yes},
			{do: "get", key: callKey("f", "2")},
			{do: "get", key: callKey("g", "1")},
			{do: "get", key: callKey("f", "1", "2")},
			{do: "get", key: callKey("f")},
		}},
		{"undefined is remembered as such", []op{
			{do: "put", key: callKey("f", "1")},
			{do: "get", key: callKey("f", "1"), undef: true},
		}},
		{"a second put replaces the value", []op{
			{do: "put", key: callKey("f", "1"), value: no},
			{do: "put", key: callKey("f", "1"), value: yes},
			{do: "get", key: callKey("f", "1"), value: yes},
		}},
		{"a pushed frame starts empty and pop restores the one below", []op{
			{do: "put", key: callKey("f", "1"), value: yes},
			{do: "push"},
			{do: "get", key: callKey("f", "1")},
			{do: "put", key: callKey("f", "2"), value: no},
			{do: "get", key: callKey("f", "2"), value: no},
			{do: "pop"},
			{do: "get", key: callKey("f", "1"), value: yes},
			{do: "get", key: callKey("f", "2")},
		}},
		{"popping the bottom frame keeps it", []op{
			{do: "put", key: callKey("f", "1"), value: yes},
			{do: "pop"},
			{do: "get", key: callKey("f", "1"), value: yes},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c callCache
			for i, o := range tc.ops {
				switch o.do {
				case "put":
					c.Put(o.key, o.value)
				case "push":
					c.Push()
				case "pop":
					c.Pop()
				case "get":
					v, undef := c.Get(o.key)
					if !v.Equal(o.value) || undef != o.undef {
						t.Errorf("op %d: Get(%v) = %v, %v; want %v, %v", i, o.key, v, undef, o.value, o.undef)
					}
				}
			}
		})
	}
}

// TestCallCacheCopiesKeys: OPA reuses the slice of a key it has put, so
// the cache must hold the terms, not the slice.
func TestCallCacheCopiesKeys(t *testing.T) {
	t.Parallel()
	var c callCache
	key := callKey("f", "1")
	c.Put(key, ast.BooleanTerm(true))
	key[1] = ast.StringTerm("2")
	if v, _ := c.Get(callKey("f", "1")); v == nil {
		t.Fatal("the entry changed with the slice its key was put from")
	}
	if v, _ := c.Get(key); v != nil {
		t.Fatalf("Get(%v) = %v, want a miss", key, v)
	}
}

// TestCallCacheAgreesWithOPA runs random sequences of operations on a
// callCache and on OPA's virtual cache, past maxCallEntries so that the
// hand-over to OPA's cache is exercised with frames on the stack, reusing
// one callCache through reset as the engine does, and compares every Get
// and Keys.
func TestCallCacheAgreesWithOPA(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	c := &callCache{}
	spilled := 0
	for round := range 200 {
		c.reset()
		want := topdown.NewVirtualCache()
		depth := 0
		keys := 10 + rng.IntN(3*maxCallEntries)
		for i := range 4 * keys {
			key := callKey(fmt.Sprint("f", rng.IntN(3)), fmt.Sprint(rng.IntN(keys)))
			switch r := rng.IntN(100); {
			case r < 45:
				var v *ast.Term
				if rng.IntN(4) > 0 {
					v = ast.IntNumberTerm(rng.IntN(10))
				}
				c.Put(key, v)
				want.Put(key, v)
			case r < 97:
				gv, gu := c.Get(key)
				wv, wu := want.Get(key)
				if !gv.Equal(wv) || gu != wu {
					t.Fatalf("round %d op %d: Get(%v) = %v, %v; OPA's cache: %v, %v", round, i, key, gv, gu, wv, wu)
				}
			case r < 98 || depth == 0:
				c.Push()
				want.Push()
				depth++
			default:
				c.Pop()
				want.Pop()
				depth--
			}
		}
		if got, want := len(c.Keys()), len(want.Keys()); got != want {
			t.Fatalf("round %d: %d keys, OPA's cache has %d", round, got, want)
		}
		if c.spill != nil {
			spilled++
		}
	}
	if spilled == 0 || spilled == 200 {
		t.Fatalf("%d of 200 rounds handed over to OPA's cache: the test covers only one of the two", spilled)
	}
}
