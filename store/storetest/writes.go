package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// writeCase is one WriteTuples scenario on a fresh service.
type writeCase struct {
	name     string
	noModel  bool     // the service has no model
	existing []string // tuples written before
	// modelID: "" no check, "current" the current model, anything else is
	// stale.
	modelID      string
	writes       []string
	deletes      []string
	onDuplicate  store.Policy
	onMissing    store.Policy
	wantErr      error
	wantConflict *store.TupleConflictError // with wantErr = ErrConflict
	wantTuples   []string                  // nil: existing unchanged
	wantChanges  []string                  // "write t" / "delete t"
}

func writeCases() []writeCase {
	var bulkOld, bulkNew, bulkChanges []string
	for i := range 100 {
		bulkOld = append(bulkOld, fmt.Sprintf("doc:old%d#viewer@user:u%d", i, i))
		bulkNew = append(bulkNew, fmt.Sprintf("doc:new%d#viewer@user:u%d", i, i))
	}
	for _, t := range bulkOld {
		bulkChanges = append(bulkChanges, "delete "+t)
	}
	for _, t := range bulkNew {
		bulkChanges = append(bulkChanges, "write "+t)
	}
	// More than one statement's worth (the implementation batches).
	var huge, hugeChanges []string
	for i := range 1203 {
		huge = append(huge, fmt.Sprintf("doc:h%d#viewer@user:u%d", i, i))
		hugeChanges = append(hugeChanges, "write "+huge[i])
	}

	const a, b, c = "doc:1#viewer@user:anne", "doc:1#viewer@user:bob", "doc:2#owner@user:carl"
	return []writeCase{
		{name: "writes", writes: []string{a, b},
			wantTuples: []string{a, b}, wantChanges: []string{"write " + a, "write " + b}},
		{name: "userset and wildcard users", writes: []string{"doc:1#viewer@group:eng#member", "doc:1#viewer@user:*", a},
			wantTuples:  []string{"doc:1#viewer@group:eng#member", "doc:1#viewer@user:*", a},
			wantChanges: []string{"write doc:1#viewer@group:eng#member", "write doc:1#viewer@user:*", "write " + a}},
		{name: "deletes", existing: []string{a, b}, deletes: []string{a},
			wantTuples: []string{b}, wantChanges: []string{"delete " + a}},
		{name: "deletes before writes", existing: []string{a}, writes: []string{b}, deletes: []string{a},
			wantTuples: []string{b}, wantChanges: []string{"delete " + a, "write " + b}},
		{name: "delete and rewrite one tuple", existing: []string{a}, writes: []string{a}, deletes: []string{a},
			wantTuples: []string{a}, wantChanges: []string{"delete " + a, "write " + a}},
		{name: "duplicate fails whole request", existing: []string{a, b}, writes: []string{c, b}, deletes: []string{a},
			onDuplicate: store.Fail, wantErr: store.ErrConflict, wantTuples: nil, // the delete of a is rolled back too
			wantConflict: &store.TupleConflictError{Tuple: tup(b), Exists: true}},
		{name: "duplicate fails", existing: []string{a}, writes: []string{b, a},
			wantErr: store.ErrConflict, wantConflict: &store.TupleConflictError{Tuple: tup(a), Exists: true}},
		{name: "duplicate ignored", existing: []string{a}, writes: []string{b, a, c}, onDuplicate: store.Ignore,
			wantTuples: []string{a, b, c}, wantChanges: []string{"write " + b, "write " + c}},
		{name: "missing delete fails", existing: []string{a}, deletes: []string{a, c}, writes: []string{b},
			wantErr: store.ErrConflict, wantConflict: &store.TupleConflictError{Tuple: tup(c), Exists: false}},
		{name: "missing delete ignored", existing: []string{a}, deletes: []string{c, a}, onMissing: store.Ignore,
			wantTuples: []string{}, wantChanges: []string{"delete " + a}},
		{name: "no-op returns head", existing: []string{a}, writes: []string{a}, deletes: []string{c},
			onDuplicate: store.Ignore, onMissing: store.Ignore, wantTuples: []string{a}, wantChanges: []string{}},
		{name: "empty request returns head", existing: []string{a}, wantTuples: []string{a}, wantChanges: []string{}},
		{name: "current model accepted", modelID: "current", writes: []string{a},
			wantTuples: []string{a}, wantChanges: []string{"write " + a}},
		{name: "stale model", existing: []string{a}, modelID: "stale", writes: []string{b}, deletes: []string{a},
			wantErr: store.ErrModelChanged},
		{name: "no model", noModel: true, writes: []string{a}, wantErr: store.ErrNoModel},
		{name: "deletes need no model", noModel: true, deletes: []string{a}, onMissing: store.Ignore,
			wantTuples: []string{}, wantChanges: []string{}},
		{name: "100 deletes and 100 writes", existing: bulkOld, writes: bulkNew, deletes: bulkOld,
			wantTuples: bulkNew, wantChanges: bulkChanges},
		{name: "large request", writes: huge, wantTuples: huge, wantChanges: hugeChanges},
	}
}

func testWriteTuples(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i, tc := range writeCases() {
		t.Run(tc.name, func(t *testing.T) {
			svc := newService(t, s, fmt.Sprintf("svc%d", i))
			var model store.Model
			if !tc.noModel {
				model = newModel(t, s, svc.ID)
			}
			if len(tc.existing) > 0 {
				mustWrite(t, s, svc.ID, tups(tc.existing...)...)
			}
			before := head(t, s)
			w := store.TupleWrite{
				Writes: tups(tc.writes...), Deletes: tups(tc.deletes...),
				OnDuplicate: tc.onDuplicate, OnMissing: tc.onMissing,
			}
			switch tc.modelID {
			case "":
			case "current":
				w.ModelID = model.ID
			default:
				w.ModelID = "00000000-0000-4000-8000-00000000000" + fmt.Sprint(i%10)
			}

			rev, err := s.WriteTuples(ctx, svc.ID, w)

			wantErrIs(t, "WriteTuples", err, tc.wantErr)
			if tc.wantConflict != nil {
				var ce *store.TupleConflictError
				if !errors.As(err, &ce) || *ce != *tc.wantConflict {
					t.Fatalf("error %v, want %v", err, tc.wantConflict)
				}
			}
			wantTuples := tc.wantTuples
			if wantTuples == nil {
				wantTuples = tc.existing // failed requests change nothing
			}
			got := strs(allTuples(t, s, svc.ID, store.TupleFilter{}))
			want := strs(tups(wantTuples...))
			slices.Sort(got)
			slices.Sort(want)
			equalStrings(t, "tuples after", got, want)

			changes := allChanges(t, s, svc.ID, before)
			after := head(t, s)
			if tc.wantErr != nil || len(tc.wantChanges) == 0 {
				if len(changes) != 0 || after != before {
					t.Fatalf("changelog grew from %d to %d: %v", before, after, changeStrings(changes))
				}
				if tc.wantErr == nil && rev != before {
					t.Fatalf("no-op returned revision %d, want head %d", rev, before)
				}
				return
			}
			equalStrings(t, "changes", changeStrings(changes), tc.wantChanges)
			if last := changes[len(changes)-1].Revision; rev != last || rev != after {
				t.Fatalf("returned revision %d, last change %d, head %d", rev, last, after)
			}
			for _, c := range changes {
				if c.ServiceID != svc.ID || c.ModelID != "" || c.At.IsZero() {
					t.Fatalf("bad change %+v", c)
				}
			}
		})
	}
}

func testWriteTuplesUnknownService(t *testing.T, s store.Store) {
	_, err := s.WriteTuples(t.Context(), "00000000-0000-4000-8000-000000000000",
		store.TupleWrite{Deletes: []tuple.Tuple{tup("doc:1#viewer@user:anne")}, OnMissing: store.Ignore})
	wantErrIs(t, "WriteTuples for an unknown service", err, store.ErrNotFound)
}
