package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Times are stored as unix milliseconds; millis and fromMillis are the one
// place that conversion lives.
func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func nullMillis(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: millis(*t), Valid: true}
}

// toColumn converts a query argument to what SQLite stores: times as unix
// milliseconds, a missing time as NULL.
func toColumn(v any) any {
	switch v := v.(type) {
	case time.Time:
		return millis(v)
	case *time.Time:
		return nullMillis(v)
	}
	return v
}

// fromColumn wraps a scan destination that SQLite stores differently.
func fromColumn(dest any) any {
	switch d := dest.(type) {
	case *time.Time:
		return (*millisTime)(d)
	case **time.Time:
		return nullMillisTime{d}
	}
	return dest
}

// millisTime scans unix milliseconds into a time, nullMillisTime into a
// time that NULL leaves nil.
type (
	millisTime     time.Time
	nullMillisTime struct{ t **time.Time }
)

func (m *millisTime) Scan(src any) error {
	ms, ok := src.(int64)
	if !ok {
		return fmt.Errorf("want unix milliseconds, got %T", src)
	}
	*m = millisTime(fromMillis(ms))
	return nil
}

func (m nullMillisTime) Scan(src any) error {
	if src == nil {
		*m.t = nil
		return nil
	}
	var t time.Time
	if err := (*millisTime)(&t).Scan(src); err != nil {
		return err
	}
	*m.t = &t
	return nil
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
