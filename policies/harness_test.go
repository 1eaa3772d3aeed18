package policies_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/datasync"
	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/policies"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// syncTimeout bounds the wait for datasync to apply a write.
const syncTimeout = 30 * time.Second

// world is the server's read path in process, as the conformance harness
// builds it: a SQLite store, an engine, and datasync between them. The
// system service holds the default model; tuples are written to the store
// and reach the engine through the changelog.
type world struct {
	t       *testing.T
	st      store.Store
	eng     *engine.Engine
	sync    *datasync.Syncer
	m       *model.Model
	modelID string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	st := testenv.SQLiteStore(t)
	ctx := t.Context() // ends before the store closes
	eng, err := engine.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sync := datasync.New(st, eng, datasync.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if _, err := sync.Start(ctx); err != nil {
		t.Fatal(err)
	}
	m, err := policies.Default()
	if err != nil {
		t.Fatal(err)
	}
	saved, err := st.WriteModel(ctx, store.SystemServiceID, m.DSL(), m.JSON())
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, st: st, eng: eng, sync: sync, m: m, modelID: saved.ID}
	w.wait(saved.Revision)
	if err := sync.ModelErrors()[store.SystemServiceID]; err != nil {
		t.Fatalf("the engine did not load the default model: %v", err)
	}
	return w
}

// wait blocks until datasync has applied revision rev.
func (w *world) wait(rev uint64) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.t.Context(), syncTimeout)
	defer cancel()
	if err := w.sync.WaitFor(ctx, rev); err != nil {
		w.t.Fatalf("datasync: %v", err)
	}
}

// write stores system tuples (all-or-nothing, a duplicate write or a
// missing delete fails) and waits until the engine has them. Every tuple
// must be admitted by the default model: the schema's shapes are the
// contract between the store and the model.
func (w *world) write(writes, deletes []tuple.Tuple) {
	w.t.Helper()
	for _, tp := range slices.Concat(writes, deletes) {
		if err := w.m.ValidateTuple(tp); err != nil {
			w.t.Fatalf("tuple %s is not admitted by the default model: %v", tp, err)
		}
	}
	for len(writes)+len(deletes) > 0 {
		nd := min(len(deletes), 100)
		nw := min(len(writes), 100-nd)
		rev, err := w.st.WriteTuples(w.t.Context(), store.SystemServiceID, store.TupleWrite{
			ModelID: w.modelID, Writes: writes[:nw], Deletes: deletes[:nd],
		})
		if err != nil {
			w.t.Fatalf("write system tuples: %v", err)
		}
		w.wait(rev)
		writes, deletes = writes[nw:], deletes[nd:]
	}
}

// check asks whether user uid has rel (view or edit) on the resource.
func (w *world) check(uid, rid, rel string) bool {
	w.t.Helper()
	res, err := w.eng.Check(w.t.Context(), store.SystemServiceID, engine.CheckRequest{
		Object: tuple.Object{Type: "resource", ID: rid}, Relation: rel, User: userRef(uid),
	})
	if err != nil {
		w.t.Fatalf("check %s#%s@user:%s: %v", rid, rel, uid, err)
	}
	return res.Allowed
}

// list returns the resources on which user uid has rel, sorted.
func (w *world) list(uid, rel string) []string {
	w.t.Helper()
	ids, err := w.eng.ListObjects(w.t.Context(), store.SystemServiceID, engine.ListObjectsRequest{
		Type: "resource", Relation: rel, User: userRef(uid),
	})
	if err != nil {
		w.t.Fatalf("list resource#%s for user:%s: %v", rel, uid, err)
	}
	return ids
}

// The builders below write the tuple schema of policies/README.md, as the
// store does when it writes the rows these tuples mirror.

func userRef(uid string) tuple.User { return tuple.User{Type: "user", ID: uid} }

func tp(typ, id, rel string, u tuple.User) tuple.Tuple {
	return tuple.Tuple{Object: tuple.Object{Type: typ, ID: id}, Relation: rel, User: u}
}

// member is a workspace membership: exactly one tuple, the role.
func member(wid, uid, role string) tuple.Tuple { return tp("workspace", wid, role, userRef(uid)) }

// group is a group's workspace and its direct members (users).
func group(gid, wid string, uids ...string) []tuple.Tuple {
	out := []tuple.Tuple{tp("group", gid, "workspace", tuple.User{Type: "workspace", ID: wid})}
	for _, uid := range uids {
		out = append(out, tp("group", gid, "member", userRef(uid)))
	}
	return out
}

// nest makes every member of group inner a member of group outer.
func nest(outer, inner string) tuple.Tuple {
	return tp("group", outer, "member", tuple.User{Type: "group", ID: inner, Relation: "member"})
}

// rid is the object id of a resource: service name, type and a UUID (here
// derived from a readable name, so failures name it).
func rid(name string) string {
	return "notes/note/" + uuid.NewSHA1(uuid.NameSpaceOID, []byte(name)).String()
}

// resource is one registered resource.
type resource struct {
	name, wid, owner string
	workspaceVisible bool
	parent           string // name of the parent resource, or ""
}

func (r resource) tuples() []tuple.Tuple {
	id := rid(r.name)
	out := []tuple.Tuple{
		tp("resource", id, "workspace", tuple.User{Type: "workspace", ID: r.wid}),
		tp("resource", id, "owner", userRef(r.owner)),
	}
	if r.parent != "" {
		out = append(out, tp("resource", id, "parent", tuple.User{Type: "resource", ID: rid(r.parent)}))
	}
	if r.workspaceVisible {
		out = append(out, visibility(r.name, r.wid)...)
	}
	return out
}

// visibility is what visibility "workspace" adds to a resource.
func visibility(name, wid string) []tuple.Tuple {
	return []tuple.Tuple{
		tp("resource", rid(name), "visible_to", tuple.User{Type: "workspace", ID: wid, Relation: "member"}),
		tp("resource", rid(name), "editable_by", tuple.User{Type: "workspace", ID: wid, Relation: "editor"}),
	}
}

// shareUser and shareGroup are shares with permission "view" or "edit".
func shareUser(name, uid, perm string) tuple.Tuple {
	return tp("resource", rid(name), shareRelation(perm), userRef(uid))
}

func shareGroup(name, gid, perm string) tuple.Tuple {
	return tp("resource", rid(name), shareRelation(perm), tuple.User{Type: "group", ID: gid, Relation: "member"})
}

func shareRelation(perm string) string {
	if perm == "edit" {
		return "shared_editor"
	}
	return "shared_viewer"
}
