package store

import (
	"reflect"
	"testing"
	"time"
)

// TestEveryFieldIsStored: a field added to Token or Org without a line in
// TokenFields or OrgFields would be silently dropped by both backends.
func TestEveryFieldIsStored(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value any
	}{
		{"every token field has a column", &Token{}},
		{"every org field has a column", &Org{}},
		{"every audit field has a column", &AuditEntry{}},
		{"every trust policy field has a column", &Policy{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := reflect.ValueOf(tc.value).Elem()
			var fields []Field
			switch p := tc.value.(type) {
			case *Token:
				fields = TokenFields(p)
			case *Org:
				fields = OrgFields(p)
			case *AuditEntry:
				fields = AuditFields(p)
			case *Policy:
				fields = PolicyFields(p)
			}
			stored := map[uintptr]bool{}
			for _, f := range fields {
				stored[reflect.ValueOf(f.Ptr).Pointer()] = true
			}
			for i := range v.NumField() {
				if !stored[v.Field(i).Addr().Pointer()] {
					t.Errorf("%s.%s has no column; add it to the Fields list and a migration to each backend", v.Type().Name(), v.Type().Field(i).Name)
				}
			}
			if len(fields) != v.NumField() {
				t.Errorf("%d columns for %d fields", len(fields), v.NumField())
			}
		})
	}
}

func TestValuesAndScopes(t *testing.T) {
	exp := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	tok := Token{ID: "tok_a", Scopes: []string{"repository:acme/a:pull", "repository:acme/b:push"}, ExpiresAt: &exp, Active: true}
	vals := Values(TokenFields(&tok), nil)
	byColumn := map[string]any{}
	for i, c := range TokenColumns {
		byColumn[c] = vals[i]
	}
	for _, tc := range []struct {
		name, column string
		want         any
	}{
		{"scopes are one space-separated string", "scopes", "repository:acme/a:pull repository:acme/b:push"},
		{"a set time is its pointer", "expires_at", &exp},
		{"a missing time is a nil pointer", "revoked_at", (*time.Time)(nil)},
		{"a flag is a bool", "active", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := byColumn[tc.column]; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s = %#v, want %#v", tc.column, got, tc.want)
			}
		})
	}
	t.Run("scopes read back from text or bytes, and nothing else", func(t *testing.T) {
		var l spaceList
		for _, src := range []any{"a  b", []byte("a b")} {
			if err := l.Scan(src); err != nil || !reflect.DeepEqual([]string(l), []string{"a", "b"}) {
				t.Errorf("Scan(%q) = %v, %v; want [a b]", src, l, err)
			}
		}
		if err := l.Scan(int64(5)); err == nil {
			t.Errorf("Scan(5) succeeded, want an error")
		}
	})
}
