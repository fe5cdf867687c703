package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// Audit returns an org's audit entries, newest first; see store.Store.
func (s *Store) Audit(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, int64, error) {
	where := []string{"org = $1"}
	args := []any{q.Org}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if !q.Since.IsZero() {
		add("at >= $%d", ms(q.Since))
	}
	if !q.Until.IsZero() {
		add("at < $%d", ms(q.Until))
	}
	if q.Action != "" {
		add("action = $%d", q.Action)
	}
	if q.Before > 0 {
		add("id < $%d", q.Before)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	// One extra row says whether there is a next page.
	args = append(args, limit+1)
	rows, err := s.pool.Query(ctx, `SELECT id, org, at, actor, source_ip, action, token_id, before, after FROM audit WHERE `+
		strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("reading audit log of %q: %w", q.Org, err)
	}
	defer rows.Close()
	out := []store.AuditEntry{}
	for rows.Next() {
		var (
			e             store.AuditEntry
			before, after []byte
		)
		if err := rows.Scan(&e.ID, &e.Org, &e.At, &e.Actor, &e.SourceIP, &e.Action, &e.TokenID, &before, &after); err != nil {
			return nil, 0, fmt.Errorf("reading audit log of %q: %w", q.Org, err)
		}
		e.At = ms(e.At)
		e.Before, e.After = rawOrNull(before), rawOrNull(after)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("reading audit log of %q: %w", q.Org, err)
	}
	out, next := store.AuditPage(out, limit)
	return out, next, nil
}

func rawOrNull(b []byte) json.RawMessage {
	if b == nil {
		return json.RawMessage("null")
	}
	return json.RawMessage(b)
}
