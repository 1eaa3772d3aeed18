package postgres_test

import (
	"testing"

	"github.com/sentinel-auth/sentinel/store/postgres/pgtest"
	"github.com/sentinel-auth/sentinel/store/storetest"
)

func TestRBAC(t *testing.T) {
	t.Parallel()
	storetest.RunRBAC(t, func(t *testing.T) storetest.RBACStore { return open(t, pgtest.URL(t)) })
}
