// The rules of the event outbox: an event is rendered and stored, with one
// delivery row per webhook that subscribes to it, inside the transaction of
// the change that causes it — never after, so a change never commits
// without its event nor an event without its change.

package store

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

// eventIDPrefix starts every event id.
const eventIDPrefix = "evt_"

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newEventID returns "evt_" and 26 random base32 characters. A write
// transaction that is run again draws a new one, which is fine: only the
// committed run's id exists.
func newEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return eventIDPrefix + strings.ToLower(idEncoding.EncodeToString(b[:]))
}

// emit queues an event of org for every webhook subscribed to its type.
// With no subscriber it writes nothing.
func emit(ctx context.Context, tx Tx, b EventBody) error {
	hooks, err := tx.Webhooks(ctx, b.Org)
	if err != nil {
		return err
	}
	var to []Webhook
	for _, w := range hooks {
		if w.Subscribes(b.Type) {
			to = append(to, w)
		}
	}
	if len(to) == 0 {
		return nil
	}
	_, err = emitTo(ctx, tx, to, b)
	return err
}

// emitTo stores the event and a delivery for each of hooks, due at once,
// and returns the event's id.
func emitTo(ctx context.Context, tx Tx, hooks []Webhook, b EventBody) (string, error) {
	b.ID = newEventID()
	b.At = Millis(b.At)
	if b.Token != nil {
		t := b.Token.rounded()
		b.Token = &t
	}
	body, err := renderEvent(b)
	if err != nil {
		return "", err
	}
	if err := tx.InsertEvent(ctx, OutboxEvent{ID: b.ID, Org: b.Org, Type: b.Type, At: b.At, Body: body}); err != nil {
		return "", err
	}
	for _, w := range hooks {
		due := b.At
		d := Delivery{
			Org: w.Org, Webhook: w.Name, EventID: b.ID, EventType: b.Type,
			CreatedAt: b.At, NextAttemptAt: &due, ClaimedUntil: time.UnixMilli(0).UTC(),
		}
		pending, err := tx.PendingDeliveries(ctx, w.Org, w.Name, MaxPendingDeliveries)
		if err != nil {
			return "", err
		}
		if pending >= MaxPendingDeliveries {
			failed := b.At
			d.NextAttemptAt, d.FailedAt = nil, &failed
			d.LastError = fmt.Sprintf("skipped: %d deliveries of this webhook were pending; check its receiver", MaxPendingDeliveries)
		}
		if err := tx.InsertDelivery(ctx, d); err != nil {
			return "", err
		}
	}
	return b.ID, nil
}

// tokenEvent is the event of a management change of token t.
func tokenEvent(typ string, t Token, ev Event) EventBody {
	return EventBody{Type: typ, Org: t.Org, At: ev.At, Token: &t, Data: EventData{Actor: ev.Actor, OnBehalfOf: ev.OnBehalfOf}}
}

// InactiveUse is a presentation of a known token that does not grant
// access, as a gateway reports it.
type InactiveUse struct {
	// At is when the gateway saw it.
	At time.Time
	// Reason is what the gateway saw: revoked, deactivated or expired; ""
	// or unknown lets the store decide from the token as stored.
	Reason string
	// ClientIP and UserAgent are the client's.
	ClientIP  string
	UserAgent string
}

// inactiveUsedEvery is how often one token may cause a token.inactive_used
// event: a CI job retrying with a revoked token presents it thousands of
// times an hour, and its owner needs to hear it once, not thousands of
// times. Every presentation is in the activity trail all the same.
const inactiveUsedEvery = time.Hour

// emitInactiveUsed queues the token.inactive_used event of t, presented
// while revoked, deactivated or expired, inside the transaction that
// records the presentation, so a batch applied twice queues it once. At
// most one is queued per token per hour (the first presentation of the
// hour), claimed like an expiry notice so that replicas agree. It writes
// nothing when no reason applies or no webhook subscribes.
func emitInactiveUsed(ctx context.Context, tx Tx, t Token, u InactiveUse) error {
	reason := u.Reason
	if reason == "" || reason == storeapi.ReasonUnknown.String() {
		reason = inactiveReason(t, u.At)
	}
	if reason == "" {
		return nil
	}
	hooks, err := tx.Webhooks(ctx, t.Org)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(hooks, func(w Webhook) bool { return w.Subscribes(EventTokenInactiveUsed) }) {
		return nil
	}
	slot := "inactive_used@" + u.At.UTC().Truncate(inactiveUsedEvery).Format(time.RFC3339)
	won, err := tx.ClaimNotice(ctx, t.ID, slot, Millis(u.At))
	if err != nil || !won {
		return err
	}
	return emit(ctx, tx, EventBody{
		Type: EventTokenInactiveUsed, Org: t.Org, At: u.At, Token: &t,
		Data: EventData{ClientIP: u.ClientIP, UserAgent: u.UserAgent, Reason: reason},
	})
}

// inactiveReason says why t does not grant access at now: revoked,
// deactivated or expired; "" when it does.
func inactiveReason(t Token, now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case !t.Active:
		return "deactivated"
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return "expired"
	}
	return ""
}
