package store

import (
	"context"
	"errors"
	"reflect"
)

func (r *rules) CreateToken(ctx context.Context, org string, hash []byte, build func(o Org) (Token, error), ev Event) (Token, error) {
	var t Token
	err := r.b.Write(ctx, func(tx Tx) error {
		// Locking the org queues every create of this org, on every
		// replica, so the count below cannot be overtaken.
		o, err := tx.LockOrg(ctx, org)
		if err != nil {
			return err
		}
		if t, err = build(o); err != nil {
			return err
		}
		t.Org = org
		t = t.rounded()
		// Every non-deleted token counts, revoked ones included, as Docker
		// Hub counts them: deleting is what frees a slot.
		n, err := tx.CountTokens(ctx, org)
		if err != nil {
			return err
		}
		if n >= o.MaxTokens {
			return &LimitError{Org: org, Count: n, Max: o.MaxTokens}
		}
		if err := labelFree(ctx, tx, org, t.Label, ""); err != nil {
			return err
		}
		if err := tx.InsertToken(ctx, t, hash); err != nil {
			return labelTakenOr(err, org, t.Label)
		}
		if err := audit(ctx, tx, org, ev, t.ID, nil, t); err != nil {
			return err
		}
		return emit(ctx, tx, tokenEvent(EventTokenCreated, t, ev))
	})
	if err != nil {
		return Token{}, err
	}
	return t, nil
}

func (r *rules) UpdateToken(ctx context.Context, org, id string, apply func(cur Token, o Org) (Token, error), ev Event) (Token, Token, error) {
	var before, after Token
	err := r.b.Write(ctx, func(tx Tx) error {
		o, err := tx.LockOrg(ctx, org)
		if err != nil {
			return err
		}
		// The token is locked too: a concurrent revoke on another replica
		// waits, so apply always sees the latest state.
		cur, err := tx.Token(ctx, org, id)
		if err != nil {
			return err
		}
		next, err := apply(cur, o)
		if err != nil {
			return err
		}
		next = next.rounded()
		// Identity and history are not the caller's to change.
		next.ID, next.Org, next.CreatedAt, next.CreatedBy, next.LastUsedAt = cur.ID, cur.Org, cur.CreatedAt, cur.CreatedBy, cur.LastUsedAt
		if reflect.DeepEqual(cur, next) {
			before, after = cur, cur
			return nil
		}
		if next.Label != cur.Label {
			if err := labelFree(ctx, tx, org, next.Label, id); err != nil {
				return err
			}
		}
		if err := tx.UpdateToken(ctx, next); err != nil {
			return labelTakenOr(err, org, next.Label)
		}
		// Every change is a feed entry, not only narrowing ones: a gateway
		// that evicts and re-introspects is never wrong, one that keeps a
		// stale label or scope might be.
		if err := tx.AppendFeed(ctx, id, ev.At); err != nil {
			return err
		}
		if err := audit(ctx, tx, org, ev, id, cur, next); err != nil {
			return err
		}
		// A federated token's lifecycle is no webhook event (see
		// DeletePolicy): a CI job's, minted per job and gone in minutes.
		if cur.RevokedAt == nil && next.RevokedAt != nil && next.Kind != KindFederated {
			if err := emit(ctx, tx, tokenEvent(EventTokenRevoked, next, ev)); err != nil {
				return err
			}
		}
		before, after = cur, next
		return nil
	})
	return before, after, err
}

func (r *rules) DeleteToken(ctx context.Context, org, id string, check func(cur Token) error, ev Event) (Token, error) {
	var gone Token
	err := r.b.Write(ctx, func(tx Tx) error {
		cur, err := tx.Token(ctx, org, id)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(cur); err != nil {
				return err
			}
		}
		if err := tx.DeleteToken(ctx, id); err != nil {
			return err
		}
		if err := tx.AppendFeed(ctx, id, ev.At); err != nil {
			return err
		}
		if err := audit(ctx, tx, org, ev, id, cur, nil); err != nil {
			return err
		}
		gone = cur
		return nil
	})
	return gone, err
}

// labelFree returns ErrConflict when another token (not except) of org
// already has label.
func labelFree(ctx context.Context, tx Tx, org, label, except string) error {
	taken, err := tx.LabelTaken(ctx, org, label, except)
	if err != nil {
		return err
	}
	if taken {
		return labelTaken(org, label)
	}
	return nil
}

// labelTakenOr reports a write that lost a label race to another replica
// as the conflict the check before it would have reported.
func labelTakenOr(err error, org, label string) error {
	if errors.Is(err, ErrLabelTaken) {
		return labelTaken(org, label)
	}
	return err
}

func labelTaken(org, label string) error {
	return Conflictf("org %q already has a token labelled %q; pick another label or delete that token", org, label)
}

// audit appends the audit entry of a change inside tx. before and after
// are the org or token around the change; nil is none.
func audit(ctx context.Context, tx Tx, org string, ev Event, tokenID string, before, after any) error {
	b, err := snapshot(before)
	if err != nil {
		return err
	}
	a, err := snapshot(after)
	if err != nil {
		return err
	}
	return tx.AppendAudit(ctx, AuditEntry{
		Org: org, At: Millis(ev.At), Actor: ev.Actor, OnBehalfOf: ev.OnBehalfOf, SourceIP: ev.SourceIP,
		Action: ev.Action, TokenID: tokenID, Before: b, After: a,
	})
}
