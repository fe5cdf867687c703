// The rules of expiry notices: token.expiring 30, 7 and 1 days before a
// token expires and token.expired when it does, each once per token, with
// any number of replicas scanning.

package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// expiryThreshold is one notice: its name in the claims table and how
// long before the expiry it is due.
type expiryThreshold struct {
	name   string
	before time.Duration
	days   int
}

const day = 24 * time.Hour

// expiryThresholds are in the order they fall due.
var expiryThresholds = []expiryThreshold{
	{"30d", 30 * day, 30},
	{"7d", 7 * day, 7},
	{"1d", 1 * day, 1},
	{"expired", 0, 0},
}

// expiryLookback is how long after its expiry a token still gets its
// token.expired event when no scan ran in time (a store down for a day);
// a token that expired before that, or before webhooks existed, stays
// quiet rather than surprising a receiver with old news.
const expiryLookback = 7 * day

// expiryScanPage is how many candidates one read returns.
const expiryScanPage = 500

// dueNotice decides which notice t gets at now, given those already
// claimed, and which earlier ones it supersedes.
//
// The rule: a threshold counts only if the token existed when it fell due
// (a token created with 5 days left never gets the 30- or 7-day notice,
// only the 1-day one); of the thresholds that count and are due, only the
// latest is sent — when scans were missed, a token that went from 8 days
// left to expired gets token.expired, not a stale "7 days left" first —
// and the earlier ones are claimed silently so that they are never sent
// later. It returns ok=false when nothing is left to send.
func dueNotice(t Token, noticed []string, now time.Time) (send expiryThreshold, skip []expiryThreshold, ok bool) {
	if t.ExpiresAt == nil || t.RevokedAt != nil {
		return expiryThreshold{}, nil, false
	}
	done := map[string]bool{}
	for _, n := range noticed {
		done[n] = true
	}
	var due []expiryThreshold
	for _, th := range expiryThresholds {
		at := t.ExpiresAt.Add(-th.before)
		if now.Before(at) || t.CreatedAt.After(at) {
			continue
		}
		due = append(due, th)
	}
	if len(due) == 0 || done[due[len(due)-1].name] {
		return expiryThreshold{}, nil, false
	}
	for _, th := range due[:len(due)-1] {
		if !done[th.name] {
			skip = append(skip, th)
		}
	}
	return due[len(due)-1], skip, true
}

func (r *rules) NotifyExpiry(ctx context.Context, now time.Time) (int, error) {
	now = Millis(now)
	sent := 0
	after := ""
	for {
		cands, err := r.b.ExpiryCandidates(ctx, now.Add(-expiryLookback), now.Add(expiryThresholds[0].before), after, expiryScanPage)
		if err != nil {
			return sent, fmt.Errorf("reading tokens near expiry: %w", err)
		}
		for _, c := range cands {
			after = c.Token.ID
			if _, _, ok := dueNotice(c.Token, c.Noticed, now); !ok {
				continue
			}
			n, err := r.notify(ctx, c.Token.Org, c.Token.ID, now)
			if err != nil {
				return sent, err
			}
			sent += n
		}
		if len(cands) < expiryScanPage {
			return sent, nil
		}
	}
}

// notify decides again on the locked token, claims what is due and queues
// the event when this replica's claim is the one that counted.
func (r *rules) notify(ctx context.Context, org, id string, now time.Time) (int, error) {
	sent := 0
	err := r.b.Write(ctx, func(tx Tx) error {
		sent = 0
		t, err := tx.Token(ctx, org, id)
		if errors.Is(err, ErrNotFound) {
			return nil // deleted since the read
		}
		if err != nil {
			return err
		}
		// Claims already made are learnt from the claims themselves: a
		// claim that finds its row taken says another replica was first.
		send, skip, ok := dueNotice(t, nil, now)
		if !ok {
			return nil
		}
		for _, th := range skip {
			if _, err := tx.ClaimNotice(ctx, id, th.name, now); err != nil {
				return err
			}
		}
		won, err := tx.ClaimNotice(ctx, id, send.name, now)
		if err != nil || !won {
			return err
		}
		b := EventBody{Type: EventTokenExpired, Org: org, At: now, Token: &t, Data: EventData{ExpiresAt: t.ExpiresAt}}
		if send.days > 0 {
			b.Type, b.Data.DaysBefore = EventTokenExpiring, send.days
		}
		sent = 1
		return emit(ctx, tx, b)
	})
	return sent, err
}
