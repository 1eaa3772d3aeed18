package sqlite_test

import (
	"testing"

	"github.com/sentinel-auth/sentinel/store/storetest"
)

func BenchmarkWriteTuples(b *testing.B) {
	storetest.BenchWriteTuples(b, open(b))
}

func BenchmarkLoadSnapshot(b *testing.B) {
	storetest.BenchLoadSnapshot(b, open(b), 100_000)
}
