package server_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/server/servertest"
	"github.com/oatgate/oatgate/cmd/oatstore/store/sqlite"
)

// TestUsageAPI runs issue 16's store side on SQLite; the postgres package
// runs it on PostgreSQL.
func TestUsageAPI(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "oatstore.db"))
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	servertest.UsageAPI(t, st)
}
