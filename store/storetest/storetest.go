// Package storetest is the conformance suite of store.Store: every
// implementation runs it (store/postgres, store/sqlite) so that they
// behave the same.
package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// Run runs the whole suite. open must return a new, empty store for each
// call and release it when t ends. Subtests run in parallel, each on its
// own store.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Services", testServices},
		{"Keys", testKeys},
		{"KeyActive", func(t *testing.T, _ store.Store) { testKeyActive(t) }},
		{"AdminKeys", testAdminKeys},
		{"Models", testModels},
		{"ModelDirectory", testModelDirectory},
		{"DirectoryAccess", testDirectoryAccess},
		{"DirectoryAccessActivity", testDirectoryAccessActivity},
		{"WriteTuples", testWriteTuples},
		{"WriteTuplesUnknownService", testWriteTuplesUnknownService},
		{"ReadTuplesFilters", testReadTuplesFilters},
		{"ReadTuplesPagination", testReadTuplesPagination},
		{"ReadTuplesBadCursor", testReadTuplesBadCursor},
		{"Changes", testChanges},
		{"HeadRevision", testHeadRevision},
		{"LoadSnapshot", testLoadSnapshot},
		{"ConcurrentWriters", testConcurrentWriters},
		{"TenantIsolation", testTenantIsolation},
		{"ProvisionUser", testProvisionUser},
		{"ProvisionUserInvalid", testProvisionUserInvalid},
		{"EmailTaken", testEmailTaken},
		{"UserFlags", testUserFlags},
		{"UserChanges", testUserChanges},
		{"ConcurrentProvisioning", testConcurrentProvisioning},
		{"SigningKeys", testSigningKeys},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			if err := s.Ping(t.Context()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			tc.fn(t, s)
		})
	}
}

// tup parses "type:id#relation@user" (ids in tests contain no '@').
func tup(s string) tuple.Tuple {
	objRel, user, ok := strings.Cut(s, "@")
	obj, rel, ok2 := strings.Cut(objRel, "#")
	if !ok || !ok2 {
		panic("storetest: bad tuple " + s)
	}
	t, err := tuple.Parse(tuple.Key{Object: obj, Relation: rel, User: user})
	if err != nil {
		panic(err)
	}
	return t
}

// tups parses each string with tup.
func tups(ss ...string) []tuple.Tuple {
	out := make([]tuple.Tuple, 0, len(ss))
	for _, s := range ss {
		out = append(out, tup(s))
	}
	return out
}

// strs returns the canonical strings of ts.
func strs(ts []tuple.Tuple) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.String())
	}
	return out
}

// newService creates a service with a unique name.
func newService(t testing.TB, s store.Store, name string) store.Service {
	t.Helper()
	svc, err := s.CreateService(t.Context(), name)
	if err != nil {
		t.Fatalf("CreateService(%q): %v", name, err)
	}
	return svc
}

// newModel writes a model version for the service.
func newModel(t testing.TB, s store.Store, serviceID string) store.Model {
	t.Helper()
	m, err := s.WriteModel(t.Context(), serviceID, "model\n  schema 1.1\ntype user\n", `{"schema_version":"1.1"}`)
	if err != nil {
		t.Fatalf("WriteModel: %v", err)
	}
	return m
}

// mustWrite writes ts (ignoring duplicates) and returns the revision.
func mustWrite(t testing.TB, s store.Store, serviceID string, ts ...tuple.Tuple) uint64 {
	t.Helper()
	rev, err := s.WriteTuples(t.Context(), serviceID, store.TupleWrite{Writes: ts, OnDuplicate: store.Ignore})
	if err != nil {
		t.Fatalf("WriteTuples: %v", err)
	}
	return rev
}

// allTuples reads every tuple of the service matching f, following cursors.
func allTuples(t testing.TB, s store.Store, serviceID string, f store.TupleFilter) []tuple.Tuple {
	t.Helper()
	var out []tuple.Tuple
	cursor := ""
	for range 10000 {
		page, next, err := s.ReadTuples(t.Context(), serviceID, f, cursor, 1000)
		if err != nil {
			t.Fatalf("ReadTuples: %v", err)
		}
		out = append(out, page...)
		if next == "" {
			return out
		}
		cursor = next
	}
	t.Fatal("ReadTuples: cursor never ends")
	return nil
}

// allChanges returns every change after rev (of one service, or all).
func allChanges(t testing.TB, s store.Store, serviceID string, after uint64) []store.Change {
	t.Helper()
	cs, err := s.Changes(t.Context(), serviceID, after, 100000)
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}
	return cs
}

// head returns the head revision.
func head(t testing.TB, s store.Store) uint64 {
	t.Helper()
	rev, err := s.HeadRevision(t.Context())
	if err != nil {
		t.Fatalf("HeadRevision: %v", err)
	}
	return rev
}

// changeStrings renders changes as "op tuple" / "model id" / "key".
func changeStrings(cs []store.Change) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		switch c.Op {
		case store.OpWrite, store.OpDelete:
			out = append(out, string(c.Op)+" "+c.Tuple.String())
		case store.OpModel:
			out = append(out, "model "+c.ModelID)
		default:
			out = append(out, string(c.Op))
		}
	}
	return out
}

// wantErrIs fails unless errors.Is(err, want) (want nil: err must be nil).
func wantErrIs(t testing.TB, what string, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("%s: unexpected error %v", what, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

// equalStrings fails unless got == want, element by element.
func equalStrings(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
}
