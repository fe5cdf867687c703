package store

import "fmt"

// Rows is what both database/sql's and pgx's query results offer, so that
// backends share the reading that does not depend on the driver.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ReadChanges reads (seq, token_id) rows of the revocation feed in order and
// returns the last seq read (cursor when there is none) and the token ids,
// each once.
func ReadChanges(rows Rows, cursor int64) (int64, []string, error) {
	next := cursor
	ids := []string{}
	seen := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&next, &id); err != nil {
			return 0, nil, fmt.Errorf("reading feed: %w", err)
		}
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("reading feed: %w", err)
	}
	return next, ids, nil
}

// AuditPage cuts entries, read with one row more than limit, to a page and
// returns the cursor of the next page: the last id returned, or 0 when this
// is the last page.
func AuditPage(entries []AuditEntry, limit int) ([]AuditEntry, int64) {
	if len(entries) <= limit {
		return entries, 0
	}
	entries = entries[:limit]
	return entries, entries[limit-1].ID
}
