package store

import (
	"errors"
	"fmt"
)

// Scanner is a result row of either driver: database/sql's *sql.Row and
// *sql.Rows, and pgx's Row and Rows.
type Scanner interface {
	Scan(dest ...any) error
}

// Rows is what both database/sql's and pgx's query results offer.
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// Collect reads every row with scan, so that backends share the loop and
// only the reading of a row is theirs. It never returns a nil slice: an
// empty list is served as [], not null.
func Collect[T any](rows Rows, scan func(Scanner) (T, error)) ([]T, error) {
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ReadError is the error of reading one row: nil stays nil, the driver's
// "no rows" error (noRows) becomes ErrNotFound naming what was looked for,
// anything else says what was being read.
func ReadError(err, noRows error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, noRows):
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("reading %s: %w", what, err)
}

// ScanFeedRow reads a (seq, token_id) row of the revocation feed.
func ScanFeedRow(row Scanner) (FeedRow, error) {
	var r FeedRow
	err := row.Scan(&r.Seq, &r.TokenID)
	return r, err
}
