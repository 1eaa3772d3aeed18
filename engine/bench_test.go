package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/sentinel-auth/sentinel/model"
)

// BenchmarkApply measures changelog rows applied per second into an index
// already holding `base` tuples, by batch (engine transaction) size.
func BenchmarkApply(b *testing.B) {
	for _, bc := range []struct{ base, batch int }{
		{100_000, 10}, {100_000, 100}, {100_000, 1000}, {1_000_000, 100},
	} {
		b.Run(fmt.Sprintf("base=%d/batch=%d", bc.base, bc.batch), func(b *testing.B) {
			ctx := context.Background()
			e := newEngine(b, testModel)
			l := NewLoader()
			for i := 0; i < bc.base; i++ {
				l.Add("svc", mustTuple(b, fmt.Sprintf("doc:%d", i/4), "viewer", fmt.Sprintf("user:u%d", i)))
			}
			if err := e.Replace(ctx, l); err != nil {
				b.Fatal(err)
			}
			muts := make([]Mutation, bc.batch)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				for j := range muts {
					n := i*bc.batch + j
					// Half land on existing objects, half create new ones.
					muts[j] = Mutation{ServiceID: "svc", Tuple: mustTuple(b, fmt.Sprintf("doc:%d", n%(bc.base/2+1)), "editor", fmt.Sprintf("user:w%d", n))}
				}
				b.StartTimer()
				if err := e.Apply(ctx, muts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*bc.batch)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(0, "ns/op") // per batch; rows/s is the figure
		})
	}
}

// BenchmarkCheckShapes measures single checks of common shapes on a small
// index (the cost is per step, not per tuple count: every step is a lookup).
func BenchmarkCheckShapes(b *testing.B) {
	ctx := context.Background()
	e := newEngine(b, testModel)
	write(b, e,
		[3]string{"group:eng", "member", "user:anne"},
		[3]string{"group:all", "member", "group:eng#member"},
		[3]string{"folder:root", "viewer", "group:all#member"},
		[3]string{"folder:sub", "parent", "folder:root"},
		[3]string{"doc:1", "parent", "folder:sub"},
		[3]string{"doc:2", "viewer", "user:bob"},
	)
	// A server's request has a context that can end (the client goes
	// away); a check must watch it, which Background does not ask for.
	// fresh gives each check a context of its own, as net/http gives each
	// request (the context's own allocations are counted too).
	request, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, c := range []struct{ name, obj, rel, user string }{
		{"direct", "doc:2", "viewer", "user:bob"},
		{"denied", "doc:2", "viewer", "user:zed"},
		{"nested", "doc:1", "viewer", "user:anne"},
	} {
		for _, cc := range []struct {
			name string
			ctx  context.Context
		}{{"background", ctx}, {"request", request}, {"fresh", nil}} {
			b.Run(c.name+"/"+cc.name, func(b *testing.B) {
				tp := mustTuple(b, c.obj, c.rel, c.user)
				req := CheckRequest{Object: tp.Object, Relation: tp.Relation, User: tp.User}
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					ctx, cancel := cc.ctx, context.CancelFunc(nil)
					if ctx == nil {
						ctx, cancel = context.WithCancel(request)
					}
					if _, err := e.Check(ctx, "svc", req); err != nil {
						b.Fatal(err)
					}
					if cancel != nil {
						cancel()
					}
				}
			})
		}
	}
}

// BenchmarkSetModel measures compiling a model to Rego and installing it.
func BenchmarkSetModel(b *testing.B) {
	chain := "model\n  schema 1.1\ntype user\ntype resource\n  relations\n    define a1: [user]\n"
	for i := 2; i <= 30; i++ {
		chain += fmt.Sprintf("    define a%d: [resource#a%d]\n", i, i-1)
	}
	for name, dsl := range map[string]string{"docs": testModel, "chain30": chain} {
		b.Run(name, func(b *testing.B) {
			m, err := model.ParseDSL(dsl)
			if err != nil {
				b.Fatal(err)
			}
			e, err := New(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < b.N; i++ {
				if err := e.SetModel("svc", m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEvalFloor measures OPA's own cost, for comparison with checks: a
// prepared query that does nothing, one that does one index lookup, and one
// lookup behind the input guards the compiler emits.
func BenchmarkEvalFloor(b *testing.B) {
	ctx := context.Background()
	e := newEngine(b, testModel)
	write(b, e, [3]string{"doc:2", "viewer", "user:bob"})
	mods := map[string]string{
		"trivial": "package x\nf(id) if id == \"2\"\n",
		"lookup":  "package x\nf(id) if data.sentinel.t[\"svc\"][\"doc\"][id][\"viewer\"][\"user\"][input.uid]\n",
		"guarded": "package x\nf(id) := true if {\n input.urel == \"\"\n input.utype == \"user\"\n input.uid != \"*\"\n data.sentinel.t[\"svc\"][\"doc\"][id][\"viewer\"][\"user\"][input.uid]\n} else := false\n",
	}
	for _, name := range []string{"trivial", "lookup", "guarded"} {
		src := mods[name]
		b.Run(name, func(b *testing.B) {
			pq, err := rego.New(rego.Query("data.x.f(input.id)"), rego.Module("x.rego", src), rego.Store(e.store)).PrepareForEval(ctx)
			if err != nil {
				b.Fatal(err)
			}
			input := ast.NewObject(
				ast.Item(ast.InternedTerm("id"), ast.StringTerm("2")),
				ast.Item(ast.InternedTerm("utype"), ast.StringTerm("user")),
				ast.Item(ast.InternedTerm("uid"), ast.StringTerm("bob")),
				ast.Item(ast.InternedTerm("urel"), ast.StringTerm("")),
			)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				rs, err := pq.Eval(ctx, rego.EvalParsedInput(input))
				if err != nil || len(rs) != 1 {
					b.Fatal(rs, err)
				}
			}
		})
	}
}
