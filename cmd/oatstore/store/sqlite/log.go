package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// The revocation feed and the audit log: rows appended in a write
// transaction and read in order.

func (d *db) FeedHead(ctx context.Context) (int64, error) {
	var last int64
	if err := d.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM token_changes`).Scan(&last); err != nil {
		return 0, err
	}
	return last, nil
}

func (d *db) FeedAfter(ctx context.Context, cursor int64, limit int) ([]store.FeedRow, error) {
	rows, err := d.r.QueryContext(ctx, `SELECT seq, token_id FROM token_changes WHERE seq > ? ORDER BY seq LIMIT ?`, cursor, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, store.ScanFeedRow)
}

func (x tx) AppendFeed(ctx context.Context, tokenID string, at time.Time) error {
	if _, err := x.tx.ExecContext(ctx, `INSERT INTO token_changes (token_id, changed_at) VALUES (?, ?)`, tokenID, millis(at)); err != nil {
		return fmt.Errorf("appending to revocation feed: %w", err)
	}
	return nil
}

// auditSelect and auditInsert are built from store.AuditColumns; the
// database assigns the id.
var (
	auditSelect = `SELECT ` + strings.Join(store.AuditColumns, ", ") + ` FROM audit WHERE `
	auditInsert = `INSERT INTO audit (` + strings.Join(store.AuditColumns[1:], ", ") + `) VALUES (` +
		strings.TrimSuffix(strings.Repeat("?, ", len(store.AuditColumns)-1), ", ") + `)`
)

func (d *db) AuditEntries(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error) {
	where, args := q.Where(func(int) string { return "?" }, func(t time.Time) any { return millis(t) })
	rows, err := d.r.QueryContext(ctx, auditSelect+where+store.AuditOrder(q)+` LIMIT ?`, append(args, q.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, func(row store.Scanner) (store.AuditEntry, error) { return store.ScanAudit(row, fromColumn) })
}

func (x tx) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	if _, err := x.tx.ExecContext(ctx, auditInsert, store.Values(store.AuditFields(&e), toColumn)[1:]...); err != nil {
		return fmt.Errorf("recording audit entry: %w", err)
	}
	return nil
}
