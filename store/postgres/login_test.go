package postgres_test

import (
	"testing"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/store/postgres/pgtest"
	"github.com/sentinel-auth/sentinel/store/storetest"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	storetest.RunLogin(t, func(t *testing.T) store.Store { return open(t, pgtest.URL(t)) })
}
