package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

// ActivityStore is a store with the activity log (until store.Store embeds
// store.ActivityStore).
type ActivityStore interface {
	store.Store
	store.ActivityStore
}

// RunActivity runs the activity log's conformance tests. open must return a
// new, empty store for each call and release it when t ends. Subtests run
// in parallel, each on its own store.
func RunActivity(t *testing.T, open func(t *testing.T) ActivityStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s ActivityStore)
	}{
		{"RoundTrip", testActivityRoundTrip},
		{"Invalid", testActivityInvalid},
		{"DuplicateID", testActivityDuplicateID},
		{"Filters", testActivityFilters},
		{"Pagination", testActivityPagination},
		{"BadPages", testActivityBadPages},
		{"InWrite", testActivityInWrite},
		{"InWriteRefused", testActivityInWriteRefused},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// activityBase is the time of the test entries that set one.
var activityBase = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// appendEntry appends e and fails the test on an error.
func appendActivityEntry(t testing.TB, s ActivityStore, e store.ActivityEntry) store.ActivityEntry {
	t.Helper()
	got, err := s.AppendActivity(t.Context(), e)
	if err != nil {
		t.Fatalf("AppendActivity(%+v): %v", e, err)
	}
	return got
}

// listAll returns every entry matching f (one page) and the total.
func listActivityAll(t testing.TB, s ActivityStore, f store.ActivityFilter) ([]store.ActivityEntry, int) {
	t.Helper()
	items, total, err := s.ListActivity(t.Context(), f, 1, store.MaxActivityPageSize)
	if err != nil {
		t.Fatalf("ListActivity(%+v): %v", f, err)
	}
	return items, total
}

// entryIDs returns the ids of es, in order.
func entryIDs(es []store.ActivityEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func testActivityRoundTrip(t *testing.T, s ActivityStore) {
	before := time.Now().Add(-time.Second)
	rev := head(t, s)

	// Defaults: id, time and detail are filled in.
	a := appendActivityEntry(t, s, store.ActivityEntry{Action: "service.created", ActorType: store.ActorAdmin,
		ActorLabel: "admin key", TargetType: "service", TargetID: "svc-1"})
	if _, err := uuid.Parse(a.ID); err != nil {
		t.Fatalf("ID %q is not a UUID", a.ID)
	}
	if a.CreatedAt.Location() != time.UTC || a.CreatedAt.Before(before) || a.CreatedAt != a.CreatedAt.Truncate(time.Microsecond) {
		t.Fatalf("CreatedAt %v: want a recent UTC time in microseconds", a.CreatedAt)
	}
	if string(a.Detail) != "{}" {
		t.Fatalf("Detail = %q, want {}", a.Detail)
	}

	// Given id, time (any zone, sub-microsecond) and detail are kept:
	// the detail byte for byte, the time normalized.
	id := uuid.NewString()
	at := time.Date(2023, 5, 6, 7, 8, 9, 123456789, time.FixedZone("X", 3600))
	b := appendActivityEntry(t, s, store.ActivityEntry{ID: id, Action: "member.role_changed", ActorType: store.ActorUser,
		ActorID: "u-1", ActorLabel: "anne@example.com", TargetType: "user", TargetID: "u-2", WorkspaceID: "w-1",
		Detail: []byte(`{"to": "admin", "from":"viewer", "n":[1, 2]}`), CreatedAt: at})
	want := store.ActivityEntry{ID: id, Action: "member.role_changed", ActorType: store.ActorUser,
		ActorID: "u-1", ActorLabel: "anne@example.com", TargetType: "user", TargetID: "u-2", WorkspaceID: "w-1",
		Detail: []byte(`{"to": "admin", "from":"viewer", "n":[1, 2]}`), CreatedAt: at.UTC().Truncate(time.Microsecond)}
	if !reflect.DeepEqual(b, want) {
		t.Fatalf("AppendActivity = %+v,\nwant %+v", b, want)
	}

	items, total := listActivityAll(t, s, store.ActivityFilter{})
	if total != 2 || !reflect.DeepEqual(items, []store.ActivityEntry{a, b}) {
		t.Fatalf("ListActivity = %d %+v,\nwant 2 [%+v %+v] (read back exactly, newest first)", total, items, a, b)
	}
	if got := head(t, s); got != rev {
		t.Fatalf("head revision %d -> %d: the activity log must not write the changelog", rev, got)
	}
}

func testActivityInvalid(t *testing.T, s ActivityStore) {
	good := store.ActivityEntry{Action: "x.done", ActorType: store.ActorService, ActorLabel: "notes"}
	appendActivityEntry(t, s, good)
	cases := []struct {
		name string
		edit func(e *store.ActivityEntry)
	}{
		{"no action", func(e *store.ActivityEntry) { e.Action = "" }},
		{"blank action", func(e *store.ActivityEntry) { e.Action = "  " }},
		{"no actor type", func(e *store.ActivityEntry) { e.ActorType = "" }},
		{"unknown actor type", func(e *store.ActivityEntry) { e.ActorType = "robot" }},
		{"user without id", func(e *store.ActivityEntry) { e.ActorType = store.ActorUser }},
		{"service with id", func(e *store.ActivityEntry) { e.ActorID = "svc-1" }},
		{"admin with id", func(e *store.ActivityEntry) { e.ActorType, e.ActorID = store.ActorAdmin, "a" }},
		{"id not a UUID", func(e *store.ActivityEntry) { e.ID = "entry-1" }},
		{"detail array", func(e *store.ActivityEntry) { e.Detail = []byte(`[1]`) }},
		{"detail null", func(e *store.ActivityEntry) { e.Detail = []byte(`null`) }},
		{"detail string", func(e *store.ActivityEntry) { e.Detail = []byte(`"x"`) }},
		{"detail malformed", func(e *store.ActivityEntry) { e.Detail = []byte(`{"a":`) }},
		{"detail trailing data", func(e *store.ActivityEntry) { e.Detail = []byte(`{} {}`) }},
	}
	for _, c := range cases {
		e := good
		c.edit(&e)
		_, err := s.AppendActivity(t.Context(), e)
		wantErrIs(t, c.name, err, store.ErrInvalidActivity)
	}
	if _, total := listActivityAll(t, s, store.ActivityFilter{}); total != 1 {
		t.Fatalf("%d entries after refused appends, want 1", total)
	}
}

func testActivityDuplicateID(t *testing.T, s ActivityStore) {
	e := appendActivityEntry(t, s, store.ActivityEntry{Action: "a", ActorType: store.ActorAdmin})
	if _, err := s.AppendActivity(t.Context(), store.ActivityEntry{ID: e.ID, Action: "b", ActorType: store.ActorAdmin}); err == nil {
		t.Fatal("a second entry with the same id was accepted")
	}
	items, _ := listActivityAll(t, s, store.ActivityFilter{})
	if len(items) != 1 || items[0].Action != "a" {
		t.Fatalf("after a refused duplicate: %+v", items)
	}
}

func testActivityFilters(t *testing.T, s ActivityStore) {
	type row struct {
		action, target, ws, actor string
		minute                    int
	}
	rows := []row{
		{"service.created", "service", "", "", 0},
		{"member.added", "user", "w1", "u1", 1},
		{"member.added", "user", "w2", "u1", 2},
		{"group.created", "group", "w1", "u2", 3},
		{"member.removed", "user", "w1", "u2", 4},
		{"service.created", "service", "", "", 5},
	}
	ids := make([]string, len(rows)) // ids[i] is rows[i]'s entry
	for i, r := range rows {
		e := store.ActivityEntry{Action: r.action, ActorType: store.ActorAdmin, TargetType: r.target,
			TargetID: fmt.Sprint("t", i), WorkspaceID: r.ws, CreatedAt: activityBase.Add(time.Duration(r.minute) * time.Minute)}
		if r.actor != "" {
			e.ActorType, e.ActorID = store.ActorUser, r.actor
		}
		ids[i] = appendActivityEntry(t, s, e).ID
	}
	at := func(m int) time.Time { return activityBase.Add(time.Duration(m) * time.Minute) }
	cases := []struct {
		name string
		f    store.ActivityFilter
		want []int // indexes into rows, newest first
	}{
		{"none", store.ActivityFilter{}, []int{5, 4, 3, 2, 1, 0}},
		{"action", store.ActivityFilter{Action: "member.added"}, []int{2, 1}},
		{"target type", store.ActivityFilter{TargetType: "service"}, []int{5, 0}},
		{"workspace", store.ActivityFilter{WorkspaceID: "w1"}, []int{4, 3, 1}},
		{"actor", store.ActivityFilter{ActorID: "u2"}, []int{4, 3}},
		{"from (inclusive)", store.ActivityFilter{From: at(4)}, []int{5, 4}},
		{"to (inclusive)", store.ActivityFilter{To: at(1)}, []int{1, 0}},
		{"from and to", store.ActivityFilter{From: at(2), To: at(3)}, []int{3, 2}},
		{"to just before an entry", store.ActivityFilter{To: at(1).Add(-time.Microsecond)}, []int{0}},
		{"from in another zone", store.ActivityFilter{From: at(5).In(time.FixedZone("Y", -7200))}, []int{5}},
		{"combined", store.ActivityFilter{Action: "member.added", WorkspaceID: "w1", ActorID: "u1", From: at(1), To: at(1)}, []int{1}},
		{"no match", store.ActivityFilter{Action: "member.added", WorkspaceID: "w3"}, nil},
		{"from after to", store.ActivityFilter{From: at(3), To: at(2)}, nil},
		{"empty workspace is no filter", store.ActivityFilter{WorkspaceID: ""}, []int{5, 4, 3, 2, 1, 0}},
	}
	for _, c := range cases {
		want := make([]string, len(c.want))
		for i, r := range c.want {
			want[i] = ids[r]
		}
		items, total := listActivityAll(t, s, c.f)
		if total != len(want) {
			t.Errorf("%s: total %d, want %d", c.name, total, len(want))
		}
		if got := entryIDs(items); !slices.Equal(got, want) {
			t.Errorf("%s: entries %v, want %v", c.name, got, want)
		}
	}
}

func testActivityPagination(t *testing.T, s ActivityStore) {
	// 12 entries over 4 instants: ties on created_at are ordered by id,
	// descending.
	var all []store.ActivityEntry
	for i := range 12 {
		all = append(all, appendActivityEntry(t, s, store.ActivityEntry{Action: "a", ActorType: store.ActorAdmin,
			CreatedAt: activityBase.Add(time.Duration(i%4) * time.Second)}))
	}
	slices.SortFunc(all, func(a, b store.ActivityEntry) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		if a.ID > b.ID {
			return -1
		}
		return 1
	})
	want := entryIDs(all)
	if items, _ := listActivityAll(t, s, store.ActivityFilter{}); !slices.Equal(entryIDs(items), want) {
		t.Fatalf("order %v, want %v (created_at desc, id desc)", entryIDs(items), want)
	}
	for _, size := range []int{1, 5, 12, 13} {
		var got []string
		for page := 1; ; page++ {
			items, total, err := s.ListActivity(t.Context(), store.ActivityFilter{}, page, size)
			if err != nil {
				t.Fatalf("page %d size %d: %v", page, size, err)
			}
			if total != 12 {
				t.Fatalf("page %d size %d: total %d, want 12", page, size, total)
			}
			if len(items) > size {
				t.Fatalf("page %d size %d: %d items", page, size, len(items))
			}
			if len(items) == 0 {
				if want := (12 + size - 1) / size; page != want+1 {
					t.Fatalf("size %d: first empty page is %d, want %d", size, page, want+1)
				}
				break
			}
			got = append(got, entryIDs(items)...)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("size %d: pages give %v, want %v", size, got, want)
		}
	}
	// Far past the end: empty, with the total.
	items, total, err := s.ListActivity(t.Context(), store.ActivityFilter{}, 1<<40, 100)
	if err != nil || len(items) != 0 || total != 12 {
		t.Fatalf("page 2^40: %d items, total %d, %v", len(items), total, err)
	}
}

func testActivityBadPages(t *testing.T, s ActivityStore) {
	appendActivityEntry(t, s, store.ActivityEntry{Action: "a", ActorType: store.ActorAdmin})
	cases := []struct{ page, size int }{
		{0, 10}, {-1, 10}, {1, 0}, {1, -5}, {1, store.MaxActivityPageSize + 1}, {1 << 62, 1000},
	}
	for _, c := range cases {
		_, _, err := s.ListActivity(t.Context(), store.ActivityFilter{}, c.page, c.size)
		wantErrIs(t, fmt.Sprintf("page %d size %d", c.page, c.size), err, store.ErrInvalidActivity)
	}
}
