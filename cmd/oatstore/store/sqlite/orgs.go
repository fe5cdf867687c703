package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// orgColumns are store.OrgColumns; orgValues and scanOrg follow their
// order, and the upsert of PutOrg is built from them.
var (
	orgColumns = strings.Join(store.OrgColumns, ", ")
	// orgUpsert overwrites every column but the name and creation time.
	orgUpsert = `INSERT INTO orgs (` + orgColumns + `) VALUES (` + strings.TrimSuffix(strings.Repeat("?, ", len(store.OrgColumns)), ", ") + `)
		ON CONFLICT (name) DO UPDATE SET ` + store.OrgUpdates()
)

func orgValues(o store.Org) []any {
	return []any{o.Name, o.MaxTokens, o.MaxExpiryDays, o.DefaultExpiryDays, o.AllowNeverExpires, millis(o.CreatedAt), millis(o.UpdatedAt)}
}

func scanOrg(s store.Scanner) (store.Org, error) {
	var (
		o                store.Org
		created, updated int64
	)
	if err := s.Scan(&o.Name, &o.MaxTokens, &o.MaxExpiryDays, &o.DefaultExpiryDays, &o.AllowNeverExpires, &created, &updated); err != nil {
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
	_, err := x.tx.ExecContext(ctx, orgUpsert, orgValues(o)...)
	if err != nil {
		return fmt.Errorf("writing org %q: %w", o.Name, err)
	}
	return nil
}
