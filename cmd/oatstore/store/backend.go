package store

import (
	"context"
	"errors"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

// ErrLabelTaken is what a Tx returns when writing a token breaks the
// database's (org, label) uniqueness: another replica took the label after
// the check. The rules turn it into the ErrConflict a client reads.
var ErrLabelTaken = errors.New("label taken")

// ErrHashTaken is what a Tx returns when inserting a token breaks the
// uniqueness of its hash: another replica issued the federated token of
// the same (org, ID token) first. The rules read the winner's row.
var ErrHashTaken = errors.New("token hash taken")

// Backend is what one database offers the rules in New: plain reads, and
// write transactions made of row operations that check nothing. Every rule
// (limits, labels, what an update may change, audit and feed rows) lives
// in New's Store, once, above all backends.
type Backend interface {
	// Write runs fn in one write transaction and commits it when fn
	// returns nil. A backend may run fn again after a serialization
	// failure, so fn must not keep state between runs.
	Write(ctx context.Context, fn func(tx Tx) error) error

	// Org returns an org, or an error matching ErrNotFound.
	Org(ctx context.Context, name string) (Org, error)
	// Orgs returns every org, by name.
	Orgs(ctx context.Context) ([]Org, error)
	// Token returns one token of org, or an error matching ErrNotFound.
	Token(ctx context.Context, org, id string) (Token, error)
	// Tokens returns every token of org, oldest first (then by id).
	Tokens(ctx context.Context, org string) ([]Token, error)
	// TokenByHash returns the token whose secret has this SHA-256, or an
	// error matching ErrNotFound. It is introspection's query: keep it fast.
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	// TouchLastUsed sets last_used_at to at for each id whose stored value
	// is missing or not after staleBefore, in one transaction.
	TouchLastUsed(ctx context.Context, ids []string, at, staleBefore time.Time) error

	// FeedHead returns the highest sequence number of the revocation feed.
	FeedHead(ctx context.Context) (int64, error)
	// FeedAfter returns up to limit feed rows after cursor, in order.
	FeedAfter(ctx context.Context, cursor int64, limit int) ([]FeedRow, error)
	// AuditEntries returns up to q.Limit entries matching q (see
	// AuditQuery.Where), newest first: by id, or by time then id with
	// q.ByTime.
	AuditEntries(ctx context.Context, q AuditQuery) ([]AuditEntry, error)

	// Federation's reads and its purge.
	FederationBackend
	// WebhookBackend reads webhooks and deliveries and leases deliveries.
	WebhookBackend
	// UsageCounts returns up to limit hourly usage rows matching q (see
	// UsageQuery.Where), oldest hour first.
	UsageCounts(ctx context.Context, q UsageQuery, limit int) ([]storeapi.UsageCount, error)
	// RegistryActivity returns up to q.Limit registry actions matching q
	// (see RegistryQuery.Where), newest first (by time, then id).
	RegistryActivity(ctx context.Context, q RegistryQuery) ([]RegistryActivity, error)
	// Prune deletes usage hours, registry actions and batch ids older
	// than p's bounds, each table in its own statement.
	Prune(ctx context.Context, p PruneBefore) (Pruned, error)

	// Close releases the database.
	Close() error
}

// Tx is one write transaction of a Backend. Its reads see the
// transaction's own writes, and the rows they return stay locked against
// other writers (other replicas included) until the transaction ends.
type Tx interface {
	// LockOrg reads an org and holds its name against concurrent writers
	// until the transaction ends, even when it does not exist yet (then it
	// returns an error matching ErrNotFound).
	LockOrg(ctx context.Context, name string) (Org, error)
	// PutOrg inserts the org or overwrites its stored settings.
	PutOrg(ctx context.Context, o Org) error

	// Token reads one token of org and locks it, or returns an error
	// matching ErrNotFound.
	Token(ctx context.Context, org, id string) (Token, error)
	// CountTokens counts the org's stored org access tokens; federated
	// tokens are bounded apart (CountActiveFederated).
	CountTokens(ctx context.Context, org string) (int, error)
	// LabelTaken reports whether a token of org other than except has
	// label.
	LabelTaken(ctx context.Context, org, label, except string) (bool, error)
	// InsertToken stores a new token and the hash of its secret.
	InsertToken(ctx context.Context, t Token, hash []byte) error
	// UpdateToken overwrites the stored token with t's id; the hash and
	// last use stay.
	UpdateToken(ctx context.Context, t Token) error
	// DeleteToken removes the token with this id.
	DeleteToken(ctx context.Context, id string) error

	// AppendAudit stores an audit entry; its ID is assigned by the
	// database.
	AppendAudit(ctx context.Context, e AuditEntry) error
	// AppendFeed appends a revocation feed row for tokenID, so that it
	// becomes visible to pollers in sequence order.
	AppendFeed(ctx context.Context, tokenID string, at time.Time) error

	// Federation's writes.
	FederationTx
	// WebhookTx writes webhooks, outbox events, deliveries and expiry
	// notice claims.
	WebhookTx
	// ClaimBatch records a usage batch id as applied at at; false when it
	// was recorded before (by this or another replica: a concurrent claim
	// waits for the first to commit or roll back).
	ClaimBatch(ctx context.Context, id string, at time.Time) (bool, error)
	// AddUsage adds each count's counters to its hour's row, creating it,
	// and sets the row's label to the count's when it has one, in order.
	AddUsage(ctx context.Context, counts []storeapi.UsageCount) error
	// RecordLastUses sets each token's last_used_ip and last_user_agent to
	// its use's unless a later use was reported already (the tokens
	// table's last_reported_at, never read back), and its last_used_at to
	// the use's time unless that is later already; a token that does not
	// exist (deleted), or not in that org, is left alone.
	RecordLastUses(ctx context.Context, uses []storeapi.LastUse) error
	// AppendRegistryActivity stores a registry action; its ID is assigned
	// by the database.
	AppendRegistryActivity(ctx context.Context, a RegistryActivity) error
}

// FeedRow is one row of the revocation feed.
type FeedRow struct {
	Seq     int64
	TokenID string
}
