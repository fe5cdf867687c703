package server_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/server/servertest"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/store/sqlite"
)

// TestFederation runs issue 14's store side on SQLite; the postgres
// package runs it on PostgreSQL.
func TestFederation(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "oatstore.db"))
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	servertest.Federation(t, st)
}

// TestFederatedReplicas: two oatstore servers on one SQLite file give one
// token for one (org, JWT).
func TestFederatedReplicas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "oatstore.db")
	servertest.FederatedReplicas(t, func(t *testing.T) store.Store {
		st, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatalf("opening store: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}
