package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// orgLock is the advisory lock namespace for org names: two replicas
// creating the same org at once queue on it instead of one failing on the
// primary key.
const orgLock = 0x6f6f7267 // "oorg"

// PutOrg creates or updates an org; see store.Store.
func (s *Store) PutOrg(ctx context.Context, name string, apply func(cur store.Org, exists bool) (store.Org, error), ev store.Event) (store.Org, bool, error) {
	var (
		out     store.Org
		created bool
	)
	err := s.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, orgLock, name); err != nil {
			return fmt.Errorf("locking org %q: %w", name, err)
		}
		cur, err := scanOrg(tx.QueryRow(ctx, `SELECT `+orgColumns+` FROM orgs WHERE name = $1 FOR UPDATE`, name))
		exists := err == nil
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			cur = store.Defaults(name)
		case err != nil:
			return fmt.Errorf("reading org %q: %w", name, err)
		}
		next, err := apply(cur, exists)
		if err != nil {
			return err
		}
		next.Name = name
		next.UpdatedAt = ms(ev.At)
		e := ev
		if exists {
			next.CreatedAt = cur.CreatedAt
			e.Action = store.ActionOrgUpdated
			_, err = tx.Exec(ctx, `UPDATE orgs SET max_tokens = $1, max_expiry_days = $2, allow_never_expires = $3, updated_at = $4 WHERE name = $5`,
				next.MaxTokens, next.MaxExpiryDays, next.AllowNeverExpires, next.UpdatedAt, name)
		} else {
			next.CreatedAt = next.UpdatedAt
			e.Action = store.ActionOrgCreated
			_, err = tx.Exec(ctx, `INSERT INTO orgs (`+orgColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
				name, next.MaxTokens, next.MaxExpiryDays, next.AllowNeverExpires, next.CreatedAt, next.UpdatedAt)
		}
		if err != nil {
			return fmt.Errorf("writing org %q: %w", name, err)
		}
		var before any
		if exists {
			before = cur
		}
		if err := record(ctx, tx, name, e, "", before, next); err != nil {
			return err
		}
		out, created = next, !exists
		return nil
	})
	return out, created, err
}

// GetOrg returns an org; see store.Store.
func (s *Store) GetOrg(ctx context.Context, name string) (store.Org, error) {
	return getOrg(ctx, s.pool, name, "")
}

// getOrg reads an org; lock is "" or a row-locking clause such as
// "FOR UPDATE".
func getOrg(ctx context.Context, q querier, name, lock string) (store.Org, error) {
	o, err := scanOrg(q.QueryRow(ctx, `SELECT `+orgColumns+` FROM orgs WHERE name = $1 `+lock, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Org{}, fmt.Errorf("org %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return store.Org{}, fmt.Errorf("reading org %q: %w", name, err)
	}
	return o, nil
}

// querier is what *pgxpool.Pool and pgx.Tx have in common.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
