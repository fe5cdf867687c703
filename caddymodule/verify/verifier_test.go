package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/access"
	"github.com/oatgate/oatgate/caddymodule/oat"
)

const testScope = "repository:acme/app:pull,push"

// verifyOK calls Verify and fails the test on an error.
func verifyOK(t *testing.T, v *Verifier, token string) *Identity {
	t.Helper()
	id, err := v.Verify(context.Background(), token)
	if err != nil {
		t.Fatalf("Verify: got error %v, want none", err)
	}
	return id
}

// wantCalls checks how many introspections the store has seen.
func wantCalls(t *testing.T, s *fakeStore, want int64) {
	t.Helper()
	if got := s.introspections.Load(); got != want {
		t.Fatalf("store introspections: got %d, want %d", got, want)
	}
}

func TestVerifyAnswersFromTheCache(t *testing.T) {
	s := newFakeStore(t)
	obs := &countingObserver{}
	v, clk := newTestVerifier(t, s, func(c *Config) { c.Observer = obs })
	exp := time.Now().Add(24 * time.Hour).Truncate(time.Second)
	tok := s.add(t, "tok-1", "acme", testScope, exp)

	id := verifyOK(t, v, tok)
	if id == nil {
		t.Fatal("Verify of an active token: got nil identity")
	}
	if id.TokenID != "tok-1" || id.Org != "acme" || id.Label != "label-tok-1" || !id.Expires().Equal(exp) || !id.Grants.Allows("acme/app", access.Push) {
		t.Fatalf("identity: got %+v, want tok-1/acme/label-tok-1/%s with grants of %q", id, exp, testScope)
	}
	wantCalls(t, s, 1)

	t.Run("a second call within CacheTTL does not ask the store", func(t *testing.T) {
		clk.Advance(DefaultCacheTTL - time.Second)
		if got := verifyOK(t, v, tok); got != id {
			t.Fatalf("cached identity: got %p, want the same %p", got, id)
		}
		wantCalls(t, s, 1)
		if obs.hits.Load() != 1 || obs.misses.Load() != 1 {
			t.Fatalf("observer: got %d hits %d misses, want 1 and 1", obs.hits.Load(), obs.misses.Load())
		}
	})
	t.Run("after CacheTTL the store is asked again", func(t *testing.T) {
		clk.Advance(2 * time.Second)
		if got := verifyOK(t, v, tok); got == nil || got.TokenID != "tok-1" {
			t.Fatalf("re-verified identity: got %+v, want tok-1", got)
		}
		wantCalls(t, s, 2)
	})
}

func TestVerifyCachesNegativeAnswers(t *testing.T) {
	s := newFakeStore(t)
	v, clk := newTestVerifier(t, s, nil)
	tok, err := oat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if id := verifyOK(t, v, tok.Reveal()); id != nil {
			t.Fatalf("call %d: unknown token: got %+v, want nil", i, id)
		}
	}
	wantCalls(t, s, 1)
	clk.Advance(DefaultNegativeTTL)
	if id := verifyOK(t, v, tok.Reveal()); id != nil {
		t.Fatalf("unknown token after NegativeTTL: got %+v, want nil", id)
	}
	wantCalls(t, s, 2)
}

func TestVerifyChecksExpiryOnEveryCall(t *testing.T) {
	s := newFakeStore(t)
	v, clk := newTestVerifier(t, s, nil)
	tok := s.add(t, "tok-exp", "acme", testScope, clk.Now().Add(time.Minute))
	if id := verifyOK(t, v, tok); id == nil {
		t.Fatal("token before its expiry: got nil, want an identity")
	}
	clk.Advance(time.Minute)
	if id := verifyOK(t, v, tok); id != nil {
		t.Fatalf("cached token at its expiry: got %+v, want nil", id)
	}
	wantCalls(t, s, 1)

	t.Run("a token the store calls active but already expired is not active", func(t *testing.T) {
		old := s.add(t, "tok-old", "acme", testScope, clk.Now().Add(-time.Hour))
		if id := verifyOK(t, v, old); id != nil {
			t.Fatalf("expired token: got %+v, want nil", id)
		}
	})
}

func TestVerifyThroughAStoreOutage(t *testing.T) {
	s := newFakeStore(t)
	v, clk := newTestVerifier(t, s, func(c *Config) { c.Retries = -1 })
	tok := s.add(t, "tok-1", "acme", testScope, time.Time{})
	unknown, err := oat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	verifyOK(t, v, tok)
	verifyOK(t, v, unknown.Reveal())
	s.mode.Store(answerDropConnection)

	t.Run("a token verified within MaxStale keeps working", func(t *testing.T) {
		clk.Advance(DefaultMaxStale - time.Minute)
		if id := verifyOK(t, v, tok); id == nil || id.TokenID != "tok-1" {
			t.Fatalf("stale token during outage: got %+v, want tok-1", id)
		}
	})
	t.Run("a negative answer is never used stale", func(t *testing.T) {
		if _, err := v.Verify(context.Background(), unknown.Reveal()); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("stale negative during outage: got %v, want ErrUnavailable", err)
		}
	})
	t.Run("a new token is unavailable, not unauthorized", func(t *testing.T) {
		fresh := s.add(t, "tok-2", "acme", testScope, time.Time{})
		id, err := v.Verify(context.Background(), fresh)
		if id != nil || !errors.Is(err, ErrUnavailable) {
			t.Fatalf("new token during outage: got (%+v, %v), want (nil, ErrUnavailable)", id, err)
		}
	})
	t.Run("beyond MaxStale the token is unavailable", func(t *testing.T) {
		clk.Advance(time.Minute)
		if _, err := v.Verify(context.Background(), tok); err != ErrUnavailable {
			t.Fatalf("token past MaxStale: got %v, want ErrUnavailable", err)
		}
	})
	t.Run("everything recovers when the store returns", func(t *testing.T) {
		s.mode.Store(answerNormally)
		if id := verifyOK(t, v, tok); id == nil {
			t.Fatal("token after recovery: got nil, want an identity")
		}
		if id := verifyOK(t, v, unknown.Reveal()); id != nil {
			t.Fatalf("unknown token after recovery: got %+v, want nil", id)
		}
	})
}

func TestVerifyRefusesUntrustworthyAnswers(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"a body that is not JSON", `<html>oops</html>`},
		{"an answer without active", `{"token_id":"x","org":"acme"}`},
		{"active as a string", `{"active":"true","token_id":"x","org":"acme"}`},
		{"active without token_id", `{"active":true,"org":"acme"}`},
		{"active without org", `{"active":true,"token_id":"x"}`},
		{"a fractional exp", `{"active":true,"token_id":"x","org":"acme","exp":1.5}`},
		{"two JSON objects", `{"active":false}{"active":true,"token_id":"x","org":"acme"}`},
		{"a body over 64 KiB", `{"active":true,"token_id":"x","org":"acme","label":"` + strings.Repeat("a", 70<<10) + `"}`},
	}
	s := newFakeStore(t)
	v, _ := newTestVerifier(t, s, nil)
	for _, tt := range tests {
		t.Run(tt.name+" is an error, not an identity", func(t *testing.T) {
			tok := s.setRaw(t, tt.body)
			id, err := v.Verify(context.Background(), tok)
			if id != nil || err != ErrUnavailable {
				t.Fatalf("got (%+v, %v), want (nil, ErrUnavailable)", id, err)
			}
		})
	}
}

func TestVerifyAsksOnceForConcurrentRequests(t *testing.T) {
	s := newFakeStore(t)
	v, _ := newTestVerifier(t, s, nil)
	tok := s.add(t, "tok-herd", "acme", testScope, time.Time{})
	s.delay.Store(int64(20 * time.Millisecond))

	const n = 1000
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			<-start
			id, err := v.Verify(context.Background(), tok)
			if err == nil && id == nil {
				err = errors.New("nil identity")
			}
			if err != nil {
				errs <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Verify: got %v, want an identity", err)
	}
	wantCalls(t, s, 1)
}

func TestVerifyAsksOncePerUnknownTokenPerNegativeTTL(t *testing.T) {
	s := newFakeStore(t)
	v, _ := newTestVerifier(t, s, nil)
	const n = 10_000
	tokens := make([]string, n)
	for i := range tokens {
		tok, err := oat.Generate()
		if err != nil {
			t.Fatal(err)
		}
		tokens[i] = tok.Reveal()
	}
	round := func() {
		t.Helper()
		var wg sync.WaitGroup
		next := make(chan string)
		for range 16 {
			wg.Go(func() {
				for tok := range next {
					if id, err := v.Verify(context.Background(), tok); id != nil || err != nil {
						t.Errorf("unknown token: got (%+v, %v), want (nil, nil)", id, err)
					}
				}
			})
		}
		for _, tok := range tokens {
			next <- tok
		}
		close(next)
		wg.Wait()
	}
	round()
	wantCalls(t, s, n)
	round()
	wantCalls(t, s, n)
}

func TestVerifyAfterCloseStillAnswers(t *testing.T) {
	s := newFakeStore(t)
	v, _ := newTestVerifier(t, s, nil)
	v.Start()
	tok := s.add(t, "tok-1", "acme", testScope, time.Time{})
	verifyOK(t, v, tok)
	if err := v.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := v.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if id := verifyOK(t, v, tok); id == nil {
		t.Fatal("Verify after Close: got nil, want an identity from the store")
	}
}

func TestHashTokenIsTheTokenHash(t *testing.T) {
	tok, err := oat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"", "oat_x", tok.Reveal(), strings.Repeat("a", maxStackToken), strings.Repeat("b", maxStackToken+1)} {
		t.Run(fmt.Sprintf("a %d-byte token hashes as oat.HashOf does", len(s)), func(t *testing.T) {
			if got, want := hashToken(s), oat.HashOf(s); got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
		})
	}
}

func TestAFloodOfUnknownTokensReachesTheStoreAtMostMaxIntrospectionsAtATime(t *testing.T) {
	s := newFakeStore(t)
	v, _ := newTestVerifier(t, s, func(c *Config) { c.Timeout = 3 * time.Second })
	s.delay.Store(int64(50 * time.Millisecond))
	const flood = 3 * MaxIntrospections
	var wg sync.WaitGroup
	for range flood {
		tok, err := oat.Generate()
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			if id, err := v.Verify(context.Background(), tok.Reveal()); id != nil || err != nil {
				t.Errorf("Verify of an unknown token: got (%v, %v), want (nil, nil)", id, err)
			}
		})
	}
	wg.Wait()
	if got := s.maxInFlight.Load(); got > MaxIntrospections {
		t.Errorf("the store saw %d introspections at once, want at most %d", got, MaxIntrospections)
	}
	wantCalls(t, s, flood)
}

func TestAnIntrospectionWithoutAFreeSlotIsUnavailableNotAnOutage(t *testing.T) {
	s := newFakeStore(t)
	v, _ := newTestVerifier(t, s, func(c *Config) { c.Timeout = 100 * time.Millisecond })
	for range MaxIntrospections {
		v.slots <- struct{}{}
	}
	tok := s.add(t, "tok-1", "acme", testScope, time.Time{})
	if _, err := v.Verify(context.Background(), tok); err != ErrUnavailable {
		t.Fatalf("Verify with every slot taken: got %v, want ErrUnavailable", err)
	}
	wantCalls(t, s, 0)
	if v.storeDown.Load() {
		t.Error("a busy gateway was logged as a store outage")
	}
}
