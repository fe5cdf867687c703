package store

import (
	"context"
	"time"
)

// FederationBackend is what a Backend offers federation outside write
// transactions.
type FederationBackend interface {
	// Policy returns one policy of org, or an error matching ErrNotFound.
	Policy(ctx context.Context, org, name string) (Policy, error)
	// Policies returns every policy of org, by name.
	Policies(ctx context.Context, org string) ([]Policy, error)
	// PoliciesByIssuer returns every policy, of any org, whose issuer is
	// issuer, by org then name. It is the exchange's query: keep it fast.
	PoliciesByIssuer(ctx context.Context, issuer string) ([]Policy, error)
	// PurgeFederated deletes federated tokens that expired or were revoked
	// before before, at most limit of them, and returns how many it
	// deleted. Their audit entries stay.
	PurgeFederated(ctx context.Context, before time.Time, limit int) (int, error)
	// PurgeIDTokenExchanges deletes the exchange counts of ID tokens that
	// expired before before.
	PurgeIDTokenExchanges(ctx context.Context, before time.Time) error
}

// FederationTx is what a Tx offers federation inside a write transaction.
type FederationTx interface {
	// Policy reads one policy of org and locks it, or returns an error
	// matching ErrNotFound.
	Policy(ctx context.Context, org, name string) (Policy, error)
	// PutPolicy inserts the policy or overwrites it (but its creation
	// fields).
	PutPolicy(ctx context.Context, p Policy) error
	// DeletePolicy removes one policy of org.
	DeletePolicy(ctx context.Context, org, name string) error
	// PolicyTokens returns the federated tokens of org issued under policy
	// that are not revoked, locked.
	PolicyTokens(ctx context.Context, org, policy string) ([]Token, error)
	// CountActiveFederated counts the org's federated tokens that are
	// active, not revoked and not expired at now (federated tokens always
	// expire).
	CountActiveFederated(ctx context.Context, org string, now time.Time) (int, error)
	// TokenByHash reads the token whose hash is hash, or returns an error
	// matching ErrNotFound.
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	// IDTokenExchanges returns how many federated tokens the ID token of
	// hash got (0 when none), and holds that count against other writers
	// until the transaction ends.
	IDTokenExchanges(ctx context.Context, hash []byte) (int, error)
	// AddIDTokenExchange counts one more federated token for the ID token
	// of hash, which expires at expiry.
	AddIDTokenExchange(ctx context.Context, hash []byte, expiry time.Time) error
}
