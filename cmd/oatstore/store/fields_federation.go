package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// ScanPolicy reads a row selected in PolicyColumns order.
func ScanPolicy(s Scanner, conv Convert) (Policy, error) {
	var p Policy
	if err := s.Scan(Dests(PolicyFields(&p), conv)...); err != nil {
		return Policy{}, err
	}
	p.CreatedAt, p.UpdatedAt = Millis(p.CreatedAt), Millis(p.UpdatedAt)
	return p, nil
}

// PolicyUpdates is the SET list of both backends' policy upsert: every
// column but the key (org, name) and the creation fields.
func PolicyUpdates() string {
	set := ""
	for _, c := range PolicyColumns {
		switch c {
		case "org", "name", "created_at", "created_by":
			continue
		}
		if set != "" {
			set += ", "
		}
		set += c + " = excluded." + c
	}
	return set
}

// claimsJSON stores a policy's claim conditions as one JSON object.
type claimsJSON map[string]string

// Value implements driver.Valuer.
func (c claimsJSON) Value() (driver.Value, error) {
	b, err := json.Marshal(map[string]string(c))
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// Scan implements sql.Scanner, which pgx honours too.
func (c *claimsJSON) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("claims: want JSON text, got %T", src)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	*c = m
	return nil
}

// seconds stores a duration as whole seconds.
type seconds time.Duration

// Value implements driver.Valuer.
func (d seconds) Value() (driver.Value, error) { return int64(time.Duration(d) / time.Second), nil }

// Scan implements sql.Scanner, which pgx honours too.
func (d *seconds) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*d = seconds(time.Duration(v) * time.Second)
	case int32:
		*d = seconds(time.Duration(v) * time.Second)
	default:
		return fmt.Errorf("ttl: want whole seconds, got %T", src)
	}
	return nil
}
