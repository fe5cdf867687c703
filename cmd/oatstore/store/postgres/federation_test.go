package postgres_test

import (
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/server/servertest"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/store/postgres/pgtest"
)

// TestFederation runs issue 14's store side over PostgreSQL.
func TestFederation(t *testing.T) {
	servertest.Federation(t, open(t, pgtest.NewDatabase(t)))
}

// TestFederatedReplicas: two oatstore servers on one PostgreSQL database
// give one token for one (org, JWT), whichever replica a gateway asks.
func TestFederatedReplicas(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	servertest.FederatedReplicas(t, func(t *testing.T) store.Store { return open(t, dsn) })
}
