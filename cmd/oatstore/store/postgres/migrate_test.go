package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/oatgate/oatgate/cmd/oatstore/store/postgres/pgtest"
)

func TestMigrationFromVersion1KeepsOrgsAndGivesThemADefaultExpiry(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	stmts := append(append([]string{}, migrations[0]...),
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
		`INSERT INTO schema_migrations (version) VALUES (1)`,
		`INSERT INTO orgs VALUES ('short', 10, 30, true, now(), now()), ('long', 10, 365, false, now(), now())`)
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("building a version 1 database: %s: %v", q, err)
		}
	}
	conn.Close(ctx)
	st, err := Open(ctx, dsn)
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
