// Package store holds oatstore's domain types, the Store interface the HTTP
// handlers speak, and the rules every Store keeps, written once: New puts
// them over a Backend, and the SQLite (one file) and PostgreSQL (several
// replicas) backends only read and write rows.
//
// A Store enforces what must hold under concurrency — the org's token limit,
// label uniqueness, "every change commits with its audit entry" — inside one
// write transaction. Request validation (label syntax, expiry rules, scope
// grammar) is the caller's job and happens before a Store is called.
package store

import (
	"context"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

// Store is the persistence the oatstore server needs. Every method that
// changes state records its audit entry, and for token changes a row in the
// revocation feed, in the same transaction as the change itself.
type Store interface {
	// PutOrg creates the org or updates its settings. The apply function
	// receives the current settings (or Defaults() with exists=false) and
	// returns the new ones; it runs inside the write transaction. PutOrg
	// reports whether the org was created.
	PutOrg(ctx context.Context, name string, apply func(cur Org, exists bool) (Org, error), ev Event) (Org, bool, error)
	// ListOrgs returns every org, by name.
	ListOrgs(ctx context.Context) ([]Org, error)
	// GetOrg returns the org, or ErrNotFound.
	GetOrg(ctx context.Context, name string) (Org, error)

	// CreateToken inserts the token that build returns, after checking in
	// the same transaction that the org exists (ErrNotFound), that its token
	// limit is not reached (a *LimitError, which matches ErrLimit) and that
	// the label is free (ErrConflict). build runs inside the transaction
	// with the org's current settings, so expiry rules see what is stored.
	CreateToken(ctx context.Context, org string, hash []byte, build func(o Org) (Token, error), ev Event) (Token, error)
	// GetToken returns one token of org, or ErrNotFound.
	GetToken(ctx context.Context, org, id string) (Token, error)
	// ListTokens returns every non-deleted token of org, oldest first, or
	// ErrNotFound when the org does not exist.
	ListTokens(ctx context.Context, org string) ([]Token, error)
	// UpdateToken loads the token, passes it (and its org's settings) to
	// apply, and stores what apply returns — all in one write transaction.
	// The action of ev names the change (ActionTokenUpdated, ...). When apply
	// changes nothing, nothing is written: no audit entry, no feed row.
	UpdateToken(ctx context.Context, org, id string, apply func(cur Token, o Org) (Token, error), ev Event) (before, after Token, err error)
	// DeleteToken removes the token for good (its audit trail stays).
	// check, unless nil, runs inside the transaction on the locked token
	// first, and its error (a refusal) cancels the delete: who may delete
	// depends on what the token holds at that moment.
	DeleteToken(ctx context.Context, org, id string, check func(cur Token) error, ev Event) (Token, error)

	// TokenByHash finds a token by the SHA-256 of its secret, or ErrNotFound.
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	// TouchLastUsed sets last_used_at to at for each id whose stored value is
	// missing or older than at minus minGap, in one transaction.
	TouchLastUsed(ctx context.Context, ids []string, at time.Time, minGap time.Duration) error

	// Changes returns the distinct ids of tokens changed after cursor (at
	// most limit rows of the feed) and the cursor to poll from next. With
	// cursor 0 it returns the current cursor and no ids.
	Changes(ctx context.Context, cursor int64, limit int) (next int64, ids []string, err error)
	// Audit returns audit entries of an org, newest first.
	Audit(ctx context.Context, q AuditQuery) (entries []AuditEntry, next int64, err error)

	// Federation: trust policies and the tokens issued under them (see
	// rules_federation.go).
	Federation
	// WebhookStore keeps webhooks and delivers the events of the changes
	// above (issue 16).
	WebhookStore
	// IngestUsage applies a gateway's usage batch once: a batch id applied
	// before changes nothing and reports Duplicate.
	IngestUsage(ctx context.Context, rep storeapi.UsageReport, at time.Time) (IngestResult, error)
	// Usage sums an org's usage by period (ErrNotFound for a missing org,
	// ErrInvalid for a bad period or too large an answer).
	Usage(ctx context.Context, q UsageQuery) ([]UsageRow, error)
	// Activity returns a page of an org's management and registry
	// activity, newest first, and the next page's cursor ("" on the last).
	Activity(ctx context.Context, q ActivityQuery) ([]Activity, string, error)
	// Prune deletes usage and registry activity past ret as of now.
	Prune(ctx context.Context, ret Retention, now time.Time) (Pruned, error)

	// Close releases the store.
	Close() error
}
