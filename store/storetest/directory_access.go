package storetest

import (
	"errors"
	"testing"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// testDirectoryAccess: a service starts without directory access; grants
// and revocations are stored and read back by every read of services, and
// one that changes nothing writes nothing. Revoking it from a service
// whose current model opts in writes a new current version identical but
// for the opt-in, with its changelog row, in the same call; a revocation
// from a service that does not opt in writes no model. Unknown services
// and the system service are refused, changing nothing. Other services
// are unaffected.
func testDirectoryAccess(t *testing.T, s store.Store) {
	ctx := t.Context()
	const dsl, js = "model\n  schema 1.1\ntype user\ntype doc\n", `{"schema_version":"1.1","type_definitions":[{"type":"user"},{"type":"doc"}]}`
	svc, other := newService(t, s, "dir-access"), newService(t, s, "bystander")
	if svc.DirectoryAccess {
		t.Fatalf("CreateService = %+v: a new service has no directory access", svc)
	}
	plain := newModel(t, s, svc.ID) // a version without the opt-in
	var optedIn store.Model         // the opted-in version, once written

	steps := []struct {
		name    string
		before  func(t *testing.T) // runs first (e.g. opts in)
		id      string
		allowed bool
		err     error
		changed bool
		optOut  bool // a version opting out is written
		access  bool // the service's access afterwards
	}{
		{name: "revoke what was never granted", id: svc.ID, allowed: false, access: false},
		{name: "grant", id: svc.ID, allowed: true, changed: true, access: true},
		{name: "grant again", id: svc.ID, allowed: true, access: true},
		{name: "revoke, the model not opted in", id: svc.ID, allowed: false, changed: true, access: false},
		{name: "grant before opting in", id: svc.ID, allowed: true, changed: true, access: true},
		{name: "revoke, the model opted in", before: func(t *testing.T) {
			m, err := s.WriteModel(ctx, svc.ID, dsl, js, store.ModelOptions{Directory: true})
			if err != nil {
				t.Fatalf("opt in: %v", err)
			}
			optedIn = m
		}, id: svc.ID, allowed: false, changed: true, optOut: true, access: false},
		{name: "revoke again", id: svc.ID, allowed: false, access: false},
		{name: "unknown service", id: "00000000-0000-4000-8000-000000000000", allowed: true, err: store.ErrNotFound},
		{name: "system service", id: store.SystemServiceID, allowed: true, err: store.ErrConflict},
		{name: "system service, revoke", id: store.SystemServiceID, allowed: false, err: store.ErrConflict},
	}
	for _, st := range steps {
		if st.before != nil {
			st.before(t)
		}
		before := head(t, s)
		cur, curErr := s.CurrentModel(ctx, svc.ID)
		if curErr != nil {
			t.Fatalf("%s: CurrentModel: %v", st.name, curErr)
		}
		ch, err := s.SetDirectoryAccess(ctx, st.id, st.allowed)
		wantErrIs(t, st.name, err, st.err)
		if st.err != nil {
			if h := head(t, s); h != before {
				t.Errorf("%s: refused call moved the head %d → %d", st.name, before, h)
			}
			if got, _ := s.CurrentModel(ctx, svc.ID); got != cur {
				t.Errorf("%s: refused call changed the current model %+v → %+v", st.name, cur, got)
			}
			continue
		}
		if ch.Changed != st.changed || ch.Service.ID != st.id || ch.Service.DirectoryAccess != st.access || (ch.OptedOut != nil) != st.optOut {
			t.Errorf("%s: SetDirectoryAccess = %+v; want changed %v, access %v, opt-out %v", st.name, ch, st.changed, st.access, st.optOut)
			continue
		}
		for what, get := range map[string]func() (store.Service, error){
			"ServiceByID":   func() (store.Service, error) { return s.ServiceByID(ctx, st.id) },
			"ServiceByName": func() (store.Service, error) { return s.ServiceByName(ctx, ch.Service.Name) },
		} {
			if got, err := get(); err != nil || got != ch.Service {
				t.Errorf("%s: %s = %+v, %v; want %+v", st.name, what, got, err, ch.Service)
			}
		}
		after := head(t, s)
		if !st.optOut {
			// A grant or revocation alone is no changelog row: nothing a
			// replica answers from changes.
			if after != before {
				t.Errorf("%s: head moved %d → %d without a model written", st.name, before, after)
			}
			if got, _ := s.CurrentModel(ctx, svc.ID); got != cur {
				t.Errorf("%s: current model changed %+v → %+v", st.name, cur, got)
			}
			continue
		}
		m := *ch.OptedOut
		if m.Directory || m.DSL != cur.DSL || m.JSON != cur.JSON || m.ServiceID != svc.ID ||
			m.Version != cur.Version+1 || m.ID == cur.ID || m.Revision != after || m.CreatedAt.IsZero() {
			t.Errorf("%s: opted-out version %+v, want %+v but for directory false, version %d, revision %d",
				st.name, m, cur, cur.Version+1, after)
		}
		if got, err := s.CurrentModel(ctx, svc.ID); err != nil || got != m {
			t.Errorf("%s: CurrentModel = %+v, %v; want the opted-out version %+v", st.name, got, err, m)
		}
		equalStrings(t, st.name+": changes", changeStrings(allChanges(t, s, svc.ID, before)), []string{"model " + m.ID})
		snap, err := s.LoadSnapshot(ctx, func(string, tuple.Tuple) error { return nil })
		if err != nil {
			t.Fatalf("LoadSnapshot: %v", err)
		}
		if got := snap.Models[svc.ID]; got != m {
			t.Errorf("%s: snapshot model %+v, want %+v", st.name, got, m)
		}
	}
	if optedIn.ID == "" || optedIn.ID == plain.ID {
		t.Fatal("the opted-in version was never written")
	}
	// Without access the opt-in is refused again.
	_, err := s.WriteModel(ctx, svc.ID, dsl, js, store.ModelOptions{Directory: true})
	wantErrIs(t, "opt in after the revocation", err, store.ErrDirectoryNotGranted)

	// The bystander was never granted anything.
	if got, err := s.ServiceByID(ctx, other.ID); err != nil || got != other {
		t.Errorf("bystander = %+v, %v; want %+v", got, err, other)
	}
	list, err := s.ListServices(ctx)
	wantErrIs(t, "ListServices", err, nil)
	for _, got := range list {
		if got.DirectoryAccess {
			t.Errorf("ListServices: %+v has directory access after its revocation", got)
		}
	}
	if _, err := s.SetDirectoryAccess(ctx, other.ID, true); err != nil {
		t.Fatalf("grant the bystander: %v", err)
	}
	list, err = s.ListServices(ctx)
	wantErrIs(t, "ListServices", err, nil)
	for _, got := range list {
		if got.DirectoryAccess != (got.ID == other.ID) {
			t.Errorf("ListServices: %+v; only %s has directory access", got, other.Name)
		}
	}
}

// testDirectoryAccessActivity: the activity attached to SetDirectoryAccess
// is built from the change (the opted-out version included) and commits
// with it; a call that changes nothing records nothing; an entry that
// cannot be appended rolls back the revocation and its opt-out version.
func testDirectoryAccessActivity(t *testing.T, s store.Store) {
	ctx := t.Context()
	svc := newService(t, s, "dir-activity")
	entry := func(action, targetID string) store.ActivityEntry {
		return store.ActivityEntry{Action: action, ActorType: store.ActorAdmin, TargetType: "service", TargetID: targetID}
	}
	recordChange := store.WithActivityOf(ctx, func(ch store.DirectoryAccessChange) ([]store.ActivityEntry, error) {
		id := ch.Service.ID
		if ch.OptedOut != nil {
			id += " " + ch.OptedOut.ID
		}
		return []store.ActivityEntry{entry("directory.set", id)}, nil
	})
	actions := func() []string {
		t.Helper()
		es, _, err := s.ListActivity(ctx, store.ActivityFilter{TargetType: "service"}, 1, 100)
		if err != nil {
			t.Fatalf("ListActivity: %v", err)
		}
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = e.Action + " " + e.TargetID
		}
		return out
	}

	if _, err := s.SetDirectoryAccess(recordChange, svc.ID, true); err != nil {
		t.Fatalf("grant: %v", err)
	}
	equalStrings(t, "after the grant", actions(), []string{"directory.set " + svc.ID})

	// Granted already: nothing produced, nothing recorded (a fresh
	// context: the one above has recorded its entry).
	again := store.WithActivityOf(ctx, func(store.DirectoryAccessChange) ([]store.ActivityEntry, error) {
		return []store.ActivityEntry{entry("directory.again", svc.ID)}, nil
	})
	if ch, err := s.SetDirectoryAccess(again, svc.ID, true); err != nil || ch.Changed {
		t.Fatalf("grant again = %+v, %v; want no change", ch, err)
	}
	equalStrings(t, "after the repeated grant", actions(), []string{"directory.set " + svc.ID})

	newModel(t, s, svc.ID)
	in, err := s.WriteModel(ctx, svc.ID, "model\n  schema 1.1\ntype user\n", `{"schema_version":"1.1"}`, store.ModelOptions{Directory: true})
	if err != nil {
		t.Fatalf("opt in: %v", err)
	}

	// A refused entry: neither the revocation nor the opt-out version.
	before := head(t, s)
	bad := store.WithActivity(ctx, store.ActivityEntry{Action: "directory.bad", ActorType: "nobody"})
	_, err = s.SetDirectoryAccess(bad, svc.ID, false)
	wantErrIs(t, "revoke with a malformed entry", err, store.ErrInvalidActivity)
	if got, err := s.ServiceByID(ctx, svc.ID); err != nil || !got.DirectoryAccess {
		t.Errorf("after the failed revocation: %+v, %v; want the access kept", got, err)
	}
	if got, err := s.CurrentModel(ctx, svc.ID); err != nil || got != in || head(t, s) != before {
		t.Errorf("after the failed revocation: current %+v, %v (want %+v), head %d → %d", got, err, in, before, head(t, s))
	}

	revoke := store.WithActivityOf(ctx, func(ch store.DirectoryAccessChange) ([]store.ActivityEntry, error) {
		if ch.OptedOut == nil {
			return nil, errors.New("the revocation reported no opted-out version")
		}
		return []store.ActivityEntry{entry("directory.revoked", ch.Service.ID+" "+ch.OptedOut.ID)}, nil
	})
	ch, err := s.SetDirectoryAccess(revoke, svc.ID, false)
	if err != nil || ch.OptedOut == nil {
		t.Fatalf("revoke = %+v, %v", ch, err)
	}
	equalStrings(t, "after the revocation", actions(), []string{
		"directory.revoked " + svc.ID + " " + ch.OptedOut.ID, "directory.set " + svc.ID})
}
