package postgres_test

import (
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/server/servertest"
	"github.com/oatgate/oatgate/cmd/oatstore/store/postgres/pgtest"
)

// TestFederation runs issue 14's store side over PostgreSQL.
func TestFederation(t *testing.T) {
	servertest.Federation(t, open(t, pgtest.NewDatabase(t)))
}
