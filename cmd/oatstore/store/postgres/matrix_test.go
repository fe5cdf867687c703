package postgres_test

import (
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/server/servertest"
	"github.com/oatgate/oatgate/cmd/oatstore/store/postgres/pgtest"
)

// TestEscalationMatrix runs issue 15's matrix over PostgreSQL, where the
// decisions made inside a transaction meet row locks of their own.
func TestEscalationMatrix(t *testing.T) {
	servertest.EscalationMatrix(t, open(t, pgtest.NewDatabase(t)))
}
