package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

func TestMigrationFromVersion1KeepsOrgsAndGivesThemADefaultExpiry(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	old, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	for _, q := range []string{
		migrations[0],
		`PRAGMA user_version = 1`,
		`INSERT INTO orgs VALUES ('short', 10, 30, 1, 0, 0), ('long', 10, 365, 0, 0, 0)`,
	} {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("building a version 1 database: %s: %v", q, err)
		}
	}
	old.Close()
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer st.Close()
	for _, want := range []struct {
		org         string
		defaultDays int
		allowNever  bool
	}{{"short", 30, true}, {"long", 90, false}} {
		o, err := st.GetOrg(ctx, want.org)
		if err != nil || o.DefaultExpiryDays != want.defaultDays || o.AllowNeverExpires != want.allowNever {
			t.Errorf("org %s after migrating = %+v, %v; want default_expiry_days %d, allow_never_expires %v kept",
				want.org, o, err, want.defaultDays, want.allowNever)
		}
	}
}
