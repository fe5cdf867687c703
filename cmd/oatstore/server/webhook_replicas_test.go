package server_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/server/servertest"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/store/sqlite"
)

// TestEachWebhookEventArrivesOnceFromTwoReplicas runs servertest's
// replicas on two Stores over one SQLite file; the postgres package runs
// it on PostgreSQL.
func TestEachWebhookEventArrivesOnceFromTwoReplicas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "oatstore.db")
	servertest.WebhookReplicas(t, func(t *testing.T) store.Store {
		st, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatalf("opening store: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}
