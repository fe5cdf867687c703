package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// Trust policies and federated tokens: rows only; the rules are
// store.New's.

var (
	policySelect = `SELECT ` + strings.Join(store.PolicyColumns, ", ") + ` FROM federation_policies `
	policyUpsert = `INSERT INTO federation_policies (` + strings.Join(store.PolicyColumns, ", ") + `) VALUES (` +
		strings.TrimSuffix(strings.Repeat("?, ", len(store.PolicyColumns)), ", ") + `)
		ON CONFLICT (org, name) DO UPDATE SET ` + store.PolicyUpdates()
)

func scanPolicy(s store.Scanner) (store.Policy, error) { return store.ScanPolicy(s, fromColumn) }

func (d *db) Policy(ctx context.Context, org, name string) (store.Policy, error) {
	return getPolicy(ctx, d.r, org, name)
}

// Policy reads a policy in the write transaction; being the only writer
// is the lock.
func (x tx) Policy(ctx context.Context, org, name string) (store.Policy, error) {
	p, err := scanPolicy(x.stmt(ctx, x.d.issue.policy).QueryRowContext(ctx, org, name))
	return p, store.ReadError(err, sql.ErrNoRows, fmt.Sprintf("trust policy %q of org %q", name, org))
}

func getPolicy(ctx context.Context, q querier, org, name string) (store.Policy, error) {
	p, err := scanPolicy(q.QueryRowContext(ctx, policySelect+`WHERE org = ? AND name = ?`, org, name))
	return p, store.ReadError(err, sql.ErrNoRows, fmt.Sprintf("trust policy %q of org %q", name, org))
}

func (d *db) Policies(ctx context.Context, org string) ([]store.Policy, error) {
	return d.policies(ctx, policySelect+`WHERE org = ? ORDER BY name`, org)
}

func (d *db) PoliciesByIssuer(ctx context.Context, issuer string) ([]store.Policy, error) {
	return d.policies(ctx, policySelect+`WHERE issuer = ? ORDER BY org, name`, issuer)
}

func (d *db) policies(ctx context.Context, query string, arg string) ([]store.Policy, error) {
	rows, err := d.r.QueryContext(ctx, query, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, scanPolicy)
}

func (x tx) PutPolicy(ctx context.Context, p store.Policy) error {
	if _, err := x.tx.ExecContext(ctx, policyUpsert, store.Values(store.PolicyFields(&p), toColumn)...); err != nil {
		return fmt.Errorf("writing trust policy %q of org %q: %w", p.Name, p.Org, err)
	}
	return nil
}

func (x tx) DeletePolicy(ctx context.Context, org, name string) error {
	if _, err := x.tx.ExecContext(ctx, `DELETE FROM federation_policies WHERE org = ? AND name = ?`, org, name); err != nil {
		return fmt.Errorf("deleting trust policy %q of org %q: %w", name, org, err)
	}
	return nil
}

func (x tx) PolicyTokens(ctx context.Context, org, policy string) ([]store.Token, error) {
	rows, err := x.tx.QueryContext(ctx, `SELECT `+tokenSelect+` FROM tokens WHERE org = ? AND kind = '`+store.KindFederated+`' AND policy = ? AND revoked_at IS NULL ORDER BY id`,
		org, policy)
	if err != nil {
		return nil, fmt.Errorf("reading tokens of trust policy %q: %w", policy, err)
	}
	defer rows.Close()
	return store.Collect(rows, scanToken)
}

func (x tx) CountActiveFederated(ctx context.Context, org string, now time.Time) (int, error) {
	var n int
	if err := x.stmt(ctx, x.d.issue.countLive).QueryRowContext(ctx, org, millis(now)).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting active federated tokens of %q: %w", org, err)
	}
	return n, nil
}

func (x tx) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	t, err := scanToken(x.stmt(ctx, x.d.issue.tokenByHash).QueryRowContext(ctx, hash))
	return t, store.ReadError(err, sql.ErrNoRows, "token by hash")
}

func (x tx) IDTokenExchanges(ctx context.Context, hash []byte) (int, error) {
	var n int
	err := x.tx.QueryRowContext(ctx, `SELECT count FROM id_token_exchanges WHERE hash = ?`, hash).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("reading an ID token's exchanges: %w", err)
	}
	return n, nil
}

func (x tx) AddIDTokenExchange(ctx context.Context, hash []byte, expiry time.Time) error {
	if _, err := x.tx.ExecContext(ctx, `INSERT INTO id_token_exchanges (hash, count, expires_at) VALUES (?, 1, ?)
		ON CONFLICT (hash) DO UPDATE SET count = count + 1`, hash, millis(expiry)); err != nil {
		return fmt.Errorf("counting an ID token's exchange: %w", err)
	}
	return nil
}

func (d *db) PurgeIDTokenExchanges(ctx context.Context, before time.Time) error {
	return d.write(ctx, func(t *sql.Tx) error {
		_, err := t.ExecContext(ctx, `DELETE FROM id_token_exchanges WHERE expires_at < ?`, millis(before))
		return err
	})
}

func (d *db) PurgeFederated(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int64
	err := d.write(ctx, func(t *sql.Tx) error {
		res, err := t.ExecContext(ctx, `DELETE FROM tokens WHERE id IN (
			SELECT id FROM tokens WHERE kind = '`+store.KindFederated+`' AND (expires_at < ? OR revoked_at < ?) LIMIT ?)`,
			millis(before), millis(before), limit)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
