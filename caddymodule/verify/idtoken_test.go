package verify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/access"
	"github.com/oatgate/oatgate/caddymodule/idtoken"
	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

// A CI job's ID token as the verifier sees it: the verifier never parses
// it (the store does), so any string stands in for one here.
const (
	jobJWT   = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvYXBwIn0.c2lnbmF0dXJl"
	otherJWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmdsb2JleC9hcHAifQ.c2lnbmF0dXJl"
)

// federatedKey is where the fake store keeps the answer for jwt under org,
// as oatstore keeps one federated token per (org, JWT).
func federatedKey(org, jwt string) string { return "federated\x00" + org + "\x00" + jwt }

// addFederated makes the fake store accept jwt under org's policy, with a
// federated token of id expiring at exp.
func (s *fakeStore) addFederated(org, jwt, id, policy string, exp time.Time) {
	secs := exp.Unix()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[federatedKey(org, jwt)] = storeapi.Introspection{
		Active: true, TokenID: id, Label: "job", Org: org, Scope: testScope, Exp: &secs,
		Kind: storeapi.KindFederated, Policy: policy,
	}
}

func verifyIDToken(t *testing.T, v *Verifier, org, jwt, client string) (*Identity, *Refusal) {
	t.Helper()
	id, r, err := v.VerifyIDToken(context.Background(), org, jwt, client)
	if err != nil {
		t.Fatalf("VerifyIDToken(%s): got error %v, want none", org, err)
	}
	return id, r
}

func TestVerifyIDToken(t *testing.T) {
	s := newFakeStore(t)
	v, clk := newTestVerifier(t, s, nil)
	learnCursor(t, v)
	exp := clk.Now().Add(15 * time.Minute)
	s.addFederated("acme", jobJWT, "tok_fed1", "gha-main", exp)

	id, _ := verifyIDToken(t, v, "acme", jobJWT, "192.0.2.1")
	if id == nil || id.TokenID != "tok_fed1" || id.Org != "acme" || id.Policy != "gha-main" || !id.Grants.Allows("acme/app", access.Push) {
		t.Fatalf("identity: got %+v, want tok_fed1 of acme under gha-main with push on acme/app", id)
	}
	wantCalls(t, s, 1)

	t.Run("the same JWT under the same org is answered from the cache", func(t *testing.T) {
		if got, _ := verifyIDToken(t, v, "acme", jobJWT, "192.0.2.1"); got != id {
			t.Fatalf("got %+v, want the cached identity", got)
		}
		wantCalls(t, s, 1)
	})
	t.Run("the same JWT under another username is asked about that org and refused", func(t *testing.T) {
		got, r := verifyIDToken(t, v, "globex", jobJWT, "192.0.2.1")
		if got != nil || r == nil || r.Known() {
			t.Fatalf("got (%+v, %+v), want an unknown refusal", got, r)
		}
		wantCalls(t, s, 2)
	})
	t.Run("the JWT as an access token is a question of its own", func(t *testing.T) {
		if got, _ := verifyFrom(t, v, jobJWT, ""); got != nil {
			t.Fatalf("got %+v, want no identity", got)
		}
		wantCalls(t, s, 3)
	})
	t.Run("an empty username is refused without asking the store", func(t *testing.T) {
		if got, r := verifyIDToken(t, v, "", jobJWT, ""); got != nil || r == nil {
			t.Fatalf("got (%+v, %+v), want a refusal", got, r)
		}
		wantCalls(t, s, 3)
	})
	t.Run("past the federated token's expiry the cached answer is refused as expired", func(t *testing.T) {
		clk.Advance(15*time.Minute + time.Second)
		got, r := verifyIDToken(t, v, "acme", jobJWT, "192.0.2.1")
		if got != nil || r == nil || r.Reason != storeapi.ReasonExpired || r.TokenID != "tok_fed1" {
			t.Fatalf("got (%+v, %+v), want tok_fed1 refused as expired", got, r)
		}
	})
}

func TestARevokedFederatedTokenIsDroppedFromTheCache(t *testing.T) {
	s := newFakeStore(t)
	v, clk := newTestVerifier(t, s, nil)
	cursor := learnCursor(t, v)
	s.addFederated("acme", jobJWT, "tok_fed1", "gha-main", clk.Now().Add(time.Hour))
	if id, _ := verifyIDToken(t, v, "acme", jobJWT, ""); id == nil {
		t.Fatal("before the revocation: got no identity")
	}

	// What deleting the trust policy does on the store: its tokens are
	// revoked and listed in the feed.
	s.revoke("tok_fed1")
	if _, err := v.pollOnce(context.Background(), cursor); err != nil {
		t.Fatalf("feed poll: %v", err)
	}
	if id, r := verifyIDToken(t, v, "acme", jobJWT, ""); id != nil || r == nil {
		t.Fatalf("after the revocation: got (%+v, %+v), want a refusal", id, r)
	}
	wantCalls(t, s, 2)
}

func TestUnknownIDTokensCountAgainstTheAddressBudget(t *testing.T) {
	s := newFakeStore(t)
	v, _ := newTestVerifier(t, s, func(c *Config) { c.UnknownPerMinute = 2 })
	verifyIDToken(t, v, "acme", jobJWT, "192.0.2.9")
	verifyIDToken(t, v, "acme", otherJWT, "192.0.2.9")
	_, _, err := v.VerifyIDToken(context.Background(), "globex", jobJWT, "192.0.2.9")
	if !errors.Is(err, ErrTooManyUnknown) {
		t.Fatalf("third unknown ID token from one address: got %v, want ErrTooManyUnknown", err)
	}
	wantCalls(t, s, 2)
}

func TestAStoreThatCannotReachTheIssuer(t *testing.T) {
	s := newFakeStore(t)
	obs := &countingObserver{}
	v, clk := newTestVerifier(t, s, func(c *Config) { c.Observer = obs; c.Retries = -1 })
	learnCursor(t, v)
	s.addFederated("acme", jobJWT, "tok_fed1", "gha-main", clk.Now().Add(time.Hour))
	if id, _ := verifyIDToken(t, v, "acme", jobJWT, ""); id == nil {
		t.Fatal("before the outage: got no identity")
	}
	s.mode.Store(answer503)

	t.Run("a new ID token is unavailable, not refused", func(t *testing.T) {
		id, r, err := v.VerifyIDToken(context.Background(), "acme", otherJWT, "")
		if !errors.Is(err, ErrUnavailable) || id != nil || r != nil {
			t.Fatalf("got (%+v, %+v, %v), want ErrUnavailable", id, r, err)
		}
	})
	t.Run("it is not counted as the store being down", func(t *testing.T) {
		if n := obs.unreachable.Load(); n != 0 {
			t.Fatalf("StoreReachable(false) reported %d times, want 0", n)
		}
	})
	t.Run("a login cached before keeps working past the cache TTL within the stale window", func(t *testing.T) {
		clk.Advance(DefaultCacheTTL + time.Second)
		if id, _ := verifyIDToken(t, v, "acme", jobJWT, ""); id == nil || id.TokenID != "tok_fed1" {
			t.Fatalf("got %+v, want tok_fed1 from the stale cache", id)
		}
	})
}

func TestIDTokenHashesNeverCollide(t *testing.T) {
	tests := []struct {
		name           string
		org1, jwt1     string
		org2, jwt2     string
		wantDifference bool
	}{
		{"the same pair hashes the same", "acme", jobJWT, "acme", jobJWT, false},
		{"another org hashes differently", "acme", jobJWT, "globex", jobJWT, true},
		{"a boundary moved between org and JWT hashes differently", "acme", "x" + jobJWT, "acmex", jobJWT, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := idTokenHash(tt.org1, tt.jwt1) != idTokenHash(tt.org2, tt.jwt2); diff != tt.wantDifference {
				t.Fatalf("hashes differ: got %v, want %v", diff, tt.wantDifference)
			}
		})
	}
	t.Run("an ID token never hashes as the same string presented as an access token", func(t *testing.T) {
		if idTokenHash("", jobJWT) == hashToken(jobJWT) {
			t.Fatal("same hash")
		}
	})
}

func TestACachedIDTokenLoginDoesNotAllocate(t *testing.T) {
	s := newFakeStore(t)
	v, clk := newTestVerifier(t, s, nil)
	learnCursor(t, v)
	s.addFederated("acme", jobJWT, "tok_fed1", "gha-main", clk.Now().Add(time.Hour))
	verifyIDToken(t, v, "acme", jobJWT, "")
	allocs := testing.AllocsPerRun(200, func() {
		if id, _, _ := v.VerifyIDToken(context.Background(), "acme", jobJWT, ""); id == nil {
			t.Fatal("cache hit: no identity")
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per cached login, want 0", allocs)
	}
}

func TestAMalformedIDTokenIsRefusedWithoutAskingTheStore(t *testing.T) {
	s := newFakeStore(t)
	v, _ := newTestVerifier(t, s, func(c *Config) { c.UnknownPerMinute = 1 })
	tests := []struct {
		name  string
		jwt   string
		cause error
	}{
		{"an unsigned token", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", idtoken.ErrUnsigned},
		{"two segments", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0", idtoken.ErrNotJWT},
		{"a header that is not JSON", "eyJub3Rqc29u.eyJzdWIiOiJ4In0.c2ln", idtoken.ErrHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is malformed", func(t *testing.T) {
			id, r, err := v.VerifyIDToken(context.Background(), "acme", tt.jwt, "192.0.2.3")
			if !errors.Is(err, ErrMalformedIDToken) || !errors.Is(err, tt.cause) || id != nil || r != nil {
				t.Fatalf("got (%+v, %+v, %v), want ErrMalformedIDToken wrapping %v", id, r, err, tt.cause)
			}
		})
	}
	wantCalls(t, s, 0)
	t.Run("and spends none of the address's budget", func(t *testing.T) {
		if _, _, err := v.VerifyIDToken(context.Background(), "acme", jobJWT, "192.0.2.3"); err != nil {
			t.Fatalf("a well-formed token after the malformed ones: %v", err)
		}
		wantCalls(t, s, 1)
	})
}

func TestAnOrgAtItsFederatedTokenLimit(t *testing.T) {
	s := newFakeStore(t)
	obs := &countingObserver{}
	v, _ := newTestVerifier(t, s, func(c *Config) { c.Observer = obs })
	s.mode.Store(answer429)
	for i := range 2 {
		id, r, err := v.VerifyIDToken(context.Background(), "acme", jobJWT, "192.0.2.4")
		if !errors.Is(err, ErrFederatedLimit) || id != nil || r != nil {
			t.Fatalf("call %d: got (%+v, %+v, %v), want ErrFederatedLimit", i, id, r, err)
		}
	}
	t.Run("is asked again each time: the answer changes as tokens expire", func(t *testing.T) {
		wantCalls(t, s, 2)
	})
	t.Run("is not the store being down", func(t *testing.T) {
		if n := obs.unreachable.Load(); n != 0 {
			t.Fatalf("StoreReachable(false) reported %d times, want 0", n)
		}
	})
}

// BenchmarkVerifyIDTokenCacheHit is the verifier's share of a cached CI job
// login: the cache key (SHA-256 of the JWT, then of the org with its
// digest) and the lookup, for a JWT of the size GitHub Actions issues.
func BenchmarkVerifyIDTokenCacheHit(b *testing.B) {
	s := &fakeStore{tokens: map[string]storeapi.Introspection{}, raw: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+storeapi.IntrospectPath, s.introspect)
	mux.HandleFunc("GET "+storeapi.RevocationsPath, s.revocations)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	v, err := New(Config{StoreURL: srv.URL, StoreKey: testKey})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	jwt := "eyJhbGciOiJSUzI1NiJ9." + strings.Repeat("eyJzdWIiOiJ4In0", 68) + "." + strings.Repeat("c2ln", 86)
	s.addFederated("acme", jwt, "tok_fed1", "gha-main", time.Now().Add(time.Hour))
	ctx := context.Background()
	if id, _, err := v.VerifyIDToken(ctx, "acme", jwt, ""); id == nil || err != nil {
		b.Fatalf("the first login: got (%+v, %v), want an identity", id, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if id, _, _ := v.VerifyIDToken(ctx, "acme", jwt, ""); id == nil {
			b.Fatal("cache miss")
		}
	}
}
