package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/store/sqlite"
	"github.com/sentinel-auth/sentinel/tuple"
)

// The benchmarks of the original's /permissions/check (100 checks) and
// /permissions/accessible over 100,000 registered resources: 100
// workspaces of 10 members (an owner, an admin, 2 editors, 6 viewers) and 2
// groups (the second nested in the first), 1,000 resources each, owned by
// a random member, 85% visible to the workspace, 20% shared with a member
// or a group. The measured user is a viewer of workspaces 0 and 1, so what
// they reach spans two workspaces and the API must keep one.
//
// Registering 100k resources through the store takes minutes, so the
// population (store rows only: no service, no signing keys) is built once
// per machine into $TMPDIR/sentinel-bench-permissions-v1.db and copied for
// each run. Delete that file after a change of the store's schema or of
// the population below.

const (
	benchWorkspaces = 100
	benchResources  = 1000 // per workspace
	benchPopFile    = "sentinel-bench-permissions-v1.db"
)

// benchPopulation returns a fresh copy of the population's database.
func benchPopulation(b *testing.B) string {
	b.Helper()
	cache := filepath.Join(os.TempDir(), benchPopFile)
	if _, err := os.Stat(cache); err != nil {
		start := time.Now()
		tmp := cache + "." + uuid.NewString()
		if err := buildBenchPopulation(tmp); err != nil {
			os.Remove(tmp)
			b.Fatalf("build the population: %v", err)
		}
		for _, suffix := range []string{"-wal", "-shm"} {
			os.Remove(tmp + suffix)
		}
		if err := os.Rename(tmp, cache); err != nil {
			b.Fatal(err)
		}
		b.Logf("built %s in %s", cache, time.Since(start).Round(time.Second))
	}
	dst := filepath.Join(b.TempDir(), "sentinel.db")
	in, err := os.Open(cache)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
	return dst
}

func benchEmail(w, u int) string { return fmt.Sprintf("w%d-u%d@bench.test", w, u) }

// buildBenchPopulation writes the population into a new SQLite file.
func buildBenchPopulation(path string) error {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(5, 5))
	roles := []store.Role{store.RoleOwner, store.RoleAdmin, store.RoleEditor, store.RoleEditor}
	for w := range benchWorkspaces {
		users := make([]string, 10)
		for u := range users {
			usr, _, err := st.ProvisionUser(ctx, store.IdentitySighting{Provider: "bench", Subject: benchEmail(w, u), Email: benchEmail(w, u), Name: benchEmail(w, u)})
			if err != nil {
				return err
			}
			users[u] = usr.ID
		}
		ws, err := st.CreateWorkspace(ctx, fmt.Sprintf("bench-%d", w), fmt.Sprintf("Bench %d", w), "", users[0])
		if err != nil {
			return err
		}
		for u := 1; u < len(users); u++ {
			role := store.RoleViewer
			if u < len(roles) {
				role = roles[u]
			}
			if _, err := st.AddMember(ctx, ws.ID, users[u], role); err != nil {
				return err
			}
		}
		if w == 1 { // the measured user, a viewer of workspace 0, is one here too
			v, err := st.UserByEmail(ctx, benchEmail(0, 9))
			if err != nil {
				return err
			}
			if _, err := st.AddMember(ctx, ws.ID, v.ID, store.RoleViewer); err != nil {
				return err
			}
		}
		var groups []string
		for g := range 2 {
			grp, err := st.CreateGroup(ctx, ws.ID, fmt.Sprintf("g%d", g), "", users[0])
			if err != nil {
				return err
			}
			groups = append(groups, grp.ID)
			for _, u := range users[4+3*g : 7+3*g] {
				if _, err := st.AddGroupMember(ctx, grp.ID, store.GroupMemberUser, u); err != nil {
					return err
				}
			}
		}
		if _, err := st.AddGroupMember(ctx, groups[0], store.GroupMemberGroup, groups[1]); err != nil {
			return err
		}
		for range benchResources {
			v := store.VisibilityWorkspace
			if rng.IntN(100) < 15 {
				v = store.VisibilityPrivate
			}
			res, _, err := st.RegisterResource(ctx, store.ResourceRegistration{
				Key:         store.ResourceKey{Service: "notes", Type: "doc", ID: uuid.NewString()},
				WorkspaceID: ws.ID, OwnerID: users[rng.IntN(len(users))], Visibility: v})
			if err != nil {
				return err
			}
			if rng.IntN(100) >= 20 {
				continue
			}
			g := store.ResourceGrant{GranteeType: store.GranteeUser, GranteeID: users[rng.IntN(len(users))],
				Permission: []store.SharePermission{store.ShareView, store.ShareEdit}[rng.IntN(2)], GrantedBy: res.OwnerID}
			if rng.IntN(2) == 0 {
				g.GranteeType, g.GranteeID = store.GranteeGroup, groups[rng.IntN(2)]
			}
			if _, err := st.ShareResource(ctx, res.ID, g); err != nil {
				return err
			}
		}
	}
	return nil
}

// benchPerm is a server on a copy of the population, with the measured
// viewer's token, an admin's token and the resource ids of workspaces 0
// and 1.
type benchPerm struct {
	e             *permEnv
	key           string
	ws0, ws1      string
	viewer, admin string
	viewerTok     string
	adminTok      string
	ids0, ids1    []string
}

func startBenchPerm(b *testing.B) *benchPerm {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, benchPopulation(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	start := time.Now()
	e := startPerm(b, st)
	b.Logf("server started (initial load) in %s", time.Since(start).Round(time.Millisecond))
	p := &benchPerm{e: e, key: e.service("notes")}
	for i, ws := range []*string{&p.ws0, &p.ws1} {
		w, err := st.WorkspaceBySlug(ctx, fmt.Sprintf("bench-%d", i))
		if err != nil {
			b.Fatal(err)
		}
		*ws = w.ID
	}
	for _, u := range []struct {
		id    *string
		email string
	}{{&p.viewer, benchEmail(0, 9)}, {&p.admin, benchEmail(0, 1)}} {
		usr, err := st.UserByEmail(ctx, u.email)
		if err != nil {
			b.Fatal(err)
		}
		*u.id = usr.ID
	}
	p.viewerTok = e.access(p.viewer, p.ws0, store.RoleViewer)
	p.adminTok = e.access(p.admin, p.ws0, store.RoleAdmin)
	if p.ids0, err = st.ListResourceIDs(ctx, "notes", "doc", p.ws0, 0); err != nil {
		b.Fatal(err)
	}
	if p.ids1, err = st.ListResourceIDs(ctx, "notes", "doc", p.ws1, 0); err != nil {
		b.Fatal(err)
	}
	if len(p.ids0) != benchResources || len(p.ids1) != benchResources {
		b.Fatalf("population: %d and %d resources in workspaces 0 and 1; delete %s to rebuild it",
			len(p.ids0), len(p.ids1), filepath.Join(os.TempDir(), benchPopFile))
	}
	return p
}

// serve answers one request in process and decodes the JSON answer.
func (p *benchPerm) serve(b *testing.B, path, token string, body []byte, out any) {
	req := httptest.NewRequest("POST", path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Service-Key", p.key)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	p.e.app.Handler.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		b.Fatal(err)
	}
}

func benchLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100])/1e3, "p99-µs")
}

// BenchmarkCompatPermissionCheck100 measures POST /permissions/check with
// 100 checks of the viewer: 80 resources of their token's workspace, view
// or edit, and 20 of their other workspace (denied for the workspace). It
// cycles through 64 such batches; every answer is compared with the
// engine's check of the same question (wrong-%, must be 0).
func BenchmarkCompatPermissionCheck100(b *testing.B) {
	p := startBenchPerm(b)
	rng := rand.New(rand.NewPCG(9, 9))
	type item = map[string]string
	bodies := make([][]byte, 64)
	wants := make([][]bool, len(bodies))
	allowed, total := 0, 0
	ctx := context.Background()
	for i := range bodies {
		var checks []item
		for j := range 100 {
			id, action := p.ids0[rng.IntN(len(p.ids0))], []string{"view", "edit"}[rng.IntN(2)]
			if j >= 80 {
				id = p.ids1[rng.IntN(len(p.ids1))]
			}
			checks = append(checks, item{"service_name": "notes", "resource_type": "doc", "resource_id": id, "action": action})
			want := false
			if j < 80 {
				res, err := p.e.app.Engine.Check(ctx, store.SystemServiceID, engine.CheckRequest{
					Object: tuple.Object{Type: "resource", ID: "notes/doc/" + id}, Relation: action, User: tuple.User{Type: "user", ID: p.viewer}})
				if err != nil {
					b.Fatal(err)
				}
				want = res.Allowed
			}
			wants[i] = append(wants[i], want)
			if want {
				allowed++
			}
			total++
		}
		bodies[i], _ = json.Marshal(map[string]any{"checks": checks})
	}
	var out struct {
		Results []struct {
			Allowed bool `json:"allowed"`
		} `json:"results"`
	}
	wrong := 0
	for i, body := range bodies {
		p.serve(b, "/permissions/check", p.viewerTok, body, &out)
		for j, r := range out.Results {
			if r.Allowed != wants[i][j] {
				wrong++
			}
		}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		p.serve(b, "/permissions/check", p.viewerTok, bodies[i%len(bodies)], &out)
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	benchLatency(b, lat)
	b.ReportMetric(100*float64(wrong)/float64(total), "wrong-%")
	b.ReportMetric(100*float64(allowed)/float64(total), "allowed-%")
}

// BenchmarkCompatPermissionAccessible measures POST /permissions/accessible
// for the viewer (view and edit: the engine's list, kept to their token's
// workspace) and for an admin (a limit of 100: the store's index; no
// limit: has_full_access without a list). For the viewer it also reports
// the engine's list alone (list-p50-µs) and how many ids it spans
// (listed) against how many the answer keeps (ids).
func BenchmarkCompatPermissionAccessible(b *testing.B) {
	p := startBenchPerm(b)
	ctx := context.Background()
	limit := 100
	for _, c := range []struct {
		name, token, action string
		limit               *int
	}{
		{"viewer/view", p.viewerTok, "view", nil},
		{"viewer/edit", p.viewerTok, "edit", nil},
		{"admin/limit=100", p.adminTok, "view", &limit},
		{"admin/no-limit", p.adminTok, "view", nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := map[string]any{"service_name": "notes", "resource_type": "doc", "action": c.action, "workspace_id": p.ws0}
			if c.limit != nil {
				req["limit"] = *c.limit
			}
			body, _ := json.Marshal(req)
			var out struct {
				IDs  []string `json:"resource_ids"`
				Full bool     `json:"has_full_access"`
			}
			p.serve(b, "/permissions/accessible", c.token, body, &out)
			n := len(out.IDs)
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				p.serve(b, "/permissions/accessible", c.token, body, &out)
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			benchLatency(b, lat)
			b.ReportMetric(float64(n), "ids")
			if c.token != p.viewerTok {
				return
			}
			q := engine.ListObjectsRequest{Type: "resource", Relation: c.action, User: tuple.User{Type: "user", ID: p.viewer}}
			list := make([]time.Duration, 50)
			var listed []string
			for i := range list {
				start := time.Now()
				var err error
				if listed, err = p.e.app.Engine.ListObjects(ctx, store.SystemServiceID, q); err != nil {
					b.Fatal(err)
				}
				list[i] = time.Since(start)
			}
			slices.Sort(list)
			b.ReportMetric(float64(list[len(list)/2])/1e3, "list-p50-µs")
			b.ReportMetric(float64(len(listed)), "listed")
		})
	}
}
