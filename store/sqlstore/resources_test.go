package sqlstore

import (
	"errors"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// Every system tuple a resource stands for must be a valid tuple, also
// with the longest names the store accepts.
func TestResourceTuplesAreValid(t *testing.T) {
	long := strings.Repeat("a", maxNameLen-4) + "_.-9"
	const (
		rid = "6f1c7d3e-2b4a-4c1d-9e8f-0a1b2c3d4e5f"
		wid = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
		uid = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
	)
	row := resourceRow{
		Resource: store.Resource{ID: rid, Key: store.ResourceKey{Service: long, Type: long, ID: rid}, WorkspaceID: wid,
			OwnerID: uid, Visibility: store.VisibilityWorkspace, ParentID: wid,
			Shares: []store.ResourceShare{
				{GranteeType: store.GranteeUser, GranteeID: uid, Permission: store.ShareView},
				{GranteeType: store.GranteeGroup, GranteeID: wid, Permission: store.ShareEdit},
			}},
		parent: store.ResourceKey{Service: long, Type: long, ID: wid},
	}
	ts := row.allTuples()
	if len(ts) != 7 {
		t.Fatalf("allTuples = %d tuples, want 7 (workspace, owner, parent, two visibility, two shares)", len(ts))
	}
	for _, tp := range ts {
		got, err := tuple.Parse(tp.Key())
		if err != nil || got != tp {
			t.Errorf("tuple %s does not round-trip: %+v, %v", tp, got, err)
		}
	}
}

func TestCheckKey(t *testing.T) {
	const id = "6f1c7d3e-2b4a-4c1d-9e8f-0a1b2c3d4e5f"
	cases := []struct {
		svc, typ, id string
		wantID       string // "" : invalid
	}{
		{"notes", "doc", id, id},
		{"notes.v2", "doc_type-1", strings.ToUpper(id), id},
		{"notes", "doc", "{" + id + "}", id},
		{"n", "d", strings.ReplaceAll(id, "-", ""), id},
		{"Notes", "doc", id, ""},
		{"notes", "9doc", id, ""},
		{"notes", "", id, ""},
		{"notes", "doc/x", id, ""},
		{"notes", "doc", "", ""},
		{"notes", "doc", "doc-1", ""},
		{"notes", "doc", id + "/x", ""},
		{strings.Repeat("a", maxNameLen+1), "doc", id, ""},
	}
	for _, c := range cases {
		k, err := checkKey(store.ResourceKey{Service: c.svc, Type: c.typ, ID: c.id})
		if c.wantID == "" {
			if !errors.Is(err, store.ErrInvalidResource) {
				t.Errorf("checkKey(%q, %q, %q): error %v, want ErrInvalidResource", c.svc, c.typ, c.id, err)
			}
			continue
		}
		if err != nil || k.ID != c.wantID || k.Service != c.svc || k.Type != c.typ {
			t.Errorf("checkKey(%q, %q, %q) = %+v, %v; want id %s", c.svc, c.typ, c.id, k, err, c.wantID)
		}
	}
}
