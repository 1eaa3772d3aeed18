package storetest

import (
	"fmt"
	"testing"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// testModelDirectory: the directory opt-in is stored with the model version
// and read back by every read of models (current, by id, the snapshot); it
// is refused, changing nothing, for the system service, for a service
// without directory access, and while the service holds tuples of its own
// of a directory type.
func testModelDirectory(t *testing.T, s store.Store) {
	ctx := t.Context()
	const dsl, js = "model\n  schema 1.1\ntype user\n", `{"schema_version":"1.1"}`
	on := store.ModelOptions{Directory: true}

	cases := []struct {
		name   string
		tuples []string // the service's own tuples before the write
		system bool     // write for the system service
		denied bool     // the service has no directory access (others are granted it)
		opts   []store.ModelOptions
		err    error
	}{
		{name: "no options", opts: nil},
		{name: "opt out", opts: []store.ModelOptions{{}}},
		{name: "opt in", opts: []store.ModelOptions{on}},
		{name: "opt in beside other types", tuples: []string{"doc:1#viewer@group:g#member", "user:u#friend@user:v"}, opts: []store.ModelOptions{on}},
		{name: "own group tuple", tuples: []string{"group:g#member@user:u"}, opts: []store.ModelOptions{on}, err: store.ErrConflict},
		{name: "own workspace tuple", tuples: []string{"workspace:w#owner@user:u"}, opts: []store.ModelOptions{on}, err: store.ErrConflict},
		{name: "own group tuple, no opt-in", tuples: []string{"group:g#member@user:u"}, opts: []store.ModelOptions{{}}},
		{name: "no directory access", denied: true, opts: []store.ModelOptions{on}, err: store.ErrDirectoryNotGranted},
		{name: "no directory access, no opt-in", denied: true, opts: []store.ModelOptions{{}}},
		{name: "no directory access and own group tuple", denied: true, tuples: []string{"group:g#member@user:u"},
			opts: []store.ModelOptions{on}, err: store.ErrDirectoryNotGranted},
		{name: "system service", system: true, opts: []store.ModelOptions{on}, err: store.ErrConflict},
	}
	for i, tc := range cases {
		svc := newService(t, s, fmt.Sprintf("dir%d", i))
		id := svc.ID
		if tc.system {
			id = store.SystemServiceID
		} else if !tc.denied {
			if _, err := s.SetDirectoryAccess(ctx, id, true); err != nil {
				t.Fatalf("%s: SetDirectoryAccess: %v", tc.name, err)
			}
		}
		var own []tuple.Tuple
		for _, x := range tc.tuples {
			own = append(own, tup(x))
		}
		if !tc.system {
			newModel(t, s, id) // tuples need a model
		}
		if len(own) > 0 {
			mustWrite(t, s, id, own...)
		}
		before := head(t, s)
		cur, curErr := s.CurrentModel(ctx, id)
		m, err := s.WriteModel(ctx, id, dsl, js, tc.opts...)
		wantErrIs(t, tc.name, err, tc.err)
		if tc.err != nil {
			after, afterErr := s.CurrentModel(ctx, id)
			if h := head(t, s); h != before || after != cur || (afterErr == nil) != (curErr == nil) {
				t.Errorf("%s: refused write changed the store: head %d → %d, current %+v → %+v", tc.name, before, h, cur, after)
			}
			continue
		}
		want := len(tc.opts) > 0 && tc.opts[0].Directory
		if m.Directory != want {
			t.Errorf("%s: WriteModel returned Directory %v, want %v", tc.name, m.Directory, want)
		}
		if got, err := s.CurrentModel(ctx, id); err != nil || got != m {
			t.Errorf("%s: CurrentModel = %+v, %v; want %+v", tc.name, got, err, m)
		}
		if got, err := s.ModelByID(ctx, id, m.ID); err != nil || got != m {
			t.Errorf("%s: ModelByID = %+v, %v; want %+v", tc.name, got, err, m)
		}
		snap, err := s.LoadSnapshot(ctx, func(string, tuple.Tuple) error { return nil })
		if err != nil {
			t.Fatalf("LoadSnapshot: %v", err)
		}
		if got := snap.Models[id]; got != m {
			t.Errorf("%s: snapshot model %+v, want %+v", tc.name, got, m)
		}
	}
}
