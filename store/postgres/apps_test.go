package postgres_test

import (
	"testing"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/store/postgres/pgtest"
	"github.com/sentinel-auth/sentinel/store/storetest"
)

func TestClientApps(t *testing.T) {
	t.Parallel()
	storetest.RunClientApps(t, func(t *testing.T) store.Store { return open(t, pgtest.URL(t)) })
}

func TestServiceApps(t *testing.T) {
	t.Parallel()
	storetest.RunServiceApps(t, func(t *testing.T) store.Store { return open(t, pgtest.URL(t)) })
}
