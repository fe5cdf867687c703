package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/store/sqlite"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func ev(action string) store.Event {
	return store.Event{Action: action, Actor: "test", SourceIP: "127.0.0.1", At: t0}
}

func putOrg(t *testing.T, st *sqlite.Store, name string, max int) {
	t.Helper()
	_, _, err := st.PutOrg(context.Background(), name, func(o store.Org, _ bool) (store.Org, error) {
		o.MaxTokens = max
		return o, nil
	}, ev(""))
	if err != nil {
		t.Fatalf("PutOrg: %v", err)
	}
}

func create(st *sqlite.Store, org, id string) (store.Token, error) {
	return st.CreateToken(context.Background(), org, []byte("hash-"+id), func(store.Org) (store.Token, error) {
		return store.Token{ID: id, Label: id, Scopes: []string{"repository:" + org + "/app:pull"}, CreatedAt: t0, Active: true}, nil
	}, ev(store.ActionTokenCreated))
}

func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	t.Run("reopening a migrated database keeps its data", func(t *testing.T) {
		st := open(t, path)
		putOrg(t, st, "acme", 5)
		st.Close()
		st = open(t, path)
		if o, err := st.GetOrg(context.Background(), "acme"); err != nil || o.MaxTokens != 5 {
			t.Errorf("GetOrg after reopen = %+v, %v; want max_tokens 5", o, err)
		}
	})
	t.Run("a database from a newer oatstore is refused", func(t *testing.T) {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatalf("sql.Open: %v", err)
		}
		if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
			t.Fatalf("setting version: %v", err)
		}
		db.Close()
		if st, err := sqlite.Open(context.Background(), path); err == nil {
			st.Close()
			t.Fatalf("Open succeeded on schema version 99, want an error")
		}
	})
}

func TestConcurrentWritersFromTwoProcesses(t *testing.T) {
	// Two Stores on one file stand in for two processes: only busy_timeout
	// keeps them from failing with SQLITE_BUSY.
	path := filepath.Join(t.TempDir(), "c.db")
	a, b := open(t, path), open(t, path)
	putOrg(t, a, "acme", 1000)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			if _, err := create(st, "acme", fmt.Sprintf("tok_%d", i)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent create failed: %v", err)
	}
	ts, err := a.ListTokens(context.Background(), "acme")
	if err != nil || len(ts) != 40 {
		t.Errorf("ListTokens = %d tokens, %v; want 40", len(ts), err)
	}
}

// TestIntegrityCheck: the rules are store.New's and storetest checks them
// on every backend; what is SQLite's own is the file's integrity check.
func TestIntegrityCheck(t *testing.T) {
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	putOrg(t, st, "acme", 2)
	if _, err := create(st, "acme", "a"); err != nil {
		t.Fatalf("create: %v", err)
	}
	if v, err := st.IntegrityCheck(context.Background()); err != nil || v != "ok" {
		t.Errorf("IntegrityCheck = %q, %v; want ok", v, err)
	}
}
