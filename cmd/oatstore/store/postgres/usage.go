package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// Usage reports: hourly counters, registry actions and applied batch ids,
// as rows; the rules are store.New's.

var (
	usageSelect    = `SELECT ` + strings.Join(store.UsageColumns, ", ") + ` FROM usage_hourly WHERE `
	usageInsert    = `INSERT INTO usage_hourly (` + strings.Join(store.UsageColumns, ", ") + `) VALUES (` + params(1, len(store.UsageColumns)) + `) ON CONFLICT ` + store.UsageUpsert()
	activitySelect = `SELECT ` + strings.Join(store.RegistryActivityColumns, ", ") + ` FROM registry_activity WHERE `
	activityInsert = `INSERT INTO registry_activity (` + strings.Join(store.RegistryActivityColumns[1:], ", ") + `) VALUES (` + params(1, len(store.RegistryActivityColumns)-1) + `)`
)

func dollar(n int) string { return fmt.Sprintf("$%d", n) }

func (d *db) UsageCounts(ctx context.Context, q store.UsageQuery, limit int) ([]storeapi.UsageCount, error) {
	where, args := q.Where(dollar)
	args = append(args, limit)
	rows, err := d.pool.Query(ctx, usageSelect+where+` ORDER BY hour, token_id, repository LIMIT `+dollar(len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, store.ScanUsage)
}

func (d *db) RegistryActivity(ctx context.Context, q store.RegistryQuery) ([]store.RegistryActivity, error) {
	where, args := q.Where(dollar, func(t time.Time) any { return store.Millis(t) })
	args = append(args, q.Limit)
	rows, err := d.pool.Query(ctx, activitySelect+where+` ORDER BY at DESC, id DESC LIMIT `+dollar(len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, func(row store.Scanner) (store.RegistryActivity, error) {
		return store.ScanRegistryActivity(row, nil)
	})
}

func (d *db) Prune(ctx context.Context, p store.PruneBefore) (store.Pruned, error) {
	var n store.Pruned
	err := d.write(ctx, func(t pgx.Tx) error {
		for _, step := range []struct {
			query string
			arg   any
			dst   *int64
		}{
			{`DELETE FROM usage_hourly WHERE hour < $1`, p.UsageHour, &n.Usage},
			{`DELETE FROM registry_activity WHERE at < $1`, p.Activity, &n.Activity},
			{`DELETE FROM usage_batches WHERE received_at < $1`, p.Batches, &n.Batches},
		} {
			tag, err := t.Exec(ctx, step.query, step.arg)
			if err != nil {
				return fmt.Errorf("pruning: %w", err)
			}
			*step.dst = tag.RowsAffected()
		}
		return nil
	})
	return n, err
}

// ClaimBatch inserts the id; a replica claiming the same id at once waits
// on the unique index until this transaction ends, then finds it taken.
func (x tx) ClaimBatch(ctx context.Context, id string, at time.Time) (bool, error) {
	tag, err := x.tx.Exec(ctx, `INSERT INTO usage_batches (id, received_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id, at)
	if err != nil {
		return false, fmt.Errorf("claiming usage batch: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// AddUsage sends the counts in one pipelined batch, in order; pgx
// prepares the statement once per connection.
func (x tx) AddUsage(ctx context.Context, counts []storeapi.UsageCount) error {
	b := &pgx.Batch{}
	for _, c := range counts {
		b.Queue(usageInsert, store.Values(store.UsageFields(&c), nil)...)
	}
	if err := x.tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("adding usage: %w", err)
	}
	return nil
}

func (x tx) RecordLastUses(ctx context.Context, uses []storeapi.LastUse) error {
	b := &pgx.Batch{}
	for _, u := range uses {
		// Every right-hand side reads the row as it was before the update.
		b.Queue(`UPDATE tokens SET
			last_used_ip = CASE WHEN last_reported_at IS NULL OR last_reported_at <= $3 THEN $1 ELSE last_used_ip END,
			last_user_agent = CASE WHEN last_reported_at IS NULL OR last_reported_at <= $3 THEN $2 ELSE last_user_agent END,
			last_reported_at = GREATEST(COALESCE(last_reported_at, $3), $3),
			last_used_at = GREATEST(COALESCE(last_used_at, $3), $3)
			WHERE id = $4 AND org = $5`, u.ClientIP, u.UserAgent, u.At, u.TokenID, u.Org)
	}
	if err := x.tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("recording last uses: %w", err)
	}
	return nil
}

func (x tx) AppendRegistryActivity(ctx context.Context, a store.RegistryActivity) error {
	if _, err := x.tx.Exec(ctx, activityInsert, store.Values(store.RegistryActivityFields(&a), nil)[1:]...); err != nil {
		return fmt.Errorf("recording registry activity: %w", err)
	}
	return nil
}
