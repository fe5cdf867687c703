package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// SELECT, INSERT and UPDATE are built from store.TokenColumns, the order
// of tokenValues and scanToken.
var (
	tokenColumns = store.TokenColumns
	tokenSelect  = strings.Join(tokenColumns, ", ")
	tokenInsert  = `INSERT INTO tokens (` + tokenSelect + `, hash) VALUES (` + params(1, len(tokenColumns)+1) + `)`
	// tokenUpdate sets every column but id, which is its first argument.
	tokenUpdate = `UPDATE tokens SET ` + params(2, len(tokenColumns), tokenColumns[1:]...) + ` WHERE id = $1`
)

// params renders the placeholders $from..$to, as "col = $n" when columns
// are given.
func params(from, to int, columns ...string) string {
	out := make([]string, 0, to-from+1)
	for n := from; n <= to; n++ {
		p := fmt.Sprintf("$%d", n)
		if len(columns) > 0 {
			p = columns[n-from] + " = " + p
		}
		out = append(out, p)
	}
	return strings.Join(out, ", ")
}

func tokenValues(t store.Token) []any { return store.Values(store.TokenFields(&t), nil) }

func scanToken(s store.Scanner) (store.Token, error) { return store.ScanToken(s, nil) }

// Token reads one token outside a transaction.
func (d *db) Token(ctx context.Context, org, id string) (store.Token, error) {
	return getToken(ctx, d.pool, org, id, "")
}

// Token reads one token and locks its row until the transaction ends.
func (x tx) Token(ctx context.Context, org, id string) (store.Token, error) {
	return getToken(ctx, x.tx, org, id, "FOR UPDATE")
}

// getToken reads a token; lock is "" or a row-locking clause.
func getToken(ctx context.Context, q querier, org, id, lock string) (store.Token, error) {
	t, err := scanToken(q.QueryRow(ctx, `SELECT `+tokenSelect+` FROM tokens WHERE org = $1 AND id = $2 `+lock, org, id))
	return t, store.ReadError(err, pgx.ErrNoRows, fmt.Sprintf("token %q of org %q", id, org))
}

func (d *db) Tokens(ctx context.Context, org string) ([]store.Token, error) {
	rows, err := d.pool.Query(ctx, `SELECT `+tokenSelect+` FROM tokens WHERE org = $1 ORDER BY created_at, id`, org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, scanToken)
}

// TokenByHash finds a token by its secret's SHA-256. pgx prepares and
// caches the statement per connection.
func (d *db) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	t, err := scanToken(d.pool.QueryRow(ctx, `SELECT `+tokenSelect+` FROM tokens WHERE hash = $1`, hash))
	return t, store.ReadError(err, pgx.ErrNoRows, "token by hash")
}

func (d *db) TouchLastUsed(ctx context.Context, ids []string, at, staleBefore time.Time) error {
	return d.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE tokens SET last_used_at = $1 WHERE id = ANY($2) AND (last_used_at IS NULL OR last_used_at <= $3)`,
			at, ids, staleBefore)
		if err != nil {
			return fmt.Errorf("updating last use of %d tokens: %w", len(ids), err)
		}
		return nil
	})
}

func (x tx) CountTokens(ctx context.Context, org string) (int, error) {
	var n int
	if err := x.tx.QueryRow(ctx, `SELECT COUNT(*) FROM tokens WHERE org = $1 AND kind = ''`, org).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting tokens of %q: %w", org, err)
	}
	return n, nil
}

func (x tx) LabelTaken(ctx context.Context, org, label, except string) (bool, error) {
	var taken bool
	q := `SELECT EXISTS (SELECT 1 FROM tokens WHERE org = $1 AND label = $2 AND id != $3)`
	if err := x.tx.QueryRow(ctx, q, org, label, except).Scan(&taken); err != nil {
		return false, fmt.Errorf("checking label: %w", err)
	}
	return taken, nil
}

func (x tx) InsertToken(ctx context.Context, t store.Token, hash []byte) error {
	if _, err := x.tx.Exec(ctx, tokenInsert, append(tokenValues(t), hash)...); err != nil {
		return uniqueError(err, "inserting token")
	}
	return nil
}

func (x tx) UpdateToken(ctx context.Context, t store.Token) error {
	if _, err := x.tx.Exec(ctx, tokenUpdate, tokenValues(t)...); err != nil {
		return uniqueError(err, fmt.Sprintf("updating token %q", t.ID))
	}
	return nil
}

func (x tx) DeleteToken(ctx context.Context, id string) error {
	if _, err := x.tx.Exec(ctx, `DELETE FROM tokens WHERE id = $1`, id); err != nil {
		return fmt.Errorf("deleting token %q: %w", id, err)
	}
	return nil
}

// uniqueError maps a unique violation that a concurrent writer on another
// replica caused after the rules' checks: the label one to
// store.ErrLabelTaken, any other to a conflict.
func uniqueError(err error, doing string) error {
	if pgCode(err) == codeUniqueViolation {
		switch pgConstraint(err) {
		case "tokens_org_label":
			return store.ErrLabelTaken
		case "tokens_hash_key":
			return store.ErrHashTaken
		}
		return store.Conflictf("%s: the token already exists", doing)
	}
	return fmt.Errorf("%s: %w", doing, err)
}
