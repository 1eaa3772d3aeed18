package main

// The ACL modes of `sentinel bench`: --mode permissions-check drives the
// original's POST /permissions/check with 100 checks a request, --mode
// accessible its POST /permissions/accessible, against the dataset of
// bench_acl_data.go loaded by bench_acl_load.go. Every answer is compared
// with the original's rules evaluated on the dataset.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"slices"
)

// aclSampleWorkspaces is how many workspaces' members (every role, and
// each workspace's guest) are measured.
const aclSampleWorkspaces = 8

// aclCheckBodies is how many different 100-check requests are cycled.
const aclCheckBodies = 256

func (o *benchOptions) validateACL() error {
	switch {
	case o.adminKey == "":
		return fmt.Errorf("--mode %s needs --admin-key (the members are added by the admin CSV import)", o.mode)
	case o.resources < 1 || o.resources > 10_000_000:
		return fmt.Errorf("--resources %d: want 1 to 10,000,000", o.resources)
	case o.workspaces < 1 || o.workspaces > 10_000:
		return fmt.Errorf("--workspaces %d: want 1 to 10,000", o.workspaces)
	case o.members < 6 || o.members > 1000:
		return fmt.Errorf("--members %d: want 6 to 1000 (an owner, an admin, two editors and at least two viewers)", o.members)
	case o.workspaces*o.members > 100_000:
		return fmt.Errorf("--workspaces × --members = %d users: at most 100,000", o.workspaces*o.members)
	case o.provider == "":
		return errors.New("--provider must name the server's identity provider")
	}
	u, err := url.Parse(o.idpTokenURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return fmt.Errorf("--idp-token-url %q: want http://host:port/path", o.idpTokenURL)
	}
	if !loopback(u.Hostname()) {
		return fmt.Errorf("--idp-token-url %q: sentinel bench only uses an identity provider on this machine", o.idpTokenURL)
	}
	return nil
}

// runACLBench loads (or finds) the ACL dataset, signs the measured users
// in and drives the mode's route.
func runACLBench(ctx context.Context, o *benchOptions, out, progress io.Writer) error {
	seed := o.seed
	if seed == 0 {
		seed = 1
	}
	d := newACLDataset(aclShape{workspaces: o.workspaces, members: o.members, resources: o.resources, seed: seed})
	c := newBenchClient(o.url, max(o.workers, o.writers)+1)
	fmt.Fprintf(out, "sentinel bench: %s, service %q, %d workspaces of %d members, %d resources (seed %d)\n",
		o.url, o.service, d.workspaces, d.members, len(d.resources), seed)
	key := o.key
	if key == "" {
		var err error
		if key, err = serviceKey(ctx, c, o, out); err != nil {
			return err
		}
	}
	a := &aclServer{c: c, o: o, d: d, key: key}
	if err := a.load(ctx, out, progress); err != nil {
		return fmt.Errorf("load: %w", err)
	}

	ts := &tokenSet{pairs: d.samplePairs()}
	if err := ts.mint(ctx, c, o, a); err != nil {
		return fmt.Errorf("sign in the measured users: %w", err)
	}
	fmt.Fprintf(out, "measuring as %d users (every member of %d workspaces, each signed in for that workspace)\n",
		len(ts.pairs), min(d.workspaces, aclSampleWorkspaces))
	p := accessiblePlan(a, ts)
	if o.mode == "permissions-check" {
		p = checkPlan(a, ts, seed)
	}
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	go ts.renew(rctx, c, o, a, progress)
	return drive(ctx, c, o, p, out)
}

// samplePairs is every member (each role, and the guest) of up to
// aclSampleWorkspaces workspaces spread over the dataset, for that
// workspace.
func (d *aclDataset) samplePairs() []aclPair {
	n := min(d.workspaces, aclSampleWorkspaces)
	var out []aclPair
	for k := range n {
		w := k * d.workspaces / n
		for _, u := range d.wsMembers(w) {
			out = append(out, aclPair{user: u, ws: w})
		}
	}
	return out
}

type permCheck struct {
	ServiceName  string `json:"service_name"`
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
	Action       string `json:"action"`
	Allowed      bool   `json:"allowed"`
}

// checkPlan is aclCheckBodies requests of 100 checks, each by one of the
// measured users in turn: 75 of resources of the token's workspace, 20 of
// another workspace's (denied: the workspace differs) and 5 of resources
// never registered (denied), view or edit at random.
func checkPlan(a *aclServer, ts *tokenSet, seed uint64) plan {
	d := a.d
	rng := rand.New(rand.NewPCG(seed, 100))
	reqs := make([]request, aclCheckBodies)
	for b := range reqs {
		pi := b % len(ts.pairs)
		p := ts.pairs[pi]
		checks := make([]map[string]string, 100)
		wants := make([]bool, 100)
		ids := make([]string, 100)
		for j := range checks {
			ws := p.ws
			if j >= 75 && d.workspaces > 1 {
				ws = (p.ws + 1 + rng.IntN(d.workspaces-1)) % d.workspaces
			}
			edit := rng.IntN(2) == 0
			if in := d.byWs[ws]; j < 95 && len(in) > 0 {
				r := &d.resources[in[rng.IntN(len(in))]]
				ids[j], wants[j] = r.id, d.allowed(p.user, p.ws, r, edit)
			} else {
				ids[j] = randUUID(rng) // unregistered: denied
			}
			action := "view"
			if edit {
				action = "edit"
			}
			checks[j] = map[string]string{"service_name": a.o.service, "resource_type": "doc", "resource_id": ids[j], "action": action}
		}
		body, _ := json.Marshal(map[string]any{"checks": checks})
		reqs[b] = request{path: "/permissions/check", body: body, header: ts.header(a.key, pi),
			judge: func(answer []byte, k *kindTally) error {
				var res struct {
					Results []permCheck `json:"results"`
				}
				if err := json.Unmarshal(answer, &res); err != nil {
					return err
				}
				if len(res.Results) != len(wants) {
					return fmt.Errorf("%d results for %d checks", len(res.Results), len(wants))
				}
				for i, r := range res.Results {
					if r.ResourceID != ids[i] {
						return fmt.Errorf("result %d is of resource %s, asked %s", i, r.ResourceID, ids[i])
					}
					k.count(r.Allowed, wants[i])
				}
				return nil
			}}
	}
	return plan{
		kinds: []kind{{label: "permissions/check", checksPer: 100, reference: "the dataset's answer"}},
		pick:  func(i uint64) *request { return &reqs[i%uint64(len(reqs))] },
	}
}

// The kinds of accessiblePlan, in report order.
const (
	accViewerView = iota
	accViewerEdit
	accEditorView
	accEditorEdit
	accAdminLimit
	accAdminAll
	accKinds
)

// accessibleLimit is the limit of the admins' limited requests.
const accessibleLimit = 100

// accessiblePlan asks, in turn, as viewers (view, edit), editors (view,
// edit) and admins or owners (view with a limit of accessibleLimit, and
// without: has_full_access) of the measured users, each for their token's
// workspace. A viewer's or editor's answer must be exactly the dataset's
// ids; an admin's limited one that many ids of the workspace.
func accessiblePlan(a *aclServer, ts *tokenSet) plan {
	d := a.d
	labels := [accKinds]string{"accessible viewer/view", "accessible viewer/edit", "accessible editor/view",
		"accessible editor/edit", fmt.Sprintf("accessible admin/limit=%d", accessibleLimit), "accessible admin/no-limit"}
	var p plan
	for _, l := range labels {
		p.kinds = append(p.kinds, kind{label: l, items: "ids per answer", reference: "the dataset's answer"})
	}
	var reqs [accKinds][]request
	inWs := map[int]map[string]bool{}
	for pi, pr := range ts.pairs {
		var kinds []int
		switch d.role(pr.user, pr.ws) {
		case roleViewer:
			kinds = []int{accViewerView, accViewerEdit}
		case roleEditor:
			kinds = []int{accEditorView, accEditorEdit}
		default:
			kinds = []int{accAdminLimit, accAdminAll}
		}
		if inWs[pr.ws] == nil {
			inWs[pr.ws] = map[string]bool{}
			for _, i := range d.byWs[pr.ws] {
				inWs[pr.ws][d.resources[i].id] = true
			}
		}
		for _, k := range kinds {
			body := map[string]any{"service_name": a.o.service, "resource_type": "doc", "action": "view", "workspace_id": a.workspaces[pr.ws]}
			edit := k == accViewerEdit || k == accEditorEdit
			if edit {
				body["action"] = "edit"
			}
			var judge func(ids []string, full bool) bool
			switch k {
			case accAdminAll:
				judge = func(ids []string, full bool) bool { return full && len(ids) == 0 }
			case accAdminLimit:
				body["limit"] = accessibleLimit
				all := inWs[pr.ws]
				judge = func(ids []string, full bool) bool {
					seen := map[string]bool{}
					for _, id := range ids {
						if !all[id] || seen[id] {
							return false
						}
						seen[id] = true
					}
					return full && len(ids) == min(accessibleLimit, len(all))
				}
			default:
				want := d.accessible(pr.user, pr.ws, edit)
				judge = func(ids []string, full bool) bool {
					slices.Sort(ids)
					return !full && slices.Equal(ids, want)
				}
			}
			raw, _ := json.Marshal(body)
			reqs[k] = append(reqs[k], request{kind: k, path: "/permissions/accessible", body: raw, header: ts.header(a.key, pi),
				judge: func(answer []byte, kt *kindTally) error {
					var res struct {
						IDs  []string `json:"resource_ids"`
						Full bool     `json:"has_full_access"`
					}
					if err := json.Unmarshal(answer, &res); err != nil {
						return err
					}
					kt.items += len(res.IDs)
					if !judge(res.IDs, res.Full) {
						kt.wrong++
					}
					return nil
				}})
		}
	}
	p.pick = func(i uint64) *request {
		rs := reqs[i%accKinds]
		return &rs[(i/accKinds)%uint64(len(rs))]
	}
	return p
}
