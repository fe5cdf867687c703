package postgres

import (
	"context"
	"fmt"
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

func (d *db) AuditEntries(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error) {
	where, args := q.Where(func(n int) string { return fmt.Sprintf("$%d", n) }, func(t time.Time) any { return store.Millis(t) })
	args = append(args, q.Limit)
	rows, err := d.pool.Query(ctx, `SELECT id, org, at, actor, on_behalf_of, source_ip, action, token_id, before, after FROM audit WHERE `+
		where+fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, func(row store.Scanner) (store.AuditEntry, error) {
		var (
			e             store.AuditEntry
			before, after []byte
		)
		err := row.Scan(&e.ID, &e.Org, &e.At, &e.Actor, &e.OnBehalfOf, &e.SourceIP, &e.Action, &e.TokenID, &before, &after)
		e.At = store.Millis(e.At)
		e.Before, e.After = store.RawOrNull(before, before != nil), store.RawOrNull(after, after != nil)
		return e, err
	})
}

func (x tx) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	_, err := x.tx.Exec(ctx, `INSERT INTO audit (org, at, actor, on_behalf_of, source_ip, action, token_id, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.Org, store.Millis(e.At), e.Actor, e.OnBehalfOf, e.SourceIP, e.Action, e.TokenID, nullJSON(e.Before), nullJSON(e.After))
	if err != nil {
		return fmt.Errorf("recording audit entry: %w", err)
	}
	return nil
}

// nullJSON stores a missing snapshot as NULL; pgx sends a string to a JSON
// column as its text.
func nullJSON(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}
