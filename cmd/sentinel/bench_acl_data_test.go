package main

import (
	"encoding/json"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// TestACLDatasetRules holds the load tool's reference, the original's
// check rules on the dataset, to hand-worked cases. Two workspaces of six:
// in workspace 0 user 0 owns, 1 administers, 2 and 3 edit, 4 and 5 view;
// user 11 (workspace 1's last viewer) is workspace 0's guest viewer; group
// g0 holds user 4 and nests g1, which holds user 5.
func TestACLDatasetRules(t *testing.T) {
	d := &aclDataset{aclShape: aclShape{workspaces: 2, members: 6}}
	private := func(owner int, s *aclShare) *aclResource {
		return &aclResource{ws: 0, owner: owner, private: true, share: s}
	}
	visible := &aclResource{ws: 0, owner: 2}
	tests := []struct {
		name       string
		user, tw   int
		r          *aclResource
		edit, want bool
	}{
		{"owner of a private resource edits it", 4, 0, private(4, nil), true, true},
		{"workspace owner edits a private resource", 0, 0, private(4, nil), true, true},
		{"workspace admin edits a private resource", 1, 0, private(4, nil), true, true},
		{"editor does not view a private resource", 2, 0, private(4, nil), false, false},
		{"viewer does not view a private resource", 5, 0, private(4, nil), false, false},
		{"viewer views a workspace resource", 4, 0, visible, false, true},
		{"viewer does not edit a workspace resource", 4, 0, visible, true, false},
		{"editor edits a workspace resource", 3, 0, visible, true, true},
		{"guest views a workspace resource", 11, 0, visible, false, true},
		{"guest does not edit a workspace resource", 11, 0, visible, true, false},
		{"token of another workspace", 11, 1, visible, false, false},
		{"token of a workspace the user is not in", 4, 1, visible, false, false},
		{"share to g0 reaches its user", 4, 0, private(0, &aclShare{group: 0}), false, true},
		{"share to g0 reaches g1's user (nested)", 5, 0, private(0, &aclShare{group: 0}), false, true},
		{"view share does not give edit", 5, 0, private(0, &aclShare{group: 0}), true, false},
		{"share to g0 does not reach an editor outside it", 2, 0, private(0, &aclShare{group: 0}), false, false},
		{"share to g1 does not reach g0's own user", 4, 0, private(0, &aclShare{group: 1, edit: true}), false, false},
		{"edit share to g1 gives its user edit", 5, 0, private(0, &aclShare{group: 1, edit: true}), true, true},
		{"groups do not reach the guest", 11, 0, private(0, &aclShare{group: 0}), false, false},
		{"user share to the guest", 11, 0, private(0, &aclShare{group: -1, user: 11, edit: true}), true, true},
		{"user share to someone else", 4, 0, private(0, &aclShare{group: -1, user: 11, edit: true}), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := d.allowed(tt.user, tt.tw, tt.r, tt.edit); got != tt.want {
				t.Fatalf("allowed(user %d, token ws %d, edit %v) = %v, want %v", tt.user, tt.tw, tt.edit, got, tt.want)
			}
		})
	}
	if d.guest(0) != 11 || d.guest(1) != 5 || d.role(11, 0) != roleViewer || d.role(11, 1) != roleViewer || d.role(5, 1) != roleViewer {
		t.Errorf("guests: %d %d", d.guest(0), d.guest(1))
	}
	if g := d.groupUsers(0, 0); !slices.Equal(g, []int{4}) {
		t.Errorf("g0 users %v", g)
	}
}

// TestACLDatasetDeterministic: the same shape draws the same dataset (a
// rerun finds the resources it registered), another seed another one.
func TestACLDatasetDeterministic(t *testing.T) {
	s := aclShape{workspaces: 5, members: 8, resources: 500, seed: 3}
	a, b := newACLDataset(s), newACLDataset(s)
	s.seed = 4
	c := newACLDataset(s)
	shares, private := 0, 0
	for i := range a.resources {
		ra, rb := a.resources[i], b.resources[i]
		if ra.id != rb.id || ra.owner != rb.owner || ra.private != rb.private || (ra.share == nil) != (rb.share == nil) {
			t.Fatalf("resource %d differs between two draws", i)
		}
		if ra.id == c.resources[i].id {
			t.Fatalf("resource %d has the same id with another seed", i)
		}
		if ra.owner/8 != ra.ws {
			t.Fatalf("resource %d owned by a user of another workspace", i)
		}
		if ra.share != nil {
			shares++
		}
		if ra.private {
			private++
		}
	}
	if shares < 60 || shares > 140 || private < 40 || private > 110 {
		t.Errorf("%d shares, %d private of 500: want about 100 and 75", shares, private)
	}
}

// TestACLJudges: the measuring phase's judges count exactly the answers
// that differ from the dataset's.
func TestACLJudges(t *testing.T) {
	d := newACLDataset(aclShape{workspaces: 3, members: 6, resources: 300, seed: 1})
	a := &aclServer{d: d, o: &benchOptions{service: "bench"}, key: "sk_x",
		workspaces: []string{"00000000-0000-4000-8000-000000000000", "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"}}
	ts := &tokenSet{pairs: d.samplePairs()}
	ts.toks = make([]atomic.Pointer[string], len(ts.pairs))
	for i := range ts.toks {
		tok := "tok"
		ts.toks[i].Store(&tok)
	}

	p := checkPlan(a, ts, 1)
	r := p.pick(0)
	if h := r.header(); h.Get("X-Service-Key") != "sk_x" || h.Get("Authorization") != "Bearer tok" {
		t.Fatalf("header %v", h)
	}
	var req struct {
		Checks []permCheck `json:"checks"`
	}
	if err := json.Unmarshal(r.body, &req); err != nil || len(req.Checks) != 100 {
		t.Fatalf("body: %v, %d checks", err, len(req.Checks))
	}
	answer := func(allowed bool) []byte {
		res := make([]permCheck, len(req.Checks))
		for i, c := range req.Checks {
			res[i] = c
			res[i].Allowed = allowed
		}
		b, _ := json.Marshal(map[string]any{"results": res})
		return b
	}
	var no, yes kindTally
	if err := r.judge(answer(false), &no); err != nil {
		t.Fatal(err)
	}
	if err := r.judge(answer(true), &yes); err != nil {
		t.Fatal(err)
	}
	// Each check is wrong in exactly one of the two answers.
	if no.wrong+yes.wrong != 100 || no.wrong == 0 || yes.wrong == 0 || no.denied != 100 || yes.allowed != 100 {
		t.Fatalf("all denied: %+v; all allowed: %+v", no, yes)
	}
	req.Checks[3].ResourceID = req.Checks[4].ResourceID
	if err := r.judge(answer(false), &no); err == nil {
		t.Error("an answer about another resource was accepted")
	}
	req.Checks = req.Checks[:99]
	if err := r.judge(answer(false), &no); err == nil {
		t.Error("99 results for 100 checks were accepted")
	}

	p = accessiblePlan(a, ts)
	first := -1 // the first viewer among the measured users: pick(0)'s
	for i, pr := range ts.pairs {
		if d.role(pr.user, pr.ws) == roleViewer {
			first = i
			break
		}
	}
	pr := ts.pairs[first]
	want := d.accessible(pr.user, pr.ws, false)
	if len(want) < 2 {
		t.Fatalf("viewer sees %d resources", len(want))
	}
	if r = p.pick(0); r.kind != accViewerView || !strings.Contains(string(r.body), `"action":"view"`) {
		t.Fatalf("pick(0) is kind %d: %s", r.kind, r.body)
	}
	for _, tc := range []struct {
		name  string
		ids   []string
		full  bool
		wrong int
	}{
		{"the dataset's ids", want, false, 0},
		{"reversed", reversed(want), false, 0},
		{"one missing", want[1:], false, 1},
		{"full access", want, true, 1},
		{"none", []string{}, false, 1},
	} {
		var k kindTally
		b, _ := json.Marshal(map[string]any{"resource_ids": tc.ids, "has_full_access": tc.full})
		if err := r.judge(b, &k); err != nil || k.wrong != tc.wrong || k.items != len(tc.ids) {
			t.Errorf("%s: %v, %+v, want %d wrong", tc.name, err, k, tc.wrong)
		}
	}
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}
