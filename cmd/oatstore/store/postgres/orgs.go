package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// orgLock is the advisory lock namespace for org names: two replicas
// creating the same org at once queue on it instead of one failing on the
// primary key.
const orgLock = 0x6f6f7267 // "oorg"

// The SELECT list and the upsert of PutOrg are built from store.OrgColumns,
// the order of orgValues and scanOrg.
var (
	orgColumns = strings.Join(store.OrgColumns, ", ")
	// orgUpsert overwrites every column but the name and creation time.
	orgUpsert = `INSERT INTO orgs (` + orgColumns + `) VALUES (` + params(1, len(store.OrgColumns)) + `)
		ON CONFLICT (name) DO UPDATE SET ` + store.OrgUpdates()
)

func orgValues(o store.Org) []any { return store.Values(store.OrgFields(&o), nil) }

func scanOrg(s store.Scanner) (store.Org, error) { return store.ScanOrg(s, nil) }

// Org reads an org outside a transaction.
func (d *db) Org(ctx context.Context, name string) (store.Org, error) {
	return getOrg(ctx, d.pool, name, "")
}

// Orgs reads every org, by name.
func (d *db) Orgs(ctx context.Context) ([]store.Org, error) {
	rows, err := d.pool.Query(ctx, `SELECT `+orgColumns+` FROM orgs ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, scanOrg)
}

// LockOrg takes the org name's advisory lock, which holds even before the
// org exists, then reads and locks its row.
func (x tx) LockOrg(ctx context.Context, name string) (store.Org, error) {
	if _, err := x.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, orgLock, name); err != nil {
		return store.Org{}, fmt.Errorf("locking org %q: %w", name, err)
	}
	return getOrg(ctx, x.tx, name, "FOR UPDATE")
}

// getOrg reads an org; lock is "" or a row-locking clause such as
// "FOR UPDATE".
func getOrg(ctx context.Context, q querier, name, lock string) (store.Org, error) {
	o, err := scanOrg(q.QueryRow(ctx, `SELECT `+orgColumns+` FROM orgs WHERE name = $1 `+lock, name))
	return o, store.ReadError(err, pgx.ErrNoRows, fmt.Sprintf("org %q", name))
}

// PutOrg inserts the org or overwrites every stored field but its name and
// creation time.
func (x tx) PutOrg(ctx context.Context, o store.Org) error {
	_, err := x.tx.Exec(ctx, orgUpsert, orgValues(o)...)
	if err != nil {
		return fmt.Errorf("writing org %q: %w", o.Name, err)
	}
	return nil
}

// querier is what *pgxpool.Pool and pgx.Tx have in common.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
