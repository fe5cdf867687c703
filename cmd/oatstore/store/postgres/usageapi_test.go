package postgres_test

import (
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/server/servertest"
	"github.com/oatgate/oatgate/cmd/oatstore/store/postgres/pgtest"
)

// TestUsageAPI runs issue 16's store side over PostgreSQL.
func TestUsageAPI(t *testing.T) {
	servertest.UsageAPI(t, open(t, pgtest.NewDatabase(t)))
}

// BenchmarkIngestUsageReport is the store's ingest rate on PostgreSQL
// (see servertest.IngestBenchmark).
func BenchmarkIngestUsageReport(b *testing.B) {
	servertest.IngestBenchmark(b, open(b, pgtest.NewDatabase(b)))
}
