package storetest

import (
	"reflect"
	"testing"

	"github.com/sentinel-auth/sentinel/store"
)

func testModels(t *testing.T, s store.Store) {
	ctx := t.Context()
	svc := newService(t, s, "svc")
	other := newService(t, s, "other")
	const unknown = "00000000-0000-4000-8000-000000000000"

	_, err := s.CurrentModel(ctx, svc.ID)
	wantErrIs(t, "CurrentModel without a model", err, store.ErrNoModel)
	_, err = s.CurrentModel(ctx, unknown)
	wantErrIs(t, "CurrentModel of an unknown service", err, store.ErrNotFound)
	_, err = s.WriteModel(ctx, unknown, "dsl", "{}")
	wantErrIs(t, "WriteModel for an unknown service", err, store.ErrNotFound)

	m1, err := s.WriteModel(ctx, svc.ID, "dsl v1", `{"v":1}`)
	wantErrIs(t, "WriteModel v1", err, nil)
	if m1.ID == "" || m1.ServiceID != svc.ID || m1.Version != 1 || m1.DSL != "dsl v1" || m1.JSON != `{"v":1}` {
		t.Fatalf("WriteModel = %+v", m1)
	}
	if h := head(t, s); m1.Revision != h {
		t.Fatalf("model revision %d, head %d", m1.Revision, h)
	}
	om := newModel(t, s, other.ID)
	if om.Version != 1 {
		t.Fatalf("versions are per service: other's first model has version %d", om.Version)
	}
	m2, err := s.WriteModel(ctx, svc.ID, "dsl v2", `{"v":2}`)
	wantErrIs(t, "WriteModel v2", err, nil)
	if m2.Version != 2 || m2.ID == m1.ID || m2.Revision <= m1.Revision {
		t.Fatalf("second model = %+v after %+v", m2, m1)
	}

	gets := []struct {
		name string
		get  func() (store.Model, error)
		want store.Model
		err  error
	}{
		{"current", func() (store.Model, error) { return s.CurrentModel(ctx, svc.ID) }, m2, nil},
		{"v1 by id", func() (store.Model, error) { return s.ModelByID(ctx, svc.ID, m1.ID) }, m1, nil},
		{"v2 by id", func() (store.Model, error) { return s.ModelByID(ctx, svc.ID, m2.ID) }, m2, nil},
		{"another service's", func() (store.Model, error) { return s.ModelByID(ctx, other.ID, m1.ID) }, store.Model{}, store.ErrNotFound},
		{"unknown id", func() (store.Model, error) { return s.ModelByID(ctx, svc.ID, unknown) }, store.Model{}, store.ErrNotFound},
	}
	for _, g := range gets {
		got, err := g.get()
		wantErrIs(t, g.name, err, g.err)
		if !reflect.DeepEqual(got, g.want) {
			t.Errorf("%s: got %+v, want %+v", g.name, got, g.want)
		}
	}

	cs := allChanges(t, s, svc.ID, 0)
	if len(cs) != 2 || cs[0].Revision != m1.Revision || cs[1].Revision != m2.Revision {
		t.Fatalf("Changes = %+v, want the two model changes", cs)
	}
	equalStrings(t, "model changes", changeStrings(cs), []string{"model " + m1.ID, "model " + m2.ID})
	if !cs[1].At.Equal(m2.CreatedAt) || cs[1].ServiceID != svc.ID {
		t.Fatalf("model change %+v, model %+v", cs[1], m2)
	}
}
