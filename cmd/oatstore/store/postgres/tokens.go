package postgres

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// CreateToken inserts a token, enforcing the org's limit and label
// uniqueness in the same transaction; see store.Store.
func (s *Store) CreateToken(ctx context.Context, org string, hash []byte, build func(store.Org) (store.Token, error), ev store.Event) (store.Token, error) {
	var t store.Token
	err := s.write(ctx, func(tx pgx.Tx) error {
		// Locking the org row queues every create of this org, on every
		// replica, so the count below cannot be overtaken.
		o, err := getOrg(ctx, tx, org, "FOR UPDATE")
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
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM tokens WHERE org = $1`, t.Org).Scan(&n); err != nil {
			return fmt.Errorf("counting tokens of %q: %w", t.Org, err)
		}
		if n >= o.MaxTokens {
			return &store.LimitError{Org: t.Org, Count: n, Max: o.MaxTokens}
		}
		if err := labelFree(ctx, tx, t.Org, t.Label, ""); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO tokens (id, org, label, description, scopes, hash, created_at, created_by, expires_at, active, revoked_at, last_used_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			t.ID, t.Org, t.Label, t.Description, strings.Join(t.Scopes, " "), hash, t.CreatedAt, t.CreatedBy,
			t.ExpiresAt, t.Active, t.RevokedAt, t.LastUsedAt)
		if err != nil {
			return writeError(err, t.Org, t.Label, "inserting token")
		}
		return record(ctx, tx, t.Org, ev, t.ID, nil, t)
	})
	if err != nil {
		return store.Token{}, err
	}
	return t, nil
}

// labelFree returns ErrConflict when another token (not except) of org
// already has label.
func labelFree(ctx context.Context, tx pgx.Tx, org, label, except string) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM tokens WHERE org = $1 AND label = $2 AND id != $3`, org, label, except).Scan(&one)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("checking label: %w", err)
	}
	return labelTaken(org, label)
}

func labelTaken(org, label string) error {
	return store.Conflictf("org %q already has a token labelled %q; pick another label or delete that token", org, label)
}

// writeError maps a unique violation that a concurrent writer on another
// replica caused after our checks to the conflict the checks would have
// reported.
func writeError(err error, org, label, doing string) error {
	if pgCode(err) == codeUniqueViolation {
		if pgConstraint(err) == "tokens_org_label" {
			return labelTaken(org, label)
		}
		return store.Conflictf("%s: the token already exists", doing)
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// GetToken returns one token; see store.Store.
func (s *Store) GetToken(ctx context.Context, org, id string) (store.Token, error) {
	return getToken(ctx, s.pool, org, id, "")
}

// getToken reads a token; lock is "" or a row-locking clause.
func getToken(ctx context.Context, q querier, org, id, lock string) (store.Token, error) {
	t, err := scanToken(q.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE org = $1 AND id = $2 `+lock, org, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE org = $1 ORDER BY created_at, id`, org)
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
	err := s.write(ctx, func(tx pgx.Tx) error {
		o, err := getOrg(ctx, tx, org, "")
		if err != nil {
			return err
		}
		// The row lock makes a concurrent revoke on another replica wait,
		// so apply always sees the latest state.
		cur, err := getToken(ctx, tx, org, id, "FOR UPDATE")
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
		_, err = tx.Exec(ctx, `UPDATE tokens SET label = $1, description = $2, scopes = $3, expires_at = $4, active = $5, revoked_at = $6 WHERE id = $7`,
			next.Label, next.Description, strings.Join(next.Scopes, " "), next.ExpiresAt, next.Active, next.RevokedAt, id)
		if err != nil {
			return writeError(err, org, next.Label, fmt.Sprintf("updating token %q", id))
		}
		// Every change is a feed entry, not only narrowing ones: a gateway
		// that evicts and re-introspects is never wrong, one that keeps a
		// stale label or scope might be.
		if err := changed(ctx, tx, id, ev.At); err != nil {
			return err
		}
		if err := record(ctx, tx, org, ev, id, cur, next); err != nil {
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
	err := s.write(ctx, func(tx pgx.Tx) error {
		cur, err := getToken(ctx, tx, org, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tokens WHERE id = $1`, id); err != nil {
			return fmt.Errorf("deleting token %q: %w", id, err)
		}
		if err := changed(ctx, tx, id, ev.At); err != nil {
			return err
		}
		if err := record(ctx, tx, org, ev, id, cur, nil); err != nil {
			return err
		}
		gone = cur
		return nil
	})
	return gone, err
}

// TokenByHash finds a token by its secret's SHA-256; see store.Store. pgx
// prepares and caches the statement per connection.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
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
	return s.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE tokens SET last_used_at = $1 WHERE id = ANY($2) AND (last_used_at IS NULL OR last_used_at <= $3)`,
			ms(at), ids, ms(at.Add(-minGap)))
		if err != nil {
			return fmt.Errorf("updating last use of %d tokens: %w", len(ids), err)
		}
		return nil
	})
}
