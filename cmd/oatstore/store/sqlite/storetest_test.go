package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/store/storetest"
)

// TestStoreBehaviour runs the suite every backend must pass; two Stores on
// one file stand in for two replicas.
func TestStoreBehaviour(t *testing.T) {
	storetest.Run(t, func(t *testing.T) func(t *testing.T) store.Store {
		path := filepath.Join(t.TempDir(), "oatstore.db")
		return func(t *testing.T) store.Store { return open(t, path) }
	})
}
