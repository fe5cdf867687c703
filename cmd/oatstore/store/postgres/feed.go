package postgres

import (
	"context"
	"fmt"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// Changes reads the revocation feed; see store.Store.
func (s *Store) Changes(ctx context.Context, cursor int64, limit int) (int64, []string, error) {
	var last int64
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM token_changes`).Scan(&last); err != nil {
		return 0, nil, fmt.Errorf("reading feed cursor: %w", err)
	}
	// A fresh gateway has nothing cached; a cursor from the future means the
	// database was replaced, and the best a gateway can do is start over.
	if cursor <= 0 || cursor > last {
		return last, []string{}, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, token_id FROM token_changes WHERE seq > $1 ORDER BY seq LIMIT $2`, cursor, limit)
	if err != nil {
		return 0, nil, fmt.Errorf("reading feed: %w", err)
	}
	defer rows.Close()
	return store.ReadChanges(rows, cursor)
}
