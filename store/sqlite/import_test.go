package sqlite_test

import (
	"testing"

	"github.com/sentinel-auth/sentinel/store/storetest"
)

func TestImport(t *testing.T) {
	t.Parallel()
	storetest.RunImport(t, func(t *testing.T) storetest.ImportStore { return open(t) })
}
