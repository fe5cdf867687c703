package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// CreateToken inserts a token, enforcing the org's limit and label
// uniqueness in the same transaction; see store.Store.
func (s *Store) CreateToken(ctx context.Context, org string, hash []byte, build func(store.Org) (store.Token, error), ev store.Event) (store.Token, error) {
	var t store.Token
	err := s.write(ctx, func(tx *sql.Tx) error {
		o, err := orgInTx(ctx, tx, org)
		if err != nil {
			return err
		}
		if t, err = build(o); err != nil {
			return err
		}
		t.Org = org
		t = truncate(t)
		// Every non-deleted token counts, revoked ones included, as Docker
		// Hub counts them: deleting is what frees a slot.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tokens WHERE org = ?`, t.Org).Scan(&n); err != nil {
			return fmt.Errorf("counting tokens of %q: %w", t.Org, err)
		}
		if n >= o.MaxTokens {
			return &store.LimitError{Org: t.Org, Count: n, Max: o.MaxTokens}
		}
		if err := labelFree(ctx, tx, t.Org, t.Label, ""); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO tokens (id, org, label, description, scopes, hash, created_at, created_by, expires_at, active, revoked_at, last_used_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.Org, t.Label, t.Description, strings.Join(t.Scopes, " "), hash, millis(t.CreatedAt), t.CreatedBy,
			nullMillis(t.ExpiresAt), t.Active, nullMillis(t.RevokedAt), nullMillis(t.LastUsedAt))
		if err != nil {
			return fmt.Errorf("inserting token: %w", err)
		}
		return record(tx, t.Org, ev, t.ID, nil, t)
	})
	if err != nil {
		return store.Token{}, err
	}
	return t, nil
}

// labelFree returns ErrConflict when another token (not except) of org
// already has label.
func labelFree(ctx context.Context, tx *sql.Tx, org, label, except string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM tokens WHERE org = ? AND label = ? AND id != ?`, org, label, except).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("checking label: %w", err)
	}
	return store.Conflictf("org %q already has a token labelled %q; pick another label or delete that token", org, label)
}

// GetToken returns one token; see store.Store.
func (s *Store) GetToken(ctx context.Context, org, id string) (store.Token, error) {
	return getToken(ctx, s.r, org, id)
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getToken(ctx context.Context, q querier, org, id string) (store.Token, error) {
	t, err := scanToken(q.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE org = ? AND id = ?`, org, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Token{}, fmt.Errorf("token %q of org %q: %w", id, org, store.ErrNotFound)
	}
	if err != nil {
		return store.Token{}, fmt.Errorf("reading token %q: %w", id, err)
	}
	return t, nil
}

// ListTokens returns an org's tokens; see store.Store.
func (s *Store) ListTokens(ctx context.Context, org string) ([]store.Token, error) {
	if _, err := s.GetOrg(ctx, org); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE org = ? ORDER BY created_at, id`, org)
	if err != nil {
		return nil, fmt.Errorf("listing tokens of %q: %w", org, err)
	}
	defer rows.Close()
	out := []store.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("listing tokens of %q: %w", org, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing tokens of %q: %w", org, err)
	}
	return out, nil
}

// UpdateToken applies a change to a token in one transaction; see
// store.Store.
func (s *Store) UpdateToken(ctx context.Context, org, id string, apply func(cur store.Token, o store.Org) (store.Token, error), ev store.Event) (store.Token, store.Token, error) {
	var before, after store.Token
	err := s.write(ctx, func(tx *sql.Tx) error {
		o, err := orgInTx(ctx, tx, org)
		if err != nil {
			return err
		}
		cur, err := getToken(ctx, tx, org, id)
		if err != nil {
			return err
		}
		next, err := apply(cur, o)
		if err != nil {
			return err
		}
		next = truncate(next)
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
		_, err = tx.ExecContext(ctx, `UPDATE tokens SET label = ?, description = ?, scopes = ?, expires_at = ?, active = ?, revoked_at = ? WHERE id = ?`,
			next.Label, next.Description, strings.Join(next.Scopes, " "), nullMillis(next.ExpiresAt), next.Active, nullMillis(next.RevokedAt), id)
		if err != nil {
			return fmt.Errorf("updating token %q: %w", id, err)
		}
		// Every change is a feed entry, not only narrowing ones: a gateway
		// that evicts and re-introspects is never wrong, one that keeps a
		// stale label or scope might be.
		if err := changed(tx, id, ev.At); err != nil {
			return err
		}
		if err := record(tx, org, ev, id, cur, next); err != nil {
			return err
		}
		before, after = cur, next
		return nil
	})
	return before, after, err
}

// DeleteToken removes a token for good; see store.Store.
func (s *Store) DeleteToken(ctx context.Context, org, id string, ev store.Event) (store.Token, error) {
	var gone store.Token
	err := s.write(ctx, func(tx *sql.Tx) error {
		cur, err := getToken(ctx, tx, org, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE id = ?`, id); err != nil {
			return fmt.Errorf("deleting token %q: %w", id, err)
		}
		if err := changed(tx, id, ev.At); err != nil {
			return err
		}
		if err := record(tx, org, ev, id, cur, nil); err != nil {
			return err
		}
		gone = cur
		return nil
	})
	return gone, err
}

// TokenByHash finds a token by its secret's SHA-256; see store.Store.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	t, err := scanToken(s.byHash.QueryRowContext(ctx, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Token{}, store.ErrNotFound
	}
	if err != nil {
		return store.Token{}, fmt.Errorf("looking up token: %w", err)
	}
	return t, nil
}

// TouchLastUsed records use of tokens, at most once per minGap each; see
// store.Store.
func (s *Store) TouchLastUsed(ctx context.Context, ids []string, at time.Time, minGap time.Duration) error {
	if len(ids) == 0 {
		return nil
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`)
		if err != nil {
			return fmt.Errorf("preparing last-used update: %w", err)
		}
		defer stmt.Close()
		for _, id := range ids {
			if _, err := stmt.ExecContext(ctx, millis(at), id, millis(at.Add(-minGap))); err != nil {
				return fmt.Errorf("updating last use of %q: %w", id, err)
			}
		}
		return nil
	})
}
