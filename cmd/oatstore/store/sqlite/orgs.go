package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// PutOrg creates or updates an org; see store.Store.
func (s *Store) PutOrg(ctx context.Context, name string, apply func(cur store.Org, exists bool) (store.Org, error), ev store.Event) (store.Org, bool, error) {
	var (
		out     store.Org
		created bool
	)
	err := s.write(ctx, func(tx *sql.Tx) error {
		cur, err := scanOrg(tx.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs WHERE name = ?`, name))
		exists := err == nil
		switch {
		case errors.Is(err, sql.ErrNoRows):
			cur = store.Defaults(name)
		case err != nil:
			return fmt.Errorf("reading org %q: %w", name, err)
		}
		next, err := apply(cur, exists)
		if err != nil {
			return err
		}
		next.Name = name
		next.UpdatedAt = fromMillis(millis(ev.At))
		if exists {
			next.CreatedAt = cur.CreatedAt
			ev.Action = store.ActionOrgUpdated
			_, err = tx.ExecContext(ctx, `UPDATE orgs SET max_tokens = ?, max_expiry_days = ?, allow_never_expires = ?, updated_at = ? WHERE name = ?`,
				next.MaxTokens, next.MaxExpiryDays, next.AllowNeverExpires, millis(next.UpdatedAt), name)
		} else {
			next.CreatedAt = next.UpdatedAt
			ev.Action = store.ActionOrgCreated
			_, err = tx.ExecContext(ctx, `INSERT INTO orgs (`+orgColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
				name, next.MaxTokens, next.MaxExpiryDays, next.AllowNeverExpires, millis(next.CreatedAt), millis(next.UpdatedAt))
		}
		if err != nil {
			return fmt.Errorf("writing org %q: %w", name, err)
		}
		var before any
		if exists {
			before = cur
		}
		if err := record(tx, name, ev, "", before, next); err != nil {
			return err
		}
		out, created = next, !exists
		return nil
	})
	return out, created, err
}

// GetOrg returns an org; see store.Store.
func (s *Store) GetOrg(ctx context.Context, name string) (store.Org, error) {
	o, err := scanOrg(s.r.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Org{}, fmt.Errorf("org %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return store.Org{}, fmt.Errorf("reading org %q: %w", name, err)
	}
	return o, nil
}

// orgInTx reads an org inside a write transaction.
func orgInTx(ctx context.Context, tx *sql.Tx, name string) (store.Org, error) {
	o, err := scanOrg(tx.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Org{}, fmt.Errorf("org %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return store.Org{}, fmt.Errorf("reading org %q: %w", name, err)
	}
	return o, nil
}
