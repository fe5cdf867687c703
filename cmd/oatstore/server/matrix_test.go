package server_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/server/servertest"
	"github.com/oatgate/oatgate/cmd/oatstore/store/sqlite"
)

// TestEscalationMatrix runs issue 15's matrix on SQLite; the postgres
// package runs it on PostgreSQL.
func TestEscalationMatrix(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "oatstore.db"))
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	servertest.EscalationMatrix(t, st)
}
