package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/store/storetest"
)

func TestMigrationFromVersion1KeepsOrgsAndGivesThemADefaultExpiry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	old, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	for _, q := range []string{migrations[0], `PRAGMA user_version = 1`} {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("building a version 1 database: %s: %v", q, err)
		}
	}
	for _, o := range storetest.V1Orgs {
		if _, err := old.Exec(`INSERT INTO orgs VALUES (?, ?, ?, ?, 0, 0)`, o.Name, o.MaxTokens, o.MaxExpiryDays, o.AllowNever); err != nil {
			t.Fatalf("storing a version 1 org: %v", err)
		}
	}
	old.Close()
	st, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer st.Close()
	storetest.CheckV1OrgsMigrated(t, st)
}
