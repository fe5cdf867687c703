package postgres_test

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/store/postgres"
	"github.com/oatgate/oatgate/cmd/oatstore/store/postgres/pgtest"
	"github.com/oatgate/oatgate/cmd/oatstore/store/storetest"
)

// TestMain runs one throwaway PostgreSQL server for the whole package.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func open(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestStoreBehaviour runs the suite every backend must pass; two Stores on
// one database are two replicas.
func TestStoreBehaviour(t *testing.T) {
	storetest.Run(t, func(t *testing.T) func(t *testing.T) store.Store {
		dsn := pgtest.NewDatabase(t)
		return func(t *testing.T) store.Store { return open(t, dsn) }
	})
}

func TestMigrations(t *testing.T) {
	t.Run("replicas starting together migrate once", func(t *testing.T) {
		dsn := pgtest.NewDatabase(t)
		const n = 4
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := postgres.Open(context.Background(), dsn)
				if err == nil {
					st.Close()
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Open %d: %v", i, err)
			}
		}
		if got, want := count(t, dsn, `SELECT COUNT(*) FROM schema_migrations`), postgres.Migrations; got != want {
			t.Errorf("%d migrations recorded, want %d", got, want)
		}
		if got := count(t, dsn, `SELECT COUNT(*) FROM token_changes`); got != 1 {
			t.Errorf("%d feed rows after migrating, want the 1 seed row", got)
		}
	})
	t.Run("a database from a newer oatstore is refused", func(t *testing.T) {
		dsn := pgtest.NewDatabase(t)
		open(t, dsn).Close()
		exec(t, dsn, `INSERT INTO schema_migrations (version) VALUES (99)`)
		if st, err := postgres.Open(context.Background(), dsn); err == nil {
			st.Close()
			t.Fatalf("Open succeeded on schema version 99, want an error")
		}
	})
	t.Run("an unreachable server is an error, not a hang", func(t *testing.T) {
		if st, err := postgres.Open(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=5"); err == nil {
			st.Close()
			t.Fatalf("Open of port 1 succeeded, want an error")
		}
	})
}

// count runs a COUNT query on the database at dsn.
func count(t *testing.T, dsn, query string) int {
	t.Helper()
	var n int
	onConn(t, dsn, query, func(ctx context.Context, conn *pgx.Conn) error { return conn.QueryRow(ctx, query).Scan(&n) })
	return n
}

// exec runs a statement on the database at dsn.
func exec(t *testing.T, dsn, query string) {
	t.Helper()
	onConn(t, dsn, query, func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, query)
		return err
	})
}

// onConn runs fn on a connection of its own, failing t with query on an
// error.
func onConn(t *testing.T, dsn, query string, fn func(ctx context.Context, conn *pgx.Conn) error) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	defer conn.Close(ctx)
	if err := fn(ctx, conn); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
