package server_test

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestRevocations(t *testing.T) {
	e := newEnv(t, "")
	e.putOrg("acme", `{}`)
	a := e.create("acme", ciToken("a"))
	b := e.create("acme", ciToken("b"))
	c := e.create("acme", ciToken("c"))

	start := e.feed("")
	t.Run("a fresh gateway gets the current cursor and no ids", func(t *testing.T) {
		if len(start.TokenIDs) != 0 || start.Cursor == "" {
			t.Errorf("got %+v, want a cursor and no ids", start)
		}
		if again := e.on(t).feed("?after=0"); again.Cursor != start.Cursor || len(again.TokenIDs) != 0 {
			t.Errorf("after=0 gave %+v, want %+v", again, start)
		}
	})

	e.mustStatus(e.admin("POST", "/v1/orgs/acme/tokens/"+a.ID+"/revoke", nil), http.StatusOK)
	e.mustStatus(e.admin("PATCH", "/v1/orgs/acme/tokens/"+b.ID, `{"scopes":["repository:acme/app:pull"]}`), http.StatusOK)
	e.mustStatus(e.admin("DELETE", "/v1/orgs/acme/tokens/"+c.ID+"?purge=true", nil), http.StatusNoContent)
	e.mustStatus(e.admin("POST", "/v1/orgs/acme/tokens/"+b.ID+"/deactivate", nil), http.StatusOK)

	var afterChanges feedAnswer
	t.Run("revoked, rescoped, deactivated and deleted tokens are listed once each", func(t *testing.T) {
		afterChanges = e.on(t).feed("?after=" + start.Cursor)
		want := []string{a.ID, b.ID, c.ID}
		if !slices.Equal(afterChanges.TokenIDs, want) || afterChanges.Cursor == start.Cursor {
			t.Errorf("got %+v, want ids %v and a new cursor", afterChanges, want)
		}
	})
	t.Run("polling from the new cursor lists nothing", func(t *testing.T) {
		if got := e.on(t).feed("?after=" + afterChanges.Cursor); len(got.TokenIDs) != 0 || got.Cursor != afterChanges.Cursor {
			t.Errorf("got %+v, want no ids and cursor %s", got, afterChanges.Cursor)
		}
	})
	t.Run("an unchanged PATCH adds nothing to the feed", func(t *testing.T) {
		e := e.on(t)
		e.mustStatus(e.admin("PATCH", "/v1/orgs/acme/tokens/"+b.ID, `{"label":"b"}`), http.StatusOK)
		if got := e.feed("?after=" + afterChanges.Cursor); len(got.TokenIDs) != 0 {
			t.Errorf("got %+v, want no ids", got)
		}
	})
	t.Run("a long poll wakes when a token is revoked", func(t *testing.T) {
		e := e.on(t)
		d := e.create("acme", ciToken("d"))
		done := make(chan feedAnswer, 1)
		began := time.Now()
		go func() {
			r := e.do("GET", "/v1/revocations?after="+afterChanges.Cursor+"&wait=20s", gatewayKey, "", nil)
			var f feedAnswer
			if r.status == http.StatusOK {
				r.json(t, &f)
			}
			done <- f
		}()
		time.Sleep(100 * time.Millisecond)
		e.mustStatus(e.admin("DELETE", "/v1/orgs/acme/tokens/"+d.ID, nil), http.StatusOK)
		got := <-done
		if !slices.Equal(got.TokenIDs, []string{d.ID}) {
			t.Errorf("long poll got %+v, want [%s]", got, d.ID)
		}
		if took := time.Since(began); took > 10*time.Second {
			t.Errorf("long poll took %v, want it woken by the revoke", took)
		}
		afterChanges = got
	})
	t.Run("a long poll without changes ends after its wait", func(t *testing.T) {
		began := time.Now()
		got := e.on(t).feed("?after=" + afterChanges.Cursor + "&wait=200ms")
		if took := time.Since(began); len(got.TokenIDs) != 0 || took < 200*time.Millisecond {
			t.Errorf("got %+v after %v, want nothing after at least 200ms", got, took)
		}
	})
	for _, tc := range []struct{ name, query string }{
		{"a non-numeric cursor is refused", "?after=abc"},
		{"a negative cursor is refused", "?after=-1"},
		{"a bad wait is refused", "?after=1&wait=soon"},
		{"a negative wait is refused", "?after=1&wait=-1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.on(t)
			r := e.do("GET", "/v1/revocations"+tc.query, gatewayKey, "", nil)
			e.mustStatus(r, http.StatusBadRequest)
			r.errorCode(t)
		})
	}
	t.Run("the cursor survives a restart", func(t *testing.T) {
		e.stop()
		e2 := newEnv(t, e.dbPath)
		got := e2.feed("?after=" + start.Cursor)
		if got.Cursor != afterChanges.Cursor || len(got.TokenIDs) != 4 {
			t.Errorf("after restart got %+v, want cursor %s and 4 ids", got, afterChanges.Cursor)
		}
	})
}
