package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
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

func TestStoreRules(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "r.db"))
	putOrg(t, st, "acme", 2)

	t.Run("a token of an unknown org is ErrNotFound", func(t *testing.T) {
		if _, err := create(st, "nobody", "x"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
	})
	t.Run("the limit is a LimitError that matches ErrLimit", func(t *testing.T) {
		for _, id := range []string{"a", "b"} {
			if _, err := create(st, "acme", id); err != nil {
				t.Fatalf("create %s: %v", id, err)
			}
		}
		_, err := create(st, "acme", "c")
		var le *store.LimitError
		if !errors.As(err, &le) || !errors.Is(err, store.ErrLimit) || le.Count != 2 || le.Max != 2 {
			t.Errorf("got %v, want a LimitError of 2 of 2", err)
		}
	})
	t.Run("an unchanged update writes nothing", func(t *testing.T) {
		cursor, _, err := st.Changes(ctx, 1, 100)
		if err != nil {
			t.Fatalf("Changes: %v", err)
		}
		before, _, err := st.Audit(ctx, store.AuditQuery{Org: "acme"})
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		if _, _, err := st.UpdateToken(ctx, "acme", "a", func(cur store.Token, _ store.Org) (store.Token, error) { return cur, nil }, ev(store.ActionTokenUpdated)); err != nil {
			t.Fatalf("UpdateToken: %v", err)
		}
		after, _, _ := st.Audit(ctx, store.AuditQuery{Org: "acme"})
		next, ids, _ := st.Changes(ctx, cursor, 100)
		if len(after) != len(before) || next != cursor || len(ids) != 0 {
			t.Errorf("audit %d→%d entries, feed %d→%d; want nothing written", len(before), len(after), cursor, next)
		}
	})
	t.Run("a failed update leaves no audit entry", func(t *testing.T) {
		before, _, _ := st.Audit(ctx, store.AuditQuery{Org: "acme"})
		_, _, err := st.UpdateToken(ctx, "acme", "a", func(cur store.Token, _ store.Org) (store.Token, error) {
			cur.Label = "b" // taken
			return cur, nil
		}, ev(store.ActionTokenUpdated))
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("got %v, want ErrConflict", err)
		}
		if after, _, _ := st.Audit(ctx, store.AuditQuery{Org: "acme"}); len(after) != len(before) {
			t.Errorf("audit grew from %d to %d entries on a refused update", len(before), len(after))
		}
	})
	t.Run("last use is written at most once per gap", func(t *testing.T) {
		for i, at := range []time.Time{t0, t0.Add(30 * time.Second), t0.Add(61 * time.Second)} {
			if err := st.TouchLastUsed(ctx, []string{"a"}, at, time.Minute); err != nil {
				t.Fatalf("TouchLastUsed %d: %v", i, err)
			}
		}
		got, _ := st.GetToken(ctx, "acme", "a")
		if want := t0.Add(61 * time.Second); got.LastUsedAt == nil || !got.LastUsedAt.Equal(want) {
			t.Errorf("last_used_at = %v, want %v", got.LastUsedAt, want)
		}
	})
	t.Run("a cursor from the future resets to the current one", func(t *testing.T) {
		cur, _, _ := st.Changes(ctx, 0, 10)
		next, ids, err := st.Changes(ctx, cur+1000, 10)
		if err != nil || next != cur || len(ids) != 0 {
			t.Errorf("Changes(future) = %d %v %v, want %d and no ids", next, ids, err, cur)
		}
	})
	t.Run("the integrity check passes", func(t *testing.T) {
		if v, err := st.IntegrityCheck(ctx); err != nil || v != "ok" {
			t.Errorf("IntegrityCheck = %q, %v", v, err)
		}
	})
}
