package sqlite

import (
	"context"
	"database/sql"
	"fmt"
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

func (d *db) AuditEntries(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error) {
	where, args := q.Where(func(int) string { return "?" }, func(t time.Time) any { return millis(t) })
	rows, err := d.r.QueryContext(ctx, `SELECT id, org, at, actor, on_behalf_of, source_ip, action, token_id, before, after FROM audit WHERE `+
		where+` ORDER BY id DESC LIMIT ?`, append(args, q.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, func(row store.Scanner) (store.AuditEntry, error) {
		var (
			e             store.AuditEntry
			at            int64
			before, after sql.NullString
		)
		err := row.Scan(&e.ID, &e.Org, &at, &e.Actor, &e.OnBehalfOf, &e.SourceIP, &e.Action, &e.TokenID, &before, &after)
		e.At = fromMillis(at)
		e.Before = store.RawOrNull([]byte(before.String), before.Valid)
		e.After = store.RawOrNull([]byte(after.String), after.Valid)
		return e, err
	})
}

func (x tx) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	_, err := x.tx.ExecContext(ctx, `INSERT INTO audit (org, at, actor, on_behalf_of, source_ip, action, token_id, before, after)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Org, millis(e.At), e.Actor, e.OnBehalfOf, e.SourceIP, e.Action, e.TokenID, nullJSON(e.Before), nullJSON(e.After))
	if err != nil {
		return fmt.Errorf("recording audit entry: %w", err)
	}
	return nil
}

// nullJSON stores a missing snapshot as NULL.
func nullJSON(b []byte) sql.NullString {
	return sql.NullString{String: string(b), Valid: b != nil}
}
