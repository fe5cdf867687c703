package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// Webhooks, the event outbox, deliveries and expiry notice claims: rows
// only; store's rules decide what to write. Replicas are kept apart by the
// row locks and the claims' primary key, not by anything in this file.

var (
	webhookSelect   = `SELECT ` + strings.Join(store.WebhookColumns, ", ") + ` FROM webhooks `
	webhookUpsert   = `INSERT INTO webhooks (` + strings.Join(store.WebhookColumns, ", ") + `) VALUES (` + params(1, len(store.WebhookColumns)) + `) ON CONFLICT (org, name) DO UPDATE SET url = excluded.url, events = excluded.events, secret = excluded.secret, updated_at = excluded.updated_at`
	deliveryColumns = strings.Join(store.DeliveryColumns, ", ")
	deliveryInsert  = `INSERT INTO deliveries (` + strings.Join(store.DeliveryColumns[1:], ", ") + `) VALUES (` + params(1, len(store.DeliveryColumns)-1) + `)`
)

func scanWebhook(s store.Scanner) (store.Webhook, error) { return store.ScanWebhook(s, nil) }

func scanDelivery(s store.Scanner) (store.Delivery, error) { return store.ScanDelivery(s, nil) }

// Webhook reads one webhook outside a transaction.
func (d *db) Webhook(ctx context.Context, org, name string) (store.Webhook, error) {
	return getWebhook(ctx, d.pool, org, name, "")
}

// Webhook reads one webhook and locks its row until the transaction ends.
func (x tx) Webhook(ctx context.Context, org, name string) (store.Webhook, error) {
	return getWebhook(ctx, x.tx, org, name, "FOR UPDATE")
}

func getWebhook(ctx context.Context, q querier, org, name, lock string) (store.Webhook, error) {
	w, err := scanWebhook(q.QueryRow(ctx, webhookSelect+`WHERE org = $1 AND name = $2 `+lock, org, name))
	return w, store.ReadError(err, pgx.ErrNoRows, fmt.Sprintf("webhook %q of org %q", name, org))
}

// lister is what the pool and a transaction offer for queries of several
// rows.
type lister interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func (d *db) Webhooks(ctx context.Context, org string) ([]store.Webhook, error) {
	return listWebhooks(ctx, d.pool, org)
}

func (x tx) Webhooks(ctx context.Context, org string) ([]store.Webhook, error) {
	return listWebhooks(ctx, x.tx, org)
}

func listWebhooks(ctx context.Context, q lister, org string) ([]store.Webhook, error) {
	rows, err := q.Query(ctx, webhookSelect+`WHERE org = $1 ORDER BY name`, org)
	if err != nil {
		return nil, fmt.Errorf("reading webhooks: %w", err)
	}
	defer rows.Close()
	return store.Collect(rows, scanWebhook)
}

func (x tx) PutWebhook(ctx context.Context, w store.Webhook) error {
	if _, err := x.tx.Exec(ctx, webhookUpsert, store.Values(store.WebhookFields(&w), nil)...); err != nil {
		return fmt.Errorf("storing webhook: %w", err)
	}
	return nil
}

func (x tx) DeleteWebhook(ctx context.Context, org, name string) error {
	if _, err := x.tx.Exec(ctx, `DELETE FROM deliveries WHERE org = $1 AND webhook = $2`, org, name); err != nil {
		return fmt.Errorf("deleting deliveries: %w", err)
	}
	if _, err := x.tx.Exec(ctx, `DELETE FROM webhooks WHERE org = $1 AND name = $2`, org, name); err != nil {
		return fmt.Errorf("deleting webhook: %w", err)
	}
	return nil
}

func (x tx) InsertEvent(ctx context.Context, e store.OutboxEvent) error {
	if _, err := x.tx.Exec(ctx, `INSERT INTO events (id, org, type, at, body) VALUES ($1, $2, $3, $4, $5)`, e.ID, e.Org, e.Type, e.At, string(e.Body)); err != nil {
		return fmt.Errorf("storing event: %w", err)
	}
	return nil
}

func (x tx) InsertDelivery(ctx context.Context, d store.Delivery) error {
	if _, err := x.tx.Exec(ctx, deliveryInsert, store.Values(store.DeliveryFields(&d), nil)[1:]...); err != nil {
		return fmt.Errorf("storing delivery: %w", err)
	}
	return nil
}

func (x tx) PendingDeliveries(ctx context.Context, org, name string, limit int) (int, error) {
	var n int
	err := x.tx.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM deliveries WHERE org = $1 AND webhook = $2 AND next_attempt_at IS NOT NULL LIMIT $3) p`, org, name, limit).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting pending deliveries: %w", err)
	}
	return n, nil
}

// ClaimNotice inserts the claim; a replica racing for the same key waits
// for the first transaction and then finds the row there.
func (x tx) ClaimNotice(ctx context.Context, tokenID, threshold string, at time.Time) (bool, error) {
	tag, err := x.tx.Exec(ctx, `INSERT INTO expiry_notices (token_id, threshold, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, tokenID, threshold, at)
	if err != nil {
		return false, fmt.Errorf("claiming expiry notice: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

func (d *db) Deliveries(ctx context.Context, org, name string, limit int) ([]store.Delivery, error) {
	rows, err := d.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE org = $1 AND webhook = $2 ORDER BY id DESC LIMIT $3`, org, name, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, scanDelivery)
}

func (d *db) ExpiryCandidates(ctx context.Context, from, to time.Time, afterID string, limit int) ([]store.ExpiryCandidate, error) {
	rows, err := d.pool.Query(ctx, `SELECT `+tokenSelect+`,
		COALESCE((SELECT string_agg(threshold, ' ') FROM expiry_notices n WHERE n.token_id = tokens.id), '')
		FROM tokens WHERE kind = '' AND revoked_at IS NULL AND expires_at > $1 AND expires_at <= $2 AND id > $3 ORDER BY id LIMIT $4`,
		from, to, afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, func(s store.Scanner) (store.ExpiryCandidate, error) { return store.ScanExpiryCandidate(s, nil) })
}

// ClaimDeliveries leases due rows in one statement: FOR UPDATE SKIP LOCKED
// lets replicas claiming at the same moment take different rows instead of
// waiting for each other or taking the same ones.
//
// At most perOrg of an org, counting its leased ones: the candidates are
// ranked first (a window cannot be locked), then locked; two replicas
// claiming at once may each give an org its share.
func (d *db) ClaimDeliveries(ctx context.Context, now, until time.Time, limit, perOrg int) ([]store.DueDelivery, error) {
	rows, err := d.pool.Query(ctx, `UPDATE deliveries d SET claimed_until = $2
		FROM events e, webhooks w
		WHERE d.id IN (
			SELECT id FROM deliveries WHERE id IN (
				WITH busy AS (
					SELECT org, COUNT(*) AS n FROM deliveries WHERE next_attempt_at <= $1 AND claimed_until > $1 GROUP BY org
				), due AS (
					SELECT c.id, c.next_attempt_at, ROW_NUMBER() OVER (PARTITION BY c.org ORDER BY c.next_attempt_at, c.id) + COALESCE(b.n, 0) AS k
					FROM deliveries c LEFT JOIN busy b ON b.org = c.org WHERE c.next_attempt_at <= $1 AND c.claimed_until <= $1
				)
				SELECT id FROM due WHERE k <= $4 ORDER BY next_attempt_at, id LIMIT $3
			) AND next_attempt_at <= $1 AND claimed_until <= $1
			ORDER BY next_attempt_at, id FOR UPDATE SKIP LOCKED
		) AND e.id = d.event_id AND w.org = d.org AND w.name = d.webhook
		RETURNING d.`+strings.Join(store.DeliveryColumns, ", d.")+`, e.body, w.url, w.secret`, now, until, limit, perOrg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, scanDue)
}

// scanDue reads a delivery with its event body, URL and secret.
func scanDue(s store.Scanner) (store.DueDelivery, error) {
	var (
		dd     store.DueDelivery
		body   string
		secret string
	)
	d, err := store.ScanDelivery(s, nil, &body, &dd.URL, &secret)
	dd.Delivery, dd.Body, dd.Secret = d, []byte(body), store.WebhookSecret(secret)
	return dd, err
}

func (d *db) FinishDelivery(ctx context.Context, del store.Delivery, claimedUntil time.Time) (bool, error) {
	tag, err := d.pool.Exec(ctx, `UPDATE deliveries SET attempts = $2, last_status = $3, last_error = $4, next_attempt_at = $5, delivered_at = $6, failed_at = $7, claimed_until = $8
		WHERE id = $1 AND claimed_until = $9`,
		del.ID, del.Attempts, del.LastStatus, del.LastError, del.NextAttemptAt, del.DeliveredAt, del.FailedAt, del.ClaimedUntil, claimedUntil)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

func (d *db) PruneWebhookHistory(ctx context.Context, finishedBefore, noticedBefore time.Time) (int64, error) {
	var total int64
	err := d.write(ctx, func(t pgx.Tx) error {
		total = 0
		for _, q := range []struct {
			sql string
			at  time.Time
		}{
			{`DELETE FROM deliveries WHERE COALESCE(delivered_at, failed_at) < $1`, finishedBefore},
			{`DELETE FROM events WHERE at < $1 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)`, finishedBefore},
			{`DELETE FROM expiry_notices WHERE at < $1`, noticedBefore},
		} {
			tag, err := t.Exec(ctx, q.sql, q.at)
			if err != nil {
				return err
			}
			total += tag.RowsAffected()
		}
		return nil
	})
	return total, err
}
