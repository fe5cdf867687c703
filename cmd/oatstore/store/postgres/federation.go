package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// Trust policies and federated tokens: rows only; the rules are
// store.New's.

var (
	policySelect = `SELECT ` + strings.Join(store.PolicyColumns, ", ") + ` FROM federation_policies `
	policyUpsert = `INSERT INTO federation_policies (` + strings.Join(store.PolicyColumns, ", ") + `) VALUES (` +
		params(1, len(store.PolicyColumns)) + `) ON CONFLICT (org, name) DO UPDATE SET ` + store.PolicyUpdates()
)

func scanPolicy(s store.Scanner) (store.Policy, error) { return store.ScanPolicy(s, nil) }

func (d *db) Policy(ctx context.Context, org, name string) (store.Policy, error) {
	return getPolicy(ctx, d.pool, org, name, "")
}

// Policy reads a policy and locks its row until the transaction ends: an
// exchange issuing under it and its deletion queue behind each other.
func (x tx) Policy(ctx context.Context, org, name string) (store.Policy, error) {
	return getPolicy(ctx, x.tx, org, name, "FOR UPDATE")
}

func getPolicy(ctx context.Context, q querier, org, name, lock string) (store.Policy, error) {
	p, err := scanPolicy(q.QueryRow(ctx, policySelect+`WHERE org = $1 AND name = $2 `+lock, org, name))
	return p, store.ReadError(err, pgx.ErrNoRows, fmt.Sprintf("trust policy %q of org %q", name, org))
}

func (d *db) Policies(ctx context.Context, org string) ([]store.Policy, error) {
	return d.policies(ctx, policySelect+`WHERE org = $1 ORDER BY name`, org)
}

func (d *db) PoliciesByIssuer(ctx context.Context, issuer string) ([]store.Policy, error) {
	return d.policies(ctx, policySelect+`WHERE issuer = $1 ORDER BY org, name`, issuer)
}

func (d *db) policies(ctx context.Context, query, arg string) ([]store.Policy, error) {
	rows, err := d.pool.Query(ctx, query, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, scanPolicy)
}

func (x tx) PutPolicy(ctx context.Context, p store.Policy) error {
	if _, err := x.tx.Exec(ctx, policyUpsert, store.Values(store.PolicyFields(&p), nil)...); err != nil {
		return fmt.Errorf("writing trust policy %q of org %q: %w", p.Name, p.Org, err)
	}
	return nil
}

func (x tx) DeletePolicy(ctx context.Context, org, name string) error {
	if _, err := x.tx.Exec(ctx, `DELETE FROM federation_policies WHERE org = $1 AND name = $2`, org, name); err != nil {
		return fmt.Errorf("deleting trust policy %q of org %q: %w", name, org, err)
	}
	return nil
}

func (x tx) PolicyTokens(ctx context.Context, org, policy string) ([]store.Token, error) {
	rows, err := x.tx.Query(ctx, `SELECT `+tokenSelect+` FROM tokens WHERE org = $1 AND kind = '`+store.KindFederated+`' AND policy = $2 AND revoked_at IS NULL ORDER BY id FOR UPDATE`,
		org, policy)
	if err != nil {
		return nil, fmt.Errorf("reading tokens of trust policy %q: %w", policy, err)
	}
	defer rows.Close()
	return store.Collect(rows, scanToken)
}

func (x tx) CountActiveFederated(ctx context.Context, org string, now time.Time) (int, error) {
	var n int
	// The kind is written into the query, not bound, so that the planner
	// can prove the partial index tokens_federated_live applies.
	q := `SELECT COUNT(*) FROM tokens WHERE org = $1 AND kind = '` + store.KindFederated + `' AND active AND revoked_at IS NULL AND expires_at > $2`
	if err := x.tx.QueryRow(ctx, q, org, store.Millis(now)).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting active federated tokens of %q: %w", org, err)
	}
	return n, nil
}

func (x tx) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	t, err := scanToken(x.tx.QueryRow(ctx, `SELECT `+tokenSelect+` FROM tokens WHERE hash = $1`, hash))
	return t, store.ReadError(err, pgx.ErrNoRows, "token by hash")
}

// IDTokenExchanges creates the ID token's row if it has none, then reads
// and locks it: replicas issuing for one ID token at once (for two orgs,
// which lock no common org row) count one after the other, never both
// from the same number past the bound. A row created here and left at 0
// (the issue failed after) expires at once and is purged.
func (x tx) IDTokenExchanges(ctx context.Context, hash []byte) (int, error) {
	if _, err := x.tx.Exec(ctx, `INSERT INTO id_token_exchanges (hash, count, expires_at) VALUES ($1, 0, to_timestamp(0))
		ON CONFLICT (hash) DO NOTHING`, hash); err != nil {
		return 0, fmt.Errorf("reading an ID token's exchanges: %w", err)
	}
	var n int
	err := x.tx.QueryRow(ctx, `SELECT count FROM id_token_exchanges WHERE hash = $1 FOR UPDATE`, hash).Scan(&n)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("reading an ID token's exchanges: %w", err)
	}
	return n, nil
}

func (x tx) AddIDTokenExchange(ctx context.Context, hash []byte, expiry time.Time) error {
	if _, err := x.tx.Exec(ctx, `INSERT INTO id_token_exchanges (hash, count, expires_at) VALUES ($1, 1, $2)
		ON CONFLICT (hash) DO UPDATE SET count = id_token_exchanges.count + 1,
			expires_at = GREATEST(id_token_exchanges.expires_at, EXCLUDED.expires_at)`, hash, store.Millis(expiry)); err != nil {
		return fmt.Errorf("counting an ID token's exchange: %w", err)
	}
	return nil
}

func (d *db) PurgeIDTokenExchanges(ctx context.Context, before time.Time) error {
	return d.write(ctx, func(t pgx.Tx) error {
		_, err := t.Exec(ctx, `DELETE FROM id_token_exchanges WHERE expires_at < $1`, before)
		return err
	})
}

func (d *db) PurgeFederated(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int64
	err := d.write(ctx, func(t pgx.Tx) error {
		tag, err := t.Exec(ctx, `DELETE FROM tokens WHERE id IN (
			SELECT id FROM tokens WHERE kind = '`+store.KindFederated+`' AND (expires_at < $1 OR revoked_at < $1) LIMIT $2)`,
			before, limit)
		n = tag.RowsAffected()
		return err
	})
	return int(n), err
}
