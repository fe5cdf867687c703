package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// Usage reports: hourly counters, registry actions and applied batch ids,
// as rows; the rules are store.New's.

var (
	usageSelect    = `SELECT ` + strings.Join(store.UsageColumns, ", ") + ` FROM usage_hourly WHERE `
	usageInsert    = `INSERT INTO usage_hourly (` + strings.Join(store.UsageColumns, ", ") + `) VALUES (` + marks(len(store.UsageColumns)) + `) ON CONFLICT ` + store.UsageUpsert()
	activitySelect = `SELECT ` + strings.Join(store.RegistryActivityColumns, ", ") + ` FROM registry_activity WHERE `
	activityInsert = `INSERT INTO registry_activity (` + strings.Join(store.RegistryActivityColumns[1:], ", ") + `) VALUES (` + marks(len(store.RegistryActivityColumns)-1) + `)`
)

func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func (d *db) UsageCounts(ctx context.Context, q store.UsageQuery, limit int) ([]storeapi.UsageCount, error) {
	where, args := q.Where(func(int) string { return "?" })
	rows, err := d.r.QueryContext(ctx, usageSelect+where+` ORDER BY hour, token_id, repository LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, store.ScanUsage)
}

func (d *db) RegistryActivity(ctx context.Context, q store.RegistryQuery) ([]store.RegistryActivity, error) {
	where, args := q.Where(func(int) string { return "?" }, func(t time.Time) any { return millis(t) })
	rows, err := d.r.QueryContext(ctx, activitySelect+where+` ORDER BY at DESC, id DESC LIMIT ?`, append(args, q.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, func(row store.Scanner) (store.RegistryActivity, error) {
		return store.ScanRegistryActivity(row, fromColumn)
	})
}

func (d *db) Prune(ctx context.Context, p store.PruneBefore) (store.Pruned, error) {
	var n store.Pruned
	err := d.write(ctx, func(t *sql.Tx) error {
		for _, step := range []struct {
			query string
			arg   any
			dst   *int64
		}{
			{`DELETE FROM usage_hourly WHERE hour < ?`, p.UsageHour, &n.Usage},
			{`DELETE FROM registry_activity WHERE at < ?`, millis(p.Activity), &n.Activity},
			{`DELETE FROM usage_batches WHERE received_at < ?`, millis(p.Batches), &n.Batches},
		} {
			res, err := t.ExecContext(ctx, step.query, step.arg)
			if err != nil {
				return fmt.Errorf("pruning: %w", err)
			}
			if *step.dst, err = res.RowsAffected(); err != nil {
				return fmt.Errorf("pruning: %w", err)
			}
		}
		return nil
	})
	return n, err
}

func (x tx) ClaimBatch(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := x.tx.ExecContext(ctx, `INSERT INTO usage_batches (id, received_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`, id, millis(at))
	if err != nil {
		return false, fmt.Errorf("claiming usage batch: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claiming usage batch: %w", err)
	}
	return n == 1, nil
}

// AddUsage prepares its statement once for all counts: parsing the SQL
// was half the time of an ingest.
func (x tx) AddUsage(ctx context.Context, counts []storeapi.UsageCount) error {
	if len(counts) == 0 {
		return nil
	}
	stmt, err := x.tx.PrepareContext(ctx, usageInsert)
	if err != nil {
		return fmt.Errorf("preparing usage insert: %w", err)
	}
	defer stmt.Close()
	for _, c := range counts {
		if _, err := stmt.ExecContext(ctx, store.Values(store.UsageFields(&c), nil)...); err != nil {
			return fmt.Errorf("adding usage: %w", err)
		}
	}
	return nil
}

func (x tx) RecordLastUses(ctx context.Context, uses []storeapi.LastUse) error {
	if len(uses) == 0 {
		return nil
	}
	// Every right-hand side reads the row as it was before the update.
	stmt, err := x.tx.PrepareContext(ctx, `UPDATE tokens SET
		last_used_ip = CASE WHEN last_reported_at IS NULL OR last_reported_at <= ?1 THEN ?2 ELSE last_used_ip END,
		last_user_agent = CASE WHEN last_reported_at IS NULL OR last_reported_at <= ?1 THEN ?3 ELSE last_user_agent END,
		last_reported_at = CASE WHEN last_reported_at IS NULL OR last_reported_at < ?1 THEN ?1 ELSE last_reported_at END,
		last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < ?1 THEN ?1 ELSE last_used_at END
		WHERE id = ?4 AND org = ?5`)
	if err != nil {
		return fmt.Errorf("preparing last-use update: %w", err)
	}
	defer stmt.Close()
	for _, u := range uses {
		if _, err := stmt.ExecContext(ctx, millis(u.At), u.ClientIP, u.UserAgent, u.TokenID, u.Org); err != nil {
			return fmt.Errorf("recording last use of %q: %w", u.TokenID, err)
		}
	}
	return nil
}

func (x tx) AppendRegistryActivity(ctx context.Context, a store.RegistryActivity) error {
	if _, err := x.tx.ExecContext(ctx, activityInsert, store.Values(store.RegistryActivityFields(&a), toColumn)[1:]...); err != nil {
		return fmt.Errorf("recording registry activity: %w", err)
	}
	return nil
}
