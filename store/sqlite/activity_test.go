package sqlite_test

import (
	"testing"

	"github.com/sentinel-auth/sentinel/store/storetest"
)

func TestActivity(t *testing.T) {
	t.Parallel()
	storetest.RunActivity(t, func(t *testing.T) storetest.ActivityStore { return open(t) })
}
