package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/oatgate/oatgate/cmd/oatstore/store/postgres/pgtest"
	"github.com/oatgate/oatgate/cmd/oatstore/store/storetest"
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
		`INSERT INTO schema_migrations (version) VALUES (1)`)
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("building a version 1 database: %s: %v", q, err)
		}
	}
	for _, o := range storetest.V1Orgs {
		if _, err := conn.Exec(ctx, `INSERT INTO orgs VALUES ($1, $2, $3, $4, now(), now())`, o.Name, o.MaxTokens, o.MaxExpiryDays, o.AllowNever); err != nil {
			t.Fatalf("storing a version 1 org: %v", err)
		}
	}
	conn.Close(ctx)
	st, err := Open(ctx, dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer st.Close()
	storetest.CheckV1OrgsMigrated(t, st)
}
