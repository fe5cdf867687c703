package postgres_test

import (
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/server/servertest"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/store/postgres/pgtest"
)

// TestEachWebhookEventArrivesOnceFromTwoReplicas runs two oatstore servers
// on one PostgreSQL database, both delivering and scanning for expiry:
// the receiver gets token.created, token.revoked, each token.expiring
// threshold and token.expired exactly once.
func TestEachWebhookEventArrivesOnceFromTwoReplicas(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	servertest.WebhookReplicas(t, func(t *testing.T) store.Store { return open(t, dsn) })
}
