package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// orgColumns are an org's stored fields, in the order of orgValues and
// scanOrg; the upsert in PutOrg is built from it.
const orgColumns = `name, max_tokens, max_expiry_days, allow_never_expires, created_at, updated_at`

func orgValues(o store.Org) []any {
	return []any{o.Name, o.MaxTokens, o.MaxExpiryDays, o.AllowNeverExpires, millis(o.CreatedAt), millis(o.UpdatedAt)}
}

func scanOrg(s store.Scanner) (store.Org, error) {
	var (
		o                store.Org
		created, updated int64
	)
	if err := s.Scan(&o.Name, &o.MaxTokens, &o.MaxExpiryDays, &o.AllowNeverExpires, &created, &updated); err != nil {
		return store.Org{}, err
	}
	o.CreatedAt = fromMillis(created)
	o.UpdatedAt = fromMillis(updated)
	return o, nil
}

// Org reads an org outside a transaction.
func (d *db) Org(ctx context.Context, name string) (store.Org, error) {
	return getOrg(ctx, d.r, name)
}

// LockOrg reads an org in the write transaction; being the only writer
// is the lock.
func (x tx) LockOrg(ctx context.Context, name string) (store.Org, error) {
	return getOrg(ctx, x.tx, name)
}

func getOrg(ctx context.Context, q querier, name string) (store.Org, error) {
	o, err := scanOrg(q.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs WHERE name = ?`, name))
	return o, store.ReadError(err, sql.ErrNoRows, fmt.Sprintf("org %q", name))
}

// PutOrg inserts the org or overwrites every stored field but its name and
// creation time.
func (x tx) PutOrg(ctx context.Context, o store.Org) error {
	_, err := x.tx.ExecContext(ctx, `INSERT INTO orgs (`+orgColumns+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET max_tokens = excluded.max_tokens, max_expiry_days = excluded.max_expiry_days,
			allow_never_expires = excluded.allow_never_expires, updated_at = excluded.updated_at`, orgValues(o)...)
	if err != nil {
		return fmt.Errorf("writing org %q: %w", o.Name, err)
	}
	return nil
}
