package store

import (
	"context"
	"time"
)

// WebhookStore is the part of Store that keeps webhooks, their outbox of
// events and the deliveries of those events. Events are written in the
// transaction of the change that causes them, one delivery row per
// subscribed webhook, so that an event exists exactly when its change does.
type WebhookStore interface {
	// PutWebhook creates or replaces webhook name of org; apply receives
	// the current one (or exists=false) and returns the new one, inside
	// the write transaction. It reports whether the webhook was created.
	PutWebhook(ctx context.Context, org, name string, apply func(cur Webhook, exists bool) (Webhook, error), ev Event) (Webhook, bool, error)
	// GetWebhook returns one webhook, or ErrNotFound.
	GetWebhook(ctx context.Context, org, name string) (Webhook, error)
	// ListWebhooks returns the org's webhooks by name, or ErrNotFound when
	// the org does not exist.
	ListWebhooks(ctx context.Context, org string) ([]Webhook, error)
	// DeleteWebhook removes a webhook and its deliveries, pending ones
	// included.
	DeleteWebhook(ctx context.Context, org, name string, ev Event) (Webhook, error)
	// TestWebhook queues a webhook.test event for that webhook alone and
	// returns its id.
	TestWebhook(ctx context.Context, org, name string, ev Event) (string, error)
	// Deliveries returns up to limit deliveries of a webhook, newest first,
	// or ErrNotFound when the webhook does not exist.
	Deliveries(ctx context.Context, org, name string, limit int) ([]Delivery, error)

	// NotifyExpiry queues token.expiring and token.expired events that
	// are due at now and not yet claimed, and returns how many it queued.
	// Several replicas may run it at once: each (token, threshold) is
	// claimed once.
	NotifyExpiry(ctx context.Context, now time.Time) (int, error)
	// ClaimDeliveries leases up to limit due deliveries to the caller
	// until now+lease; no other replica gets them meanwhile. With perOrg
	// above 0, an org gets no more than perOrg, counting its deliveries
	// still leased (in flight, here or on another replica): one org's
	// backlog to a receiver that never answers cannot take every sender.
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit, perOrg int) ([]DueDelivery, error)
	// FinishDelivery records the outcome of an attempt at a claimed
	// delivery and schedules the next one under p. It returns the updated
	// delivery and false when the lease had been lost meanwhile (another
	// replica took the delivery over; nothing was recorded).
	FinishDelivery(ctx context.Context, d DueDelivery, o Outcome, p RetryPolicy) (Delivery, bool, error)
	// PruneWebhookHistory deletes what is no longer needed at now:
	// deliveries delivered or given up more than DeliveryHistory ago, the
	// events left without a delivery, and expiry notice claims too old to
	// matter. It returns how many rows it deleted.
	PruneWebhookHistory(ctx context.Context, now time.Time) (int64, error)
}

// WebhookBackend is what a Backend offers WebhookStore's rules outside a
// write transaction.
type WebhookBackend interface {
	// Webhook returns one webhook, secret included, or ErrNotFound.
	Webhook(ctx context.Context, org, name string) (Webhook, error)
	// Webhooks returns the org's webhooks by name.
	Webhooks(ctx context.Context, org string) ([]Webhook, error)
	// Deliveries returns up to limit deliveries of a webhook, newest first.
	Deliveries(ctx context.Context, org, name string, limit int) ([]Delivery, error)
	// ExpiryCandidates returns up to limit unrevoked org access tokens
	// with ids after afterID (in id order) that expire in (from, to], with
	// the thresholds already noticed for each. Federated tokens are left
	// out: a CI job's token lives minutes by design, and its end is no
	// news to anyone.
	ExpiryCandidates(ctx context.Context, from, to time.Time, afterID string, limit int) ([]ExpiryCandidate, error)
	// ClaimDeliveries sets claimed_until to until on up to limit rows whose
	// next_attempt_at and claimed_until are both at or before now, oldest
	// first, at most perOrg of an org counting its rows whose
	// claimed_until is after now, in one statement or transaction that
	// skips rows another replica is claiming, and returns them with their
	// webhook's URL and secret and the event body.
	ClaimDeliveries(ctx context.Context, now, until time.Time, limit, perOrg int) ([]DueDelivery, error)
	// FinishDelivery stores d's attempts, last status and error, next
	// attempt, delivered and failed times, and releases its lease, if its
	// claimed_until still equals claimedUntil. It reports whether it did.
	FinishDelivery(ctx context.Context, d Delivery, claimedUntil time.Time) (bool, error)
	// PruneWebhookHistory deletes deliveries delivered or failed before
	// finishedBefore, then events older than that with no delivery left,
	// and expiry notices claimed before noticedBefore, in one transaction.
	PruneWebhookHistory(ctx context.Context, finishedBefore, noticedBefore time.Time) (int64, error)
}

// WebhookTx is what a Tx offers WebhookStore's rules inside a write
// transaction.
type WebhookTx interface {
	// Webhook reads and locks one webhook, or returns ErrNotFound.
	Webhook(ctx context.Context, org, name string) (Webhook, error)
	// Webhooks returns the org's webhooks by name.
	Webhooks(ctx context.Context, org string) ([]Webhook, error)
	// PutWebhook inserts or overwrites a webhook.
	PutWebhook(ctx context.Context, w Webhook) error
	// DeleteWebhook removes a webhook and its delivery rows.
	DeleteWebhook(ctx context.Context, org, name string) error
	// InsertEvent stores an outbox event.
	InsertEvent(ctx context.Context, e OutboxEvent) error
	// InsertDelivery stores a delivery; its id is assigned by the database.
	InsertDelivery(ctx context.Context, d Delivery) error
	// PendingDeliveries counts the webhook's deliveries with a next
	// attempt (neither delivered nor given up), counting no further than
	// limit.
	PendingDeliveries(ctx context.Context, org, name string, limit int) (int, error)
	// ClaimNotice records that threshold of tokenID was handled and
	// reports whether this call did it (false: a row was already there,
	// written by another replica or an earlier scan).
	ClaimNotice(ctx context.Context, tokenID, threshold string, at time.Time) (bool, error)
}
