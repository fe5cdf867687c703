package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// Field is one stored field: its column in both backends' tables and a
// pointer to it in an Org or a Token. TokenFields and OrgFields are the one
// place a stored field is named: SELECT lists, INSERT and UPDATE
// statements, query arguments and scan destinations of both backends are
// all built from them. A new token field is a line in TokenFields, the
// field in Token, and a migration in each backend.
type Field struct {
	Column string
	Ptr    any
}

// TokenFields lists the columns of the tokens table (the hash aside, which
// is written once and never read back, and last_reported_at, which only
// RecordLastUses reads and writes) and where each lives in t.
func TokenFields(t *Token) []Field {
	return []Field{
		{"id", &t.ID},
		{"org", &t.Org},
		{"label", &t.Label},
		{"description", &t.Description},
		{"scopes", (*spaceList)(&t.Scopes)},
		{"created_at", &t.CreatedAt},
		{"created_by", &t.CreatedBy},
		{"expires_at", &t.ExpiresAt},
		{"active", &t.Active},
		{"revoked_at", &t.RevokedAt},
		{"last_used_at", &t.LastUsedAt},
		{"kind", &t.Kind},
		{"policy", &t.Policy},
		{"subject", &t.Subject},
		{"last_used_ip", &t.LastUsedIP},
		{"last_user_agent", &t.LastUserAgent},
	}
}

// OrgFields lists the columns of the orgs table and where each lives in o.
func OrgFields(o *Org) []Field {
	return []Field{
		{"name", &o.Name},
		{"max_tokens", &o.MaxTokens},
		{"max_expiry_days", &o.MaxExpiryDays},
		{"default_expiry_days", &o.DefaultExpiryDays},
		{"allow_never_expires", &o.AllowNeverExpires},
		{"max_federated_tokens", &o.MaxFederatedTokens},
		{"created_at", &o.CreatedAt},
		{"updated_at", &o.UpdatedAt},
	}
}

// AuditFields lists the columns of the audit table and where each lives
// in e. The id comes first: the database assigns it on insert.
func AuditFields(e *AuditEntry) []Field {
	return []Field{
		{"id", &e.ID},
		{"org", &e.Org},
		{"at", &e.At},
		{"actor", &e.Actor},
		{"on_behalf_of", &e.OnBehalfOf},
		{"source_ip", &e.SourceIP},
		{"action", &e.Action},
		{"token_id", &e.TokenID},
		{"before", (*snapshotJSON)(&e.Before)},
		{"after", (*snapshotJSON)(&e.After)},
	}
}

// PolicyFields lists the columns of the federation_policies table and
// where each lives in p.
func PolicyFields(p *Policy) []Field {
	return []Field{
		{"org", &p.Org},
		{"name", &p.Name},
		{"issuer", &p.Issuer},
		{"audience", &p.Audience},
		{"claims", (*claimsJSON)(&p.Claims)},
		{"scopes", (*spaceList)(&p.Scopes)},
		{"ttl_seconds", (*seconds)(&p.TTL)},
		{"created_at", &p.CreatedAt},
		{"created_by", &p.CreatedBy},
		{"updated_at", &p.UpdatedAt},
	}
}

// TokenColumns, OrgColumns, AuditColumns and PolicyColumns are the column
// names, in field order.
var (
	TokenColumns  = columns(TokenFields(new(Token)))
	OrgColumns    = columns(OrgFields(new(Org)))
	AuditColumns  = columns(AuditFields(new(AuditEntry)))
	PolicyColumns = columns(PolicyFields(new(Policy)))
)

func columns(fs []Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Column
	}
	return out
}

// Convert adapts a query argument or scan destination to what a driver
// stores: SQLite keeps times as unix milliseconds, PostgreSQL as they are
// (nil: no conversion).
type Convert func(v any) any

// Values returns the fields' values as query arguments, in field order.
func Values(fs []Field, conv Convert) []any {
	out := make([]any, len(fs))
	for i, f := range fs {
		v := reflect.ValueOf(f.Ptr).Elem().Interface()
		if vr, ok := v.(driver.Valuer); ok {
			// Rendered here, so no driver mistakes a spaceList for an array.
			v, _ = vr.Value()
		}
		if conv != nil {
			v = conv(v)
		}
		out[i] = v
	}
	return out
}

// Dests returns the fields' scan destinations, in field order.
func Dests(fs []Field, conv Convert) []any {
	out := make([]any, len(fs))
	for i, f := range fs {
		out[i] = f.Ptr
		if conv != nil {
			out[i] = conv(f.Ptr)
		}
	}
	return out
}

// ScanToken reads a row selected in TokenColumns order. Times come back
// rounded and in UTC, whatever zone the driver returns.
func ScanToken(s Scanner, conv Convert) (Token, error) {
	var t Token
	if err := s.Scan(Dests(TokenFields(&t), conv)...); err != nil {
		return Token{}, err
	}
	return t.rounded(), nil
}

// ScanOrg reads a row selected in OrgColumns order.
func ScanOrg(s Scanner, conv Convert) (Org, error) {
	var o Org
	if err := s.Scan(Dests(OrgFields(&o), conv)...); err != nil {
		return Org{}, err
	}
	o.CreatedAt, o.UpdatedAt = Millis(o.CreatedAt), Millis(o.UpdatedAt)
	return o, nil
}

// ScanAudit reads a row selected in AuditColumns order.
func ScanAudit(s Scanner, conv Convert) (AuditEntry, error) {
	var e AuditEntry
	if err := s.Scan(Dests(AuditFields(&e), conv)...); err != nil {
		return AuditEntry{}, err
	}
	e.At = Millis(e.At)
	return e, nil
}

// OrgUpdates is the SET list of both backends' org upsert ("INSERT ... ON
// CONFLICT (name) DO UPDATE SET ..."): every column but the name and the
// creation time takes the inserted row's value.
func OrgUpdates() string {
	var set []string
	for _, c := range OrgColumns {
		if c != "name" && c != "created_at" {
			set = append(set, c+" = excluded."+c)
		}
	}
	return strings.Join(set, ", ")
}

// spaceList stores scopes as one space-separated string: scope strings
// hold no spaces.
type spaceList []string

// Value implements driver.Valuer; it never fails.
func (l spaceList) Value() (driver.Value, error) { return strings.Join(l, " "), nil }

// Scan implements sql.Scanner, which pgx honours too.
func (l *spaceList) Scan(src any) error {
	switch v := src.(type) {
	case string:
		*l = strings.Fields(v)
	case []byte:
		*l = strings.Fields(string(v))
	default:
		return fmt.Errorf("scopes: want text, got %T", src)
	}
	return nil
}

// snapshotJSON stores an audit snapshot: a missing one (nil) as NULL, read
// back as the JSON null the API serves.
type snapshotJSON json.RawMessage

// Value implements driver.Valuer; it never fails.
func (j snapshotJSON) Value() (driver.Value, error) {
	if j == nil {
		return nil, nil
	}
	return string(j), nil
}

// Scan implements sql.Scanner, which pgx honours too.
func (j *snapshotJSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*j = snapshotJSON("null")
	case string:
		*j = snapshotJSON(v)
	case []byte:
		*j = snapshotJSON(append([]byte(nil), v...))
	default:
		return fmt.Errorf("audit snapshot: want JSON text, got %T", src)
	}
	return nil
}
