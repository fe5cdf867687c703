// The rules of webhook configuration: one org's webhooks, bounded in
// number, each change audited in its transaction.

package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
)

func (r *rules) PutWebhook(ctx context.Context, org, name string, apply func(cur Webhook, exists bool) (Webhook, error), ev Event) (Webhook, bool, error) {
	var (
		out     Webhook
		created bool
	)
	err := r.b.Write(ctx, func(tx Tx) error {
		// The org lock queues every webhook change of the org, so the
		// count below cannot be overtaken by another replica.
		if _, err := tx.LockOrg(ctx, org); err != nil {
			return err
		}
		cur, err := tx.Webhook(ctx, org, name)
		exists := err == nil
		switch {
		case errors.Is(err, ErrNotFound):
			cur = Webhook{Org: org, Name: name}
		case err != nil:
			return err
		}
		if !exists {
			hooks, err := tx.Webhooks(ctx, org)
			if err != nil {
				return err
			}
			if len(hooks) >= MaxWebhooks {
				return Conflictf("org %q already has %d webhooks, the most it may have; delete one first", org, len(hooks))
			}
		}
		next, err := apply(cur, exists)
		if err != nil {
			return err
		}
		next.Org, next.Name = org, name
		next.Events = slices.Compact(slices.Sorted(slices.Values(next.Events)))
		next.UpdatedAt = Millis(ev.At)
		next.CreatedAt = next.UpdatedAt
		e := ev
		e.Action = ActionWebhookCreated
		var before any
		if exists {
			next.CreatedAt = cur.CreatedAt
			// A PUT that changes nothing writes nothing, as a token update.
			same := cur
			same.UpdatedAt = next.UpdatedAt
			if reflect.DeepEqual(same, next) {
				out = cur
				return nil
			}
			e.Action, before = ActionWebhookUpdated, cur
		}
		if next.Secret == "" {
			return Invalidf("webhook %q of org %q has no secret: give one", name, org)
		}
		if err := tx.PutWebhook(ctx, next); err != nil {
			return err
		}
		if err := audit(ctx, tx, org, e, "", before, next); err != nil {
			return err
		}
		out, created = next, !exists
		return nil
	})
	return out, created, err
}

func (r *rules) GetWebhook(ctx context.Context, org, name string) (Webhook, error) {
	return r.b.Webhook(ctx, org, name)
}

// ListWebhooks tells a missing org (ErrNotFound) from one without
// webhooks.
func (r *rules) ListWebhooks(ctx context.Context, org string) ([]Webhook, error) {
	if _, err := r.b.Org(ctx, org); err != nil {
		return nil, err
	}
	hooks, err := r.b.Webhooks(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("listing webhooks of %q: %w", org, err)
	}
	return hooks, nil
}

func (r *rules) DeleteWebhook(ctx context.Context, org, name string, ev Event) (Webhook, error) {
	var gone Webhook
	err := r.b.Write(ctx, func(tx Tx) error {
		cur, err := tx.Webhook(ctx, org, name)
		if err != nil {
			return err
		}
		if err := tx.DeleteWebhook(ctx, org, name); err != nil {
			return err
		}
		e := ev
		e.Action = ActionWebhookDeleted
		if err := audit(ctx, tx, org, e, "", cur, nil); err != nil {
			return err
		}
		gone = cur
		return nil
	})
	return gone, err
}

func (r *rules) TestWebhook(ctx context.Context, org, name string, ev Event) (string, error) {
	var id string
	err := r.b.Write(ctx, func(tx Tx) error {
		w, err := tx.Webhook(ctx, org, name)
		if err != nil {
			return err
		}
		e := ev
		e.Action = ActionWebhookTested
		if id, err = emitTo(ctx, tx, []Webhook{w}, EventBody{
			Type: EventWebhookTest, Org: org, At: Millis(ev.At),
			Data: EventData{Actor: ev.Actor, OnBehalfOf: ev.OnBehalfOf, Webhook: name},
		}); err != nil {
			return err
		}
		return audit(ctx, tx, org, e, "", nil, map[string]string{"webhook": name, "event_id": id})
	})
	return id, err
}

func (r *rules) Deliveries(ctx context.Context, org, name string, limit int) ([]Delivery, error) {
	if _, err := r.b.Webhook(ctx, org, name); err != nil {
		return nil, err
	}
	ds, err := r.b.Deliveries(ctx, org, name, limit)
	if err != nil {
		return nil, fmt.Errorf("reading deliveries of webhook %q of %q: %w", name, org, err)
	}
	return ds, nil
}
