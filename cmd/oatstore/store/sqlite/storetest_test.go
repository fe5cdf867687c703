package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/store/sqlite"
	"github.com/oatgate/oatgate/cmd/oatstore/store/storetest"
)

// TestStoreBehaviour runs the suite every backend must pass; two Stores on
// one file stand in for two replicas.
func TestStoreBehaviour(t *testing.T) {
	storetest.Run(t, func(t *testing.T) func(t *testing.T) store.Store {
		path := filepath.Join(t.TempDir(), "oatstore.db")
		return func(t *testing.T) store.Store {
			t.Helper()
			st, err := sqlite.Open(context.Background(), path)
			if err != nil {
				t.Fatalf("Open(%s): %v", path, err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}
	})
}
