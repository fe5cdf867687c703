package server_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/server/servertest"
	"github.com/oatgate/oatgate/cmd/oatstore/store/sqlite"
)

// BenchmarkIngestUsageReport is the store's ingest rate on SQLite (see
// servertest.IngestBenchmark); the postgres package measures PostgreSQL.
func BenchmarkIngestUsageReport(b *testing.B) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "oatstore.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	servertest.IngestBenchmark(b, st)
}
