package postgres_test

import (
	"testing"

	"github.com/sentinel-auth/sentinel/store/postgres/pgtest"
	"github.com/sentinel-auth/sentinel/store/storetest"
)

func BenchmarkWriteTuples(b *testing.B) {
	storetest.BenchWriteTuples(b, open(b, pgtest.URL(b)))
}

func BenchmarkLoadSnapshot(b *testing.B) {
	storetest.BenchLoadSnapshot(b, open(b, pgtest.URL(b)), 100_000)
}
