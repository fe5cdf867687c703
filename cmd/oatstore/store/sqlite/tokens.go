package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// SELECT, INSERT and UPDATE are built from store.TokenColumns, the order
// of tokenValues and scanToken.
var (
	tokenColumns = store.TokenColumns
	tokenSelect  = strings.Join(tokenColumns, ", ")
	tokenInsert  = `INSERT INTO tokens (` + tokenSelect + `, hash) VALUES (` + strings.Repeat("?, ", len(tokenColumns)) + `?)`
	// tokenUpdate sets every column but id, which is last in its arguments.
	tokenUpdate = `UPDATE tokens SET ` + strings.Join(tokenColumns[1:], " = ?, ") + ` = ? WHERE id = ?`
)

func tokenValues(t store.Token) []any { return store.Values(store.TokenFields(&t), toColumn) }

func scanToken(s store.Scanner) (store.Token, error) { return store.ScanToken(s, fromColumn) }

// Token reads one token outside a transaction.
func (d *db) Token(ctx context.Context, org, id string) (store.Token, error) {
	return getToken(ctx, d.r, org, id)
}

// Token reads one token inside the write transaction.
func (x tx) Token(ctx context.Context, org, id string) (store.Token, error) {
	return getToken(ctx, x.tx, org, id)
}

func getToken(ctx context.Context, q querier, org, id string) (store.Token, error) {
	t, err := scanToken(q.QueryRowContext(ctx, `SELECT `+tokenSelect+` FROM tokens WHERE org = ? AND id = ?`, org, id))
	return t, store.ReadError(err, sql.ErrNoRows, fmt.Sprintf("token %q of org %q", id, org))
}

func (d *db) Tokens(ctx context.Context, org string) ([]store.Token, error) {
	rows, err := d.r.QueryContext(ctx, `SELECT `+tokenSelect+` FROM tokens WHERE org = ? ORDER BY created_at, id`, org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, scanToken)
}

func (d *db) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	t, err := scanToken(d.byHash.QueryRowContext(ctx, hash))
	return t, store.ReadError(err, sql.ErrNoRows, "token by hash")
}

func (d *db) TouchLastUsed(ctx context.Context, ids []string, at, staleBefore time.Time) error {
	return d.write(ctx, func(t *sql.Tx) error {
		stmt, err := t.PrepareContext(ctx, `UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`)
		if err != nil {
			return fmt.Errorf("preparing last-used update: %w", err)
		}
		defer stmt.Close()
		for _, id := range ids {
			if _, err := stmt.ExecContext(ctx, millis(at), id, millis(staleBefore)); err != nil {
				return fmt.Errorf("updating last use of %q: %w", id, err)
			}
		}
		return nil
	})
}

func (x tx) CountTokens(ctx context.Context, org string) (int, error) {
	var n int
	if err := x.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tokens WHERE org = ? AND kind = ''`, org).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting tokens of %q: %w", org, err)
	}
	return n, nil
}

func (x tx) LabelTaken(ctx context.Context, org, label, except string) (bool, error) {
	var taken bool
	q := `SELECT EXISTS (SELECT 1 FROM tokens WHERE org = ? AND label = ? AND id != ?)`
	if err := x.tx.QueryRowContext(ctx, q, org, label, except).Scan(&taken); err != nil {
		return false, fmt.Errorf("checking label: %w", err)
	}
	return taken, nil
}

func (x tx) InsertToken(ctx context.Context, t store.Token, hash []byte) error {
	if _, err := x.stmt(ctx, x.d.issue.insertToken).ExecContext(ctx, append(tokenValues(t), hash)...); err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed: tokens.hash") {
			return store.ErrHashTaken
		}
		return fmt.Errorf("inserting token: %w", err)
	}
	return nil
}

func (x tx) UpdateToken(ctx context.Context, t store.Token) error {
	v := tokenValues(t)
	if _, err := x.tx.ExecContext(ctx, tokenUpdate, append(v[1:], t.ID)...); err != nil {
		return fmt.Errorf("updating token %q: %w", t.ID, err)
	}
	return nil
}

func (x tx) DeleteToken(ctx context.Context, id string) error {
	if _, err := x.tx.ExecContext(ctx, `DELETE FROM tokens WHERE id = ?`, id); err != nil {
		return fmt.Errorf("deleting token %q: %w", id, err)
	}
	return nil
}
