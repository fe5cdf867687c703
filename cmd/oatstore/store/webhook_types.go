package store

import (
	"encoding/json"
	"time"
)

// Webhook event types: what an org's webhook may subscribe to, and the
// type field of every body sent.
const (
	EventTokenExpiring     = "token.expiring"
	EventTokenExpired      = "token.expired"
	EventTokenInactiveUsed = "token.inactive_used"
	EventTokenCreated      = "token.created"
	EventTokenRevoked      = "token.revoked"
	// EventWebhookTest is sent by a test delivery to one webhook, whatever
	// it subscribes to; it cannot be subscribed to.
	EventWebhookTest = "webhook.test"
)

// EventTypes are the types a webhook may subscribe to, in documentation
// order.
var EventTypes = []string{EventTokenExpiring, EventTokenExpired, EventTokenInactiveUsed, EventTokenCreated, EventTokenRevoked}

// Audit actions of webhook management.
const (
	ActionWebhookCreated = "webhook.created"
	ActionWebhookUpdated = "webhook.updated"
	ActionWebhookDeleted = "webhook.deleted"
	ActionWebhookTested  = "webhook.tested"
)

// MaxPendingDeliveries bounds a webhook's deliveries neither delivered
// nor given up: an event beyond it is recorded as a delivery failed at
// once, which the deliveries list shows, rather than queued behind a
// backlog that a receiver which never answers would keep for a day.
const MaxPendingDeliveries = 1000

// MaxWebhooks bounds an org's webhooks: each one multiplies the delivery
// rows every event writes.
const MaxWebhooks = 20

// Webhook is where an org's events are POSTed. Its secret is write-only:
// never in an answer, an audit snapshot or a log.
type Webhook struct {
	// Org owns the webhook.
	Org string `json:"org"`
	// Name is unique in the org.
	Name string `json:"name"`
	// URL receives the POSTs.
	URL string `json:"url"`
	// Events are the subscribed event types, sorted.
	Events []string `json:"events"`
	// Secret keys the HMAC-SHA256 signature of every body. It is kept as
	// is, not hashed: the store must be able to sign with it.
	Secret WebhookSecret `json:"-"`
	// CreatedAt and UpdatedAt are set by the store.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Subscribes reports whether w wants events of type typ.
func (w Webhook) Subscribes(typ string) bool {
	for _, e := range w.Events {
		if e == typ {
			return true
		}
	}
	return false
}

// WebhookSecret is a webhook's signing secret. Every way of printing it
// prints a mask, so that a log line or an error built from a Webhook
// carries no secret.
type WebhookSecret string

const redacted = "[redacted]"

// String implements fmt.Stringer with a mask.
func (WebhookSecret) String() string { return redacted }

// GoString masks %#v too.
func (WebhookSecret) GoString() string { return redacted }

// MarshalText masks the secret in JSON and in zap's reflection encoder.
func (WebhookSecret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Reveal returns the secret itself, for signing only.
func (s WebhookSecret) Reveal() []byte { return []byte(s) }

// Delivery is one event on its way to one webhook, and what happened to it.
type Delivery struct {
	// ID orders deliveries; the newest has the highest.
	ID int64 `json:"id"`
	// Org and Webhook name the receiver.
	Org     string `json:"-"`
	Webhook string `json:"webhook"`
	// EventID is the id field of the body, and X-Oatstore-Event-Id.
	EventID   string `json:"event_id"`
	EventType string `json:"event_type"`
	// CreatedAt is when the event happened; GiveUpAfter counts from it.
	CreatedAt time.Time `json:"created_at"`
	// Attempts counts the POSTs made so far.
	Attempts int `json:"attempts"`
	// LastStatus is the HTTP status of the last attempt, 0 when none
	// answered.
	LastStatus int `json:"last_status"`
	// LastError says why the last attempt failed; empty after a success.
	LastError string `json:"last_error"`
	// NextAttemptAt is when the next attempt is due; nil once the delivery
	// succeeded or was given up.
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	// DeliveredAt is when a 2xx answered.
	DeliveredAt *time.Time `json:"delivered_at"`
	// FailedAt is when the delivery was given up.
	FailedAt *time.Time `json:"failed_at"`
	// ClaimedUntil is the lease of the replica sending it; the zero time
	// (unix 0) when none holds it.
	ClaimedUntil time.Time `json:"-"`
}

// State is "pending", "delivered" or "failed".
func (d Delivery) State() string {
	switch {
	case d.DeliveredAt != nil:
		return "delivered"
	case d.FailedAt != nil:
		return "failed"
	}
	return "pending"
}

// DueDelivery is a claimed delivery with what sending it needs.
type DueDelivery struct {
	Delivery
	URL    string
	Secret WebhookSecret
	Body   []byte
}

// OutboxEvent is an event as stored: its body is rendered once, in the
// transaction of the change that caused it, and sent byte for byte.
type OutboxEvent struct {
	ID   string
	Org  string
	Type string
	At   time.Time
	Body []byte
}

// EventBody is the JSON every webhook receives.
type EventBody struct {
	// ID is unique per event; receivers dedupe on it.
	ID string `json:"id"`
	// Type is one of the Event constants.
	Type string `json:"type"`
	Org  string `json:"org"`
	// At is when the event happened (not when this attempt was made).
	At time.Time `json:"at"`
	// Token is the token's metadata as the API shows it; null for a test.
	Token *Token `json:"token"`
	// Data holds what the type adds.
	Data EventData `json:"data"`
}

// EventData is the type-specific part of an event; fields a type does not
// use are omitted.
type EventData struct {
	// Actor and OnBehalfOf say who made a management change
	// (token.created, token.revoked, webhook.test).
	Actor      string `json:"actor,omitempty"`
	OnBehalfOf string `json:"on_behalf_of,omitempty"`
	// DaysBefore is the threshold of token.expiring: 30, 7 or 1.
	DaysBefore int `json:"days_before,omitempty"`
	// ExpiresAt is the token's expiry (token.expiring, token.expired).
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// ClientIP, UserAgent and Reason describe a presentation of an
	// inactive token (token.inactive_used); Reason is revoked, deactivated
	// or expired.
	ClientIP  string `json:"client_ip,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
	Reason    string `json:"reason,omitempty"`
	// Webhook names the webhook a test was sent to.
	Webhook string `json:"webhook,omitempty"`
}

// RetryPolicy bounds how a failing delivery is retried: after attempt n it
// waits Base·2^(n-1), at most Max, and gives up after MaxAttempts attempts
// or once GiveUpAfter has passed since the event.
type RetryPolicy struct {
	Base        time.Duration
	Max         time.Duration
	GiveUpAfter time.Duration
	MaxAttempts int
}

// Outcome is what one delivery attempt got.
type Outcome struct {
	// At is when the attempt ended.
	At time.Time
	// Status is the HTTP status, 0 when the receiver did not answer.
	Status int
	// Err says what went wrong (never holding the secret); empty for 2xx.
	Err string
}

// ExpiryCandidate is a token inside the notice window and the expiry
// thresholds already claimed for it.
type ExpiryCandidate struct {
	Token   Token
	Noticed []string
}

// snapshotEvent renders an event body.
func renderEvent(b EventBody) ([]byte, error) { return json.Marshal(b) }
