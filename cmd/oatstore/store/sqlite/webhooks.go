package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// Webhooks, the event outbox, deliveries and expiry notice claims: rows
// only; store's rules decide what to write.

var (
	webhookSelect   = `SELECT ` + strings.Join(store.WebhookColumns, ", ") + ` FROM webhooks `
	webhookUpsert   = `INSERT INTO webhooks (` + strings.Join(store.WebhookColumns, ", ") + `) VALUES (` + marks(len(store.WebhookColumns)) + `) ON CONFLICT (org, name) DO UPDATE SET url = excluded.url, events = excluded.events, secret = excluded.secret, updated_at = excluded.updated_at`
	deliveryColumns = strings.Join(store.DeliveryColumns, ", ")
	deliveryInsert  = `INSERT INTO deliveries (` + strings.Join(store.DeliveryColumns[1:], ", ") + `) VALUES (` + marks(len(store.DeliveryColumns)-1) + `)`
)

func scanWebhook(s store.Scanner) (store.Webhook, error) { return store.ScanWebhook(s, fromColumn) }

func scanDelivery(s store.Scanner) (store.Delivery, error) { return store.ScanDelivery(s, fromColumn) }

// Webhook reads one webhook outside a transaction.
func (d *db) Webhook(ctx context.Context, org, name string) (store.Webhook, error) {
	return getWebhook(ctx, d.r, org, name)
}

// Webhook reads one webhook inside the write transaction.
func (x tx) Webhook(ctx context.Context, org, name string) (store.Webhook, error) {
	return getWebhook(ctx, x.tx, org, name)
}

func getWebhook(ctx context.Context, q querier, org, name string) (store.Webhook, error) {
	w, err := scanWebhook(q.QueryRowContext(ctx, webhookSelect+`WHERE org = ? AND name = ?`, org, name))
	return w, store.ReadError(err, sql.ErrNoRows, fmt.Sprintf("webhook %q of org %q", name, org))
}

// lister is what *sql.DB and *sql.Tx offer for queries of several rows.
type lister interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (d *db) Webhooks(ctx context.Context, org string) ([]store.Webhook, error) {
	return listWebhooks(ctx, d.r, org)
}

func (x tx) Webhooks(ctx context.Context, org string) ([]store.Webhook, error) {
	return listWebhooks(ctx, x.tx, org)
}

func listWebhooks(ctx context.Context, q lister, org string) ([]store.Webhook, error) {
	rows, err := q.QueryContext(ctx, webhookSelect+`WHERE org = ? ORDER BY name`, org)
	if err != nil {
		return nil, fmt.Errorf("reading webhooks: %w", err)
	}
	defer rows.Close()
	return store.Collect(rows, scanWebhook)
}

func (x tx) PutWebhook(ctx context.Context, w store.Webhook) error {
	if _, err := x.tx.ExecContext(ctx, webhookUpsert, store.Values(store.WebhookFields(&w), toColumn)...); err != nil {
		return fmt.Errorf("storing webhook: %w", err)
	}
	return nil
}

func (x tx) DeleteWebhook(ctx context.Context, org, name string) error {
	if _, err := x.tx.ExecContext(ctx, `DELETE FROM deliveries WHERE org = ? AND webhook = ?`, org, name); err != nil {
		return fmt.Errorf("deleting deliveries: %w", err)
	}
	if _, err := x.tx.ExecContext(ctx, `DELETE FROM webhooks WHERE org = ? AND name = ?`, org, name); err != nil {
		return fmt.Errorf("deleting webhook: %w", err)
	}
	return nil
}

func (x tx) InsertEvent(ctx context.Context, e store.OutboxEvent) error {
	if _, err := x.tx.ExecContext(ctx, `INSERT INTO events (id, org, type, at, body) VALUES (?, ?, ?, ?, ?)`, e.ID, e.Org, e.Type, millis(e.At), string(e.Body)); err != nil {
		return fmt.Errorf("storing event: %w", err)
	}
	return nil
}

func (x tx) InsertDelivery(ctx context.Context, d store.Delivery) error {
	if _, err := x.tx.ExecContext(ctx, deliveryInsert, store.Values(store.DeliveryFields(&d), toColumn)[1:]...); err != nil {
		return fmt.Errorf("storing delivery: %w", err)
	}
	return nil
}

func (x tx) PendingDeliveries(ctx context.Context, org, name string, limit int) (int, error) {
	var n int
	err := x.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM deliveries WHERE org = ? AND webhook = ? AND next_attempt_at IS NOT NULL LIMIT ?)`, org, name, limit).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting pending deliveries: %w", err)
	}
	return n, nil
}

func (x tx) ClaimNotice(ctx context.Context, tokenID, threshold string, at time.Time) (bool, error) {
	res, err := x.tx.ExecContext(ctx, `INSERT INTO expiry_notices (token_id, threshold, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, tokenID, threshold, millis(at))
	if err != nil {
		return false, fmt.Errorf("claiming expiry notice: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (d *db) Deliveries(ctx context.Context, org, name string, limit int) ([]store.Delivery, error) {
	rows, err := d.r.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE org = ? AND webhook = ? ORDER BY id DESC LIMIT ?`, org, name, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, scanDelivery)
}

func (d *db) ExpiryCandidates(ctx context.Context, from, to time.Time, afterID string, limit int) ([]store.ExpiryCandidate, error) {
	rows, err := d.r.QueryContext(ctx, `SELECT `+tokenSelect+`,
		COALESCE((SELECT group_concat(threshold, ' ') FROM expiry_notices n WHERE n.token_id = tokens.id), '')
		FROM tokens WHERE kind = '' AND revoked_at IS NULL AND expires_at > ? AND expires_at <= ? AND id > ? ORDER BY id LIMIT ?`,
		millis(from), millis(to), afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, func(s store.Scanner) (store.ExpiryCandidate, error) { return store.ScanExpiryCandidate(s, fromColumn) })
}

// ClaimDeliveries leases in the one writer's transaction, which no other
// writer (another process on the file included) can interleave. A read
// first, on the readers, keeps a poll that finds nothing (most of them)
// from taking the write lock every second.
func (d *db) ClaimDeliveries(ctx context.Context, now, until time.Time, limit, perOrg int) ([]store.DueDelivery, error) {
	var due bool
	if err := d.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM deliveries WHERE next_attempt_at <= ? AND claimed_until <= ?)`, millis(now), millis(now)).Scan(&due); err != nil {
		return nil, fmt.Errorf("looking for due deliveries: %w", err)
	}
	if !due {
		return nil, nil
	}
	var out []store.DueDelivery
	err := d.write(ctx, func(t *sql.Tx) error {
		rows, err := t.QueryContext(ctx, `UPDATE deliveries SET claimed_until = ? WHERE id IN (`+claimable+`) RETURNING id`,
			millis(until), millis(now), millis(now), millis(now), millis(now), perOrg, limit)
		if err != nil {
			return err
		}
		ids, err := store.Collect(rows, func(s store.Scanner) (int64, error) {
			var id int64
			return id, s.Scan(&id)
		})
		rows.Close()
		if err != nil || len(ids) == 0 {
			return err
		}
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		rows, err = t.QueryContext(ctx, `SELECT d.`+strings.Join(store.DeliveryColumns, ", d.")+`, e.body, w.url, w.secret
			FROM deliveries d JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.org = d.org AND w.name = d.webhook
			WHERE d.id IN (`+marks(len(ids))+`) ORDER BY d.next_attempt_at, d.id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		out, err = store.Collect(rows, scanDue)
		return err
	})
	return out, err
}

// claimable selects the ids of up to limit due deliveries, oldest first,
// at most perOrg of an org counting its leased ones. Parameters: now four
// times, perOrg, limit. In flight means due and leased: the partial index
// on next_attempt_at finds both.
const claimable = `WITH busy AS (
		SELECT org, COUNT(*) AS n FROM deliveries WHERE next_attempt_at <= ? AND claimed_until > ? GROUP BY org
	), due AS (
		SELECT d.id, d.next_attempt_at, ROW_NUMBER() OVER (PARTITION BY d.org ORDER BY d.next_attempt_at, d.id) + COALESCE(b.n, 0) AS k
		FROM deliveries d LEFT JOIN busy b ON b.org = d.org WHERE d.next_attempt_at <= ? AND d.claimed_until <= ?
	)
	SELECT id FROM due WHERE k <= ? ORDER BY next_attempt_at, id LIMIT ?`

// scanDue reads a delivery with its event body, URL and secret.
func scanDue(s store.Scanner) (store.DueDelivery, error) {
	var (
		dd     store.DueDelivery
		body   string
		secret string
	)
	d, err := store.ScanDelivery(s, fromColumn, &body, &dd.URL, &secret)
	dd.Delivery, dd.Body, dd.Secret = d, []byte(body), store.WebhookSecret(secret)
	return dd, err
}

func (d *db) FinishDelivery(ctx context.Context, del store.Delivery, claimedUntil time.Time) (bool, error) {
	var n int64
	err := d.write(ctx, func(t *sql.Tx) error {
		res, err := t.ExecContext(ctx, `UPDATE deliveries SET attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ?, delivered_at = ?, failed_at = ?, claimed_until = ?
			WHERE id = ? AND claimed_until = ?`,
			del.Attempts, del.LastStatus, del.LastError, nullMillis(del.NextAttemptAt), nullMillis(del.DeliveredAt), nullMillis(del.FailedAt), millis(del.ClaimedUntil),
			del.ID, millis(claimedUntil))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n == 1, err
}

func (d *db) PruneWebhookHistory(ctx context.Context, finishedBefore, noticedBefore time.Time) (int64, error) {
	var total int64
	err := d.write(ctx, func(t *sql.Tx) error {
		total = 0
		for _, q := range []struct {
			sql string
			at  time.Time
		}{
			{`DELETE FROM deliveries WHERE COALESCE(delivered_at, failed_at) < ?`, finishedBefore},
			{`DELETE FROM events WHERE at < ? AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)`, finishedBefore},
			{`DELETE FROM expiry_notices WHERE at < ?`, noticedBefore},
		} {
			res, err := t.ExecContext(ctx, q.sql, millis(q.at))
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	return total, err
}
