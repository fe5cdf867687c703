package verify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

// introspectByID answers a question by token id and org, as oatstore does:
// the active answer of a token with that id in that org, else inactive.
func (s *fakeStore) introspectByID(w http.ResponseWriter, r *http.Request) {
	id, org := r.PostFormValue(storeapi.TokenIDParam), r.PostFormValue(storeapi.OrgParam)
	s.mu.Lock()
	answer := storeapi.Introspection{}
	for _, a := range s.tokens {
		if a.TokenID == id && a.Org == org {
			answer = a
		}
	}
	s.mu.Unlock()
	body, _ := json.Marshal(answer)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func verifyIDOK(t *testing.T, v *Verifier, org, id string) *Identity {
	t.Helper()
	got, err := v.VerifyID(context.Background(), org, id)
	if err != nil {
		t.Fatalf("VerifyID(%s, %s): %v", org, id, err)
	}
	return got
}

func TestVerifyID(t *testing.T) {
	t.Run("a token verified by its secret is known by id without asking the store", func(t *testing.T) {
		s := newFakeStore(t)
		v, _ := newTestVerifier(t, s, nil)
		learnCursor(t, v)
		tok := s.add(t, "tok-seen", "acme", testScope, time.Time{})
		verifyOK(t, v, tok)
		if id := verifyIDOK(t, v, "acme", "tok-seen"); id == nil || id.TokenID != "tok-seen" {
			t.Fatalf("got %+v, want tok-seen", id)
		}
		wantCalls(t, s, 1)
	})
	t.Run("a token never seen is asked by id once, then cached", func(t *testing.T) {
		s := newFakeStore(t)
		v, _ := newTestVerifier(t, s, nil)
		learnCursor(t, v)
		s.add(t, "tok-new", "acme", testScope, time.Time{})
		for range 3 {
			if id := verifyIDOK(t, v, "acme", "tok-new"); id == nil || id.Label != "label-tok-new" {
				t.Fatalf("got %+v, want tok-new", id)
			}
		}
		wantCalls(t, s, 1)
	})
	t.Run("a token of another org is not active", func(t *testing.T) {
		s := newFakeStore(t)
		v, _ := newTestVerifier(t, s, nil)
		learnCursor(t, v)
		tok := s.add(t, "tok-acme", "acme", testScope, time.Time{})
		verifyOK(t, v, tok)
		if id := verifyIDOK(t, v, "other", "tok-acme"); id != nil {
			t.Fatalf("got %+v for org other, want nil", id)
		}
	})
	t.Run("an unknown id is not active, and that is cached for the negative ttl", func(t *testing.T) {
		s := newFakeStore(t)
		v, clk := newTestVerifier(t, s, nil)
		learnCursor(t, v)
		for range 2 {
			if id := verifyIDOK(t, v, "acme", "tok-nobody"); id != nil {
				t.Fatalf("got %+v, want nil", id)
			}
		}
		wantCalls(t, s, 1)
		clk.Advance(DefaultNegativeTTL + time.Second)
		verifyIDOK(t, v, "acme", "tok-nobody")
		wantCalls(t, s, 2)
	})
	t.Run("an expired token is not active by id", func(t *testing.T) {
		s := newFakeStore(t)
		v, clk := newTestVerifier(t, s, nil)
		learnCursor(t, v)
		s.add(t, "tok-exp", "acme", testScope, time.Now().Add(time.Minute))
		if id := verifyIDOK(t, v, "acme", "tok-exp"); id == nil {
			t.Fatal("got nil before expiry, want the identity")
		}
		clk.Advance(2 * time.Minute)
		if id := verifyIDOK(t, v, "acme", "tok-exp"); id != nil {
			t.Fatalf("got %+v after expiry, want nil", id)
		}
	})
	t.Run("a token never seen while the store is down is unavailable", func(t *testing.T) {
		s := newFakeStore(t)
		v, _ := newTestVerifier(t, s, func(c *Config) { c.Retries = -1 })
		learnCursor(t, v)
		s.mode.Store(answer503)
		if id, err := v.VerifyID(context.Background(), "acme", "tok-x"); !errors.Is(err, ErrUnavailable) || id != nil {
			t.Fatalf("got (%+v, %v), want ErrUnavailable", id, err)
		}
	})
	t.Run("a token seen within max_stale keeps working while the store is down", func(t *testing.T) {
		s := newFakeStore(t)
		v, clk := newTestVerifier(t, s, func(c *Config) { c.Retries = -1 })
		learnCursor(t, v)
		s.add(t, "tok-stale", "acme", testScope, time.Time{})
		verifyIDOK(t, v, "acme", "tok-stale")
		s.mode.Store(answer503)
		clk.Advance(DefaultCacheTTL + time.Second)
		if id := verifyIDOK(t, v, "acme", "tok-stale"); id == nil {
			t.Fatal("got nil within max_stale, want the identity")
		}
		clk.Advance(DefaultMaxStale)
		if _, err := v.VerifyID(context.Background(), "acme", "tok-stale"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("past max_stale: got %v, want ErrUnavailable", err)
		}
	})
}

func TestARevokedTokenIsRefusedByIDWithinOnePoll(t *testing.T) {
	s := newFakeStore(t)
	v, _ := newTestVerifier(t, s, func(c *Config) { c.RevocationPoll = 50 * time.Millisecond })
	v.Start()
	waitFor(t, "first feed poll", func() bool { return v.cache.floor.Load() > 0 })
	tok := s.add(t, "tok-gone", "acme", testScope, time.Time{})
	verifyOK(t, v, tok)
	verifyIDOK(t, v, "acme", "tok-gone")

	s.revoke("tok-gone")
	revokedAt := time.Now()
	waitFor(t, "the revocation to reach the id index", func() bool {
		id, err := v.VerifyID(context.Background(), "acme", "tok-gone")
		return err == nil && id == nil
	})
	if took := time.Since(revokedAt); took > 2*time.Second {
		t.Errorf("refused by id after %s, want within 2 s", took)
	}
}
