// The rules of the revocation feed and the audit log.

package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Changes returns the token ids changed after cursor, each once.
func (r *rules) Changes(ctx context.Context, cursor int64, limit int) (int64, []string, error) {
	last, err := r.b.FeedHead(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("reading feed cursor: %w", err)
	}
	// A fresh gateway has nothing cached; a cursor from the future means the
	// database was replaced, and the best a gateway can do is start over.
	if cursor <= 0 || cursor > last {
		return last, []string{}, nil
	}
	rows, err := r.b.FeedAfter(ctx, cursor, limit)
	if err != nil {
		return 0, nil, fmt.Errorf("reading feed: %w", err)
	}
	next := cursor
	ids := []string{}
	seen := map[string]bool{}
	for _, row := range rows {
		next = row.Seq
		if row.TokenID != "" && !seen[row.TokenID] {
			seen[row.TokenID] = true
			ids = append(ids, row.TokenID)
		}
	}
	return next, ids, nil
}

// defaultAuditPage is the page size of an audit query without a limit.
const defaultAuditPage = 50

// Audit reads one row more than the page, which says whether there is a
// next page, and returns the last id of the page as its cursor (0 on the
// last page).
func (r *rules) Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, int64, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = defaultAuditPage
	}
	q.Limit = limit + 1
	entries, err := r.b.AuditEntries(ctx, q)
	if err != nil {
		return nil, 0, fmt.Errorf("reading audit log of %q: %w", q.Org, err)
	}
	if len(entries) <= limit {
		return entries, 0, nil
	}
	entries = entries[:limit]
	return entries, entries[limit-1].ID, nil
}

// Where renders q's filters as an SQL condition and its arguments, for
// both backends: placeholder(n) is the n-th parameter's marker ("?" or
// "$n") and at converts a time to what the at column holds. Since is
// inclusive, Until exclusive; Before continues below a page's last id.
func (q AuditQuery) Where(placeholder func(n int) string, at func(time.Time) any) (string, []any) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, cond+placeholder(len(args)))
	}
	add("org = ", q.Org)
	if !q.Since.IsZero() {
		add("at >= ", at(q.Since))
	}
	if !q.Until.IsZero() {
		add("at < ", at(q.Until))
	}
	if q.Action != "" {
		add("action = ", q.Action)
	}
	if q.TokenID != "" {
		add("token_id = ", q.TokenID)
	}
	if q.Before > 0 {
		add("id < ", q.Before)
	}
	where, args = q.Older.where(where, args, placeholder, at)
	return strings.Join(where, " AND "), args
}

// AuditOrder is the ORDER BY clause of q's audit query, for both backends.
func AuditOrder(q AuditQuery) string {
	if q.ByTime {
		return ` ORDER BY at DESC, id DESC`
	}
	return ` ORDER BY id DESC`
}

// snapshot renders an org or token for an audit entry's before or after;
// nil stays nil (stored as NULL, served as null).
func snapshot(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding audit snapshot: %w", err)
	}
	return b, nil
}
