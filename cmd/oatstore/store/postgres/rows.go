package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// Times are kept to the millisecond, as the SQLite backend keeps them, so
// that both backends return the same values and what a write returns equals
// what a later read returns.
func ms(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()).UTC() }

func msPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ms(*t)
	return &v
}

// truncate rounds a token's times to what the database keeps.
func truncate(t store.Token) store.Token {
	t.CreatedAt = ms(t.CreatedAt)
	t.ExpiresAt = msPtr(t.ExpiresAt)
	t.RevokedAt = msPtr(t.RevokedAt)
	t.LastUsedAt = msPtr(t.LastUsedAt)
	return t
}

const tokenColumns = `id, org, label, description, scopes, created_at, created_by, expires_at, active, revoked_at, last_used_at`

func scanToken(row pgx.Row) (store.Token, error) {
	var (
		t      store.Token
		scopes string
	)
	err := row.Scan(&t.ID, &t.Org, &t.Label, &t.Description, &scopes, &t.CreatedAt, &t.CreatedBy, &t.ExpiresAt, &t.Active, &t.RevokedAt, &t.LastUsedAt)
	if err != nil {
		return store.Token{}, err
	}
	t.Scopes = strings.Fields(scopes)
	// pgx returns local times; the store speaks UTC.
	return truncate(t), nil
}

const orgColumns = `name, max_tokens, max_expiry_days, allow_never_expires, created_at, updated_at`

func scanOrg(row pgx.Row) (store.Org, error) {
	var o store.Org
	if err := row.Scan(&o.Name, &o.MaxTokens, &o.MaxExpiryDays, &o.AllowNeverExpires, &o.CreatedAt, &o.UpdatedAt); err != nil {
		return store.Org{}, err
	}
	o.CreatedAt, o.UpdatedAt = ms(o.CreatedAt), ms(o.UpdatedAt)
	return o, nil
}

// snapshot renders v for an audit entry's before/after column; nil stays
// NULL.
func snapshot(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding audit snapshot: %w", err)
	}
	return string(b), nil
}

// record appends an audit entry inside tx.
func record(ctx context.Context, tx pgx.Tx, org string, ev store.Event, tokenID string, before, after any) error {
	b, err := snapshot(before)
	if err != nil {
		return err
	}
	a, err := snapshot(after)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO audit (org, at, actor, source_ip, action, token_id, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		org, ms(ev.At), ev.Actor, ev.SourceIP, ev.Action, tokenID, b, a)
	if err != nil {
		return fmt.Errorf("recording audit entry: %w", err)
	}
	return nil
}

// feedLock is the pg_advisory_xact_lock key held while a feed row is
// appended and until its transaction commits. Without it, a transaction
// that drew seq 10 could commit after one that drew seq 11, and a gateway
// that read 11 in between would never see 10.
const feedLock int64 = 0x6f61746665656421 // "oatfeed!"

// changed appends a row to the revocation feed inside tx.
func changed(ctx context.Context, tx pgx.Tx, tokenID string, at time.Time) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, feedLock); err != nil {
		return fmt.Errorf("taking the feed lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO token_changes (token_id, changed_at) VALUES ($1, $2)`, tokenID, ms(at)); err != nil {
		return fmt.Errorf("appending to revocation feed: %w", err)
	}
	return nil
}
