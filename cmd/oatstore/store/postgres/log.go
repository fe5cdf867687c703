package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// The revocation feed and the audit log: rows appended in a write
// transaction and read in order.

// feedLock is the pg_advisory_xact_lock key held while a feed row is
// appended and until its transaction commits. Without it, a transaction
// that drew seq 10 could commit after one that drew seq 11, and a gateway
// that read 11 in between would never see 10.
const feedLock int64 = 0x6f61746665656421 // "oatfeed!"

func (d *db) FeedHead(ctx context.Context) (int64, error) {
	var last int64
	if err := d.pool.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM token_changes`).Scan(&last); err != nil {
		return 0, err
	}
	return last, nil
}

func (d *db) FeedAfter(ctx context.Context, cursor int64, limit int) ([]store.FeedRow, error) {
	rows, err := d.pool.Query(ctx, `SELECT seq, token_id FROM token_changes WHERE seq > $1 ORDER BY seq LIMIT $2`, cursor, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, store.ScanFeedRow)
}

func (x tx) AppendFeed(ctx context.Context, tokenID string, at time.Time) error {
	if _, err := x.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, feedLock); err != nil {
		return fmt.Errorf("taking the feed lock: %w", err)
	}
	if _, err := x.tx.Exec(ctx, `INSERT INTO token_changes (token_id, changed_at) VALUES ($1, $2)`, tokenID, store.Millis(at)); err != nil {
		return fmt.Errorf("appending to revocation feed: %w", err)
	}
	return nil
}

// auditSelect and auditInsert are built from store.AuditColumns; the
// database assigns the id.
var (
	auditSelect = `SELECT ` + strings.Join(store.AuditColumns, ", ") + ` FROM audit WHERE `
	auditInsert = `INSERT INTO audit (` + strings.Join(store.AuditColumns[1:], ", ") + `) VALUES (` + params(1, len(store.AuditColumns)-1) + `)`
)

func (d *db) AuditEntries(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error) {
	where, args := q.Where(func(n int) string { return fmt.Sprintf("$%d", n) }, func(t time.Time) any { return store.Millis(t) })
	args = append(args, q.Limit)
	rows, err := d.pool.Query(ctx, auditSelect+where+store.AuditOrder(q)+fmt.Sprintf(` LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, func(row store.Scanner) (store.AuditEntry, error) { return store.ScanAudit(row, nil) })
}

func (x tx) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	if _, err := x.tx.Exec(ctx, auditInsert, store.Values(store.AuditFields(&e), nil)[1:]...); err != nil {
		return fmt.Errorf("recording audit entry: %w", err)
	}
	return nil
}
