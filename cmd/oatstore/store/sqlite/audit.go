package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// Audit returns an org's audit entries, newest first; see store.Store.
func (s *Store) Audit(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, int64, error) {
	where := []string{"org = ?"}
	args := []any{q.Org}
	if !q.Since.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, millis(q.Since))
	}
	if !q.Until.IsZero() {
		where = append(where, "at < ?")
		args = append(args, millis(q.Until))
	}
	if q.Action != "" {
		where = append(where, "action = ?")
		args = append(args, q.Action)
	}
	if q.Before > 0 {
		where = append(where, "id < ?")
		args = append(args, q.Before)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	// One extra row says whether there is a next page.
	args = append(args, limit+1)
	rows, err := s.r.QueryContext(ctx, `SELECT id, org, at, actor, source_ip, action, token_id, before, after FROM audit WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("reading audit log of %q: %w", q.Org, err)
	}
	defer rows.Close()
	out := []store.AuditEntry{}
	for rows.Next() {
		var (
			e             store.AuditEntry
			at            int64
			before, after sql.NullString
		)
		if err := rows.Scan(&e.ID, &e.Org, &at, &e.Actor, &e.SourceIP, &e.Action, &e.TokenID, &before, &after); err != nil {
			return nil, 0, fmt.Errorf("reading audit log of %q: %w", q.Org, err)
		}
		e.At = fromMillis(at)
		e.Before, e.After = rawOrNull(before), rawOrNull(after)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("reading audit log of %q: %w", q.Org, err)
	}
	out, next := store.AuditPage(out, limit)
	return out, next, nil
}

func rawOrNull(s sql.NullString) json.RawMessage {
	if !s.Valid {
		return json.RawMessage("null")
	}
	return json.RawMessage(s.String)
}
