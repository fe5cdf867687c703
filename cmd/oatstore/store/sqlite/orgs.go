package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// The SELECT list and the upsert of PutOrg are built from store.OrgColumns,
// the order of orgValues and scanOrg.
var (
	orgColumns = strings.Join(store.OrgColumns, ", ")
	// orgUpsert overwrites every column but the name and creation time.
	orgUpsert = `INSERT INTO orgs (` + orgColumns + `) VALUES (` + strings.TrimSuffix(strings.Repeat("?, ", len(store.OrgColumns)), ", ") + `)
		ON CONFLICT (name) DO UPDATE SET ` + store.OrgUpdates()
)

func orgValues(o store.Org) []any { return store.Values(store.OrgFields(&o), toColumn) }

func scanOrg(s store.Scanner) (store.Org, error) { return store.ScanOrg(s, fromColumn) }

// Org reads an org outside a transaction.
func (d *db) Org(ctx context.Context, name string) (store.Org, error) {
	return getOrg(ctx, d.r, name)
}

// Orgs reads every org, by name.
func (d *db) Orgs(ctx context.Context) ([]store.Org, error) {
	rows, err := d.r.QueryContext(ctx, `SELECT `+orgColumns+` FROM orgs ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, scanOrg)
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
