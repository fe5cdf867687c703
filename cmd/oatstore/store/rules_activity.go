// The rules of the activity trail: the management audit and the registry
// actions gateways report, merged newest first and paged with one cursor.

package store

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Entries of one millisecond are ordered management first, then registry,
// each by id, newest first: rank says which comes first at a tie.
const (
	rankRegistry   = 0
	rankManagement = 1
)

// DefaultActivityPage is the page size of an activity query without a
// limit.
const DefaultActivityPage = 50

// Activity returns a page of the org's trail, newest first, and the cursor
// of the next page ("" on the last). Each source is read from where the
// cursor left it, one row more than the page, so that the merge knows
// whether anything follows.
func (r *rules) Activity(ctx context.Context, q ActivityQuery) ([]Activity, string, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultActivityPage
	}
	var cur cursorPos
	if q.Cursor != "" {
		var err error
		if cur, err = parseActivityCursor(q.Cursor); err != nil {
			return nil, "", err
		}
	}
	if _, err := r.b.Org(ctx, q.Org); err != nil {
		return nil, "", err
	}
	var merged []Activity
	if q.Kind != KindRegistry {
		entries, err := r.b.AuditEntries(ctx, AuditQuery{
			Org: q.Org, TokenID: q.TokenID, Since: q.Since, Until: q.Until,
			Older: cur.from(rankManagement), ByTime: true, Limit: limit + 1,
		})
		if err != nil {
			return nil, "", fmt.Errorf("reading audit log of %q: %w", q.Org, err)
		}
		for _, e := range entries {
			merged = append(merged, Activity{
				Kind: KindManagement, Action: e.Action, At: e.At, TokenID: e.TokenID, TokenLabel: snapshotLabel(e),
				Actor: e.Actor, OnBehalfOf: e.OnBehalfOf, SourceIP: e.SourceIP, id: e.ID,
			})
		}
	}
	if q.Kind != KindManagement {
		rows, err := r.b.RegistryActivity(ctx, RegistryQuery{
			Org: q.Org, TokenID: q.TokenID, Since: q.Since, Until: q.Until,
			Older: cur.from(rankRegistry), Limit: limit + 1,
		})
		if err != nil {
			return nil, "", fmt.Errorf("reading registry activity of %q: %w", q.Org, err)
		}
		for _, a := range rows {
			merged = append(merged, Activity{
				Kind: KindRegistry, Action: a.Action, At: a.At, TokenID: a.TokenID, TokenLabel: a.TokenLabel,
				Repository: a.Repository, Tag: a.Tag, Digest: a.Digest, Reason: a.Reason,
				ClientIP: a.ClientIP, UserAgent: a.UserAgent, id: a.ID,
			})
		}
	}
	slices.SortFunc(merged, func(a, b Activity) int {
		return cmp.Or(b.At.Compare(a.At), cmp.Compare(b.rank(), a.rank()), cmp.Compare(b.id, a.id))
	})
	if len(merged) <= limit {
		return merged, "", nil
	}
	merged = merged[:limit]
	last := merged[limit-1]
	return merged, cursorPos{at: last.At, rank: last.rank(), id: last.id, set: true}.String(), nil
}

// snapshotLabel is the label of the token an audit entry is about, from
// its snapshot after the change (or before, for a delete); "" for org
// entries.
func snapshotLabel(e AuditEntry) string {
	if e.TokenID == "" {
		return ""
	}
	for _, snap := range []json.RawMessage{e.After, e.Before} {
		var t struct{ Label string }
		if len(snap) > 0 && json.Unmarshal(snap, &t) == nil && t.Label != "" {
			return t.Label
		}
	}
	return ""
}

func (a Activity) rank() int {
	if a.Kind == KindManagement {
		return rankManagement
	}
	return rankRegistry
}

// cursorPos is the last entry of a page: its time, source and id.
type cursorPos struct {
	at   time.Time
	rank int
	id   int64
	set  bool
}

// from is where the source of rank continues: at the cursor's time, a
// source ranked before the cursor's is done, the cursor's own continues
// below its id, and one ranked after has not started.
func (c cursorPos) from(rank int) Position {
	switch {
	case !c.set:
		return Position{}
	case rank > c.rank:
		return Position{At: c.at}
	case rank == c.rank:
		return Position{At: c.at, ID: c.id}
	}
	return Position{At: c.at, Inclusive: true}
}

// String is the opaque cursor: base64url of "millis.rank.id".
func (c cursorPos) String() string {
	raw := fmt.Sprintf("%d.%d.%d", c.at.UnixMilli(), c.rank, c.id)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func parseActivityCursor(s string) (cursorPos, error) {
	bad := Invalidf("cursor %q: want the next_cursor of a previous page", s)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursorPos{}, bad
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 3 {
		return cursorPos{}, bad
	}
	ms, err1 := strconv.ParseInt(parts[0], 10, 64)
	rank, err2 := strconv.Atoi(parts[1])
	id, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || (rank != rankRegistry && rank != rankManagement) || id < 1 {
		return cursorPos{}, bad
	}
	return cursorPos{at: time.UnixMilli(ms).UTC(), rank: rank, id: id, set: true}, nil
}

// where adds p's condition to a query's conditions, for both backends:
// placeholder(n) is the n-th parameter's marker and at converts a time to
// what the at column holds.
func (p Position) where(conds []string, args []any, placeholder func(n int) string, at func(time.Time) any) ([]string, []any) {
	if p.At.IsZero() {
		return conds, args
	}
	next := func(v any) string {
		args = append(args, v)
		return placeholder(len(args))
	}
	switch {
	case p.Inclusive:
		conds = append(conds, "at <= "+next(at(p.At)))
	case p.ID > 0:
		a := next(at(p.At))
		b := next(at(p.At))
		conds = append(conds, "(at < "+a+" OR (at = "+b+" AND id < "+next(p.ID)+"))")
	default:
		conds = append(conds, "at < "+next(at(p.At)))
	}
	return conds, args
}

// Where renders q's filters as an SQL condition and its arguments, as
// AuditQuery.Where does.
func (q RegistryQuery) Where(placeholder func(n int) string, at func(time.Time) any) (string, []any) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, cond+placeholder(len(args)))
	}
	add("org = ", q.Org)
	if q.TokenID != "" {
		add("token_id = ", q.TokenID)
	}
	if !q.Since.IsZero() {
		add("at >= ", at(q.Since))
	}
	if !q.Until.IsZero() {
		add("at < ", at(q.Until))
	}
	where, args = q.Older.where(where, args, placeholder, at)
	return strings.Join(where, " AND "), args
}

// Where renders q's filters, as AuditQuery.Where does; hours are Unix
// seconds in both backends.
func (q UsageQuery) Where(placeholder func(n int) string) (string, []any) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, cond+placeholder(len(args)))
	}
	add("org = ", q.Org)
	if q.TokenID != "" {
		add("token_id = ", q.TokenID)
	}
	if q.Repository != "" {
		add("repository = ", q.Repository)
	}
	if !q.Since.IsZero() {
		// An hour counts when it starts at or after since's hour.
		add("hour >= ", q.Since.Truncate(time.Hour).Unix())
	}
	if !q.Until.IsZero() {
		add("hour < ", q.Until.Unix())
	}
	return strings.Join(where, " AND "), args
}
