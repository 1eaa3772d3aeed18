package sqlite_test

import (
	"testing"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/store/storetest"
)

func TestUserRevoke(t *testing.T) {
	t.Parallel()
	storetest.RunUserRevoke(t, func(t *testing.T) store.Store { return open(t) })
}
