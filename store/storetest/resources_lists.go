package storetest

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

func testListResourceIDs(t *testing.T, s ResourceStore) {
	ctx := t.Context()
	f := newResFixture(t, s)
	var docsA []string
	for range 5 {
		docsA = append(docsA, f.register(t, f.doc(store.VisibilityPrivate)).Key.ID)
	}
	slices.Sort(docsA)
	// Not in the range: another type, workspace or service.
	f.register(t, store.ResourceRegistration{Key: resKey("notes", "sheet", uuid.NewString()), WorkspaceID: f.wa, OwnerID: f.anne})
	f.register(t, store.ResourceRegistration{Key: resKey("notes", "doc", uuid.NewString()), WorkspaceID: f.wb, OwnerID: f.carl})
	f.register(t, store.ResourceRegistration{Key: resKey("tasks", "doc", uuid.NewString()), WorkspaceID: f.wa, OwnerID: f.anne})

	cases := []struct {
		name         string
		svc, typ, ws string
		limit        int
		want         []string
		wantErr      error
	}{
		{"all", "notes", "doc", f.wa, 0, docsA, nil},
		{"negative limit is all", "notes", "doc", f.wa, -1, docsA, nil},
		{"limit", "notes", "doc", f.wa, 3, docsA[:3], nil},
		{"limit above the count", "notes", "doc", f.wa, 100, docsA, nil},
		{"workspace id in capitals", "notes", "doc", strings.ToUpper(f.wa), 2, docsA[:2], nil},
		{"empty workspace", "notes", "doc", f.nid, 0, []string{}, nil},
		{"unknown type", "notes", "board", f.wa, 0, []string{}, nil},
		{"malformed service", "Notes", "doc", f.wa, 0, nil, store.ErrInvalidResource},
		{"malformed type", "notes", "", f.wa, 0, nil, store.ErrInvalidResource},
		{"malformed workspace", "notes", "doc", "a", 0, nil, store.ErrInvalidResource},
	}
	for _, c := range cases {
		got, err := s.ListResourceIDs(ctx, c.svc, c.typ, c.ws, c.limit)
		wantErrIs(t, c.name, err, c.wantErr)
		if !reflect.DeepEqual(got, c.want) {
			t.Fatalf("%s: ListResourceIDs = %q, want %q", c.name, got, c.want)
		}
	}
}

func testListResources(t *testing.T, s ResourceStore) {
	ctx := t.Context()
	f := newResFixture(t, s)
	var all []store.Resource // in registration order
	for i := range 7 {
		reg := f.doc(store.VisibilityWorkspace)
		if i%2 == 1 {
			reg.OwnerID = f.bob
		}
		all = append(all, f.register(t, reg))
	}
	all = append(all,
		f.register(t, store.ResourceRegistration{Key: resKey("notes", "sheet", uuid.NewString()), WorkspaceID: f.wa, OwnerID: f.anne}),
		f.register(t, store.ResourceRegistration{Key: resKey("notes", "doc", uuid.NewString()), WorkspaceID: f.wb, OwnerID: f.carl}),
		f.register(t, store.ResourceRegistration{Key: resKey("tasks", "doc", uuid.NewString()), WorkspaceID: f.wa, OwnerID: f.anne}),
	)
	all[2].Shares = []store.ResourceShare{
		f.share(t, all[2].ID, store.ResourceGrant{GranteeType: store.GranteeUser, GranteeID: f.bob, Permission: store.ShareView, GrantedBy: f.anne}),
		f.share(t, all[2].ID, store.ResourceGrant{GranteeType: store.GranteeGroup, GranteeID: f.ga, Permission: store.ShareEdit, GrantedBy: f.anne}),
	}
	// newest first: the store orders by creation time, then id.
	newest := func(rs []store.Resource) []store.Resource {
		out := slices.Clone(rs)
		slices.SortFunc(out, func(a, b store.Resource) int {
			if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
				return c
			}
			switch {
			case a.ID > b.ID:
				return -1
			case a.ID < b.ID:
				return 1
			}
			return 0
		})
		return out
	}
	match := func(keep func(store.Resource) bool) []store.Resource {
		var out []store.Resource
		for _, r := range all {
			if keep(r) {
				out = append(out, r)
			}
		}
		return newest(out)
	}
	docsA := match(func(r store.Resource) bool {
		return r.Key.Service == "notes" && r.Key.Type == "doc" && r.WorkspaceID == f.wa
	})

	cases := []struct {
		name           string
		f              store.ResourceFilter
		page, pageSize int
		want           []store.Resource
		total          int
	}{
		{"everything", store.ResourceFilter{}, 1, 100, newest(all), 10},
		{"default page and size", store.ResourceFilter{}, 0, 0, newest(all), 10},
		{"service", store.ResourceFilter{Service: "tasks"}, 1, 10, match(func(r store.Resource) bool { return r.Key.Service == "tasks" }), 1},
		{"workspace", store.ResourceFilter{WorkspaceID: f.wb}, 1, 10, match(func(r store.Resource) bool { return r.WorkspaceID == f.wb }), 1},
		{"owner", store.ResourceFilter{OwnerID: f.bob}, 1, 10, match(func(r store.Resource) bool { return r.OwnerID == f.bob }), 3},
		{"service, type and workspace, page 1", store.ResourceFilter{Service: "notes", Type: "doc", WorkspaceID: f.wa}, 1, 3, docsA[:3], 7},
		{"page 2", store.ResourceFilter{Service: "notes", Type: "doc", WorkspaceID: f.wa}, 2, 3, docsA[3:6], 7},
		{"last page", store.ResourceFilter{Service: "notes", Type: "doc", WorkspaceID: f.wa}, 3, 3, docsA[6:], 7},
		{"past the end", store.ResourceFilter{Service: "notes", Type: "doc", WorkspaceID: f.wa}, 4, 3, nil, 7},
		{"far past the end", store.ResourceFilter{}, 1 << 62, 1000, nil, 10},
		{"no match", store.ResourceFilter{Service: "none"}, 1, 10, nil, 0},
	}
	for _, c := range cases {
		got, total, err := s.ListResources(ctx, c.f, c.page, c.pageSize)
		wantErrIs(t, c.name, err, nil)
		if total != c.total || len(got) != len(c.want) || (len(got) > 0 && !reflect.DeepEqual(got, c.want)) {
			t.Fatalf("%s: ListResources = %d items of %d\n got  %+v\n want %+v (%d)", c.name, len(got), total, got, c.want, c.total)
		}
	}
}
