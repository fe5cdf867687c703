package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// Times are stored as unix milliseconds; millis and fromMillis are the one
// place that conversion lives.
func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func nullMillis(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: millis(*t), Valid: true}
}

func fromNullMillis(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMillis(n.Int64)
	return &t
}

// truncate rounds a token's times to what the database keeps, so that what
// a write returns equals what a later read returns.
func truncate(t store.Token) store.Token {
	t.CreatedAt = fromMillis(millis(t.CreatedAt))
	t.ExpiresAt = fromNullMillis(nullMillis(t.ExpiresAt))
	t.RevokedAt = fromNullMillis(nullMillis(t.RevokedAt))
	t.LastUsedAt = fromNullMillis(nullMillis(t.LastUsedAt))
	return t
}

const tokenColumns = `id, org, label, description, scopes, created_at, created_by, expires_at, active, revoked_at, last_used_at`

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface{ Scan(dest ...any) error }

func scanToken(s scanner) (store.Token, error) {
	var (
		t                         store.Token
		scopes                    string
		created                   int64
		expires, revoked, touched sql.NullInt64
	)
	err := s.Scan(&t.ID, &t.Org, &t.Label, &t.Description, &scopes, &created, &t.CreatedBy, &expires, &t.Active, &revoked, &touched)
	if err != nil {
		return store.Token{}, err
	}
	t.Scopes = strings.Fields(scopes)
	t.CreatedAt = fromMillis(created)
	t.ExpiresAt = fromNullMillis(expires)
	t.RevokedAt = fromNullMillis(revoked)
	t.LastUsedAt = fromNullMillis(touched)
	return t, nil
}

const orgColumns = `name, max_tokens, max_expiry_days, allow_never_expires, created_at, updated_at`

func scanOrg(s scanner) (store.Org, error) {
	var (
		o                store.Org
		created, updated int64
	)
	if err := s.Scan(&o.Name, &o.MaxTokens, &o.MaxExpiryDays, &o.AllowNeverExpires, &created, &updated); err != nil {
		return store.Org{}, err
	}
	o.CreatedAt = fromMillis(created)
	o.UpdatedAt = fromMillis(updated)
	return o, nil
}

// snapshot renders v for an audit entry's before/after column; nil stays
// NULL.
func snapshot(v any) (sql.NullString, error) {
	if v == nil {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return sql.NullString{}, fmt.Errorf("encoding audit snapshot: %w", err)
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

// record appends an audit entry inside tx.
func record(tx *sql.Tx, org string, ev store.Event, tokenID string, before, after any) error {
	b, err := snapshot(before)
	if err != nil {
		return err
	}
	a, err := snapshot(after)
	if err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO audit (org, at, actor, source_ip, action, token_id, before, after)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		org, millis(ev.At), ev.Actor, ev.SourceIP, ev.Action, tokenID, b, a)
	if err != nil {
		return fmt.Errorf("recording audit entry: %w", err)
	}
	return nil
}

// changed appends a row to the revocation feed inside tx.
func changed(tx *sql.Tx, tokenID string, at time.Time) error {
	if _, err := tx.Exec(`INSERT INTO token_changes (token_id, changed_at) VALUES (?, ?)`, tokenID, millis(at)); err != nil {
		return fmt.Errorf("appending to revocation feed: %w", err)
	}
	return nil
}
