package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// New returns the Store that keeps oatstore's rules over backend b: every
// backend gets the same limit and label checks, the same "an update that
// changes nothing writes nothing", the same audit and feed rows, because
// they are written here and nowhere else.
func New(b Backend) Store { return &rules{b: b} }

// rules is the Store New returns.
type rules struct {
	b Backend
	// issues groups concurrent federated token issues into shared
	// transactions (see rules_issue.go).
	issues issueQueue
}

// Millis rounds t to what every backend keeps: UTC milliseconds. Writes
// return rounded values, so what a write returns equals what a read returns
// later.
func Millis(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()).UTC() }

func millisPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := Millis(*t)
	return &v
}

// rounded returns t with its times rounded by Millis.
func (t Token) rounded() Token {
	t.CreatedAt = Millis(t.CreatedAt)
	t.ExpiresAt = millisPtr(t.ExpiresAt)
	t.RevokedAt = millisPtr(t.RevokedAt)
	t.LastUsedAt = millisPtr(t.LastUsedAt)
	return t
}

func (r *rules) PutOrg(ctx context.Context, name string, apply func(cur Org, exists bool) (Org, error), ev Event) (Org, bool, error) {
	var (
		out     Org
		created bool
	)
	err := r.b.Write(ctx, func(tx Tx) error {
		cur, err := tx.LockOrg(ctx, name)
		exists := err == nil
		switch {
		case errors.Is(err, ErrNotFound):
			cur = Defaults(name)
		case err != nil:
			return err
		}
		next, err := apply(cur, exists)
		if err != nil {
			return err
		}
		next.Name = name
		next.UpdatedAt = Millis(ev.At)
		e := ev
		var before any
		if exists {
			next.CreatedAt = cur.CreatedAt
			e.Action = ActionOrgUpdated
			before = cur
		} else {
			next.CreatedAt = next.UpdatedAt
			e.Action = ActionOrgCreated
		}
		if err := tx.PutOrg(ctx, next); err != nil {
			return err
		}
		if err := audit(ctx, tx, name, e, "", before, next); err != nil {
			return err
		}
		out, created = next, !exists
		return nil
	})
	return out, created, err
}

func (r *rules) GetOrg(ctx context.Context, name string) (Org, error) {
	return r.b.Org(ctx, name)
}

func (r *rules) ListOrgs(ctx context.Context) ([]Org, error) {
	os, err := r.b.Orgs(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing orgs: %w", err)
	}
	return os, nil
}

func (r *rules) GetToken(ctx context.Context, org, id string) (Token, error) {
	return r.b.Token(ctx, org, id)
}

// ListTokens tells a missing org (ErrNotFound) from one without tokens.
func (r *rules) ListTokens(ctx context.Context, org string) ([]Token, error) {
	if _, err := r.b.Org(ctx, org); err != nil {
		return nil, err
	}
	ts, err := r.b.Tokens(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("listing tokens of %q: %w", org, err)
	}
	return ts, nil
}

func (r *rules) TokenByHash(ctx context.Context, hash []byte) (Token, error) {
	return r.b.TokenByHash(ctx, hash)
}

func (r *rules) TouchLastUsed(ctx context.Context, ids []string, at time.Time, minGap time.Duration) error {
	if len(ids) == 0 {
		return nil
	}
	return r.b.TouchLastUsed(ctx, ids, Millis(at), Millis(at.Add(-minGap)))
}

func (r *rules) Close() error { return r.b.Close() }
