package verify

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

// verifyFrom calls VerifyFrom and fails the test on an error.
func verifyFrom(t *testing.T, v *Verifier, token, client string) (*Identity, *Refusal) {
	t.Helper()
	id, r, err := v.VerifyFrom(context.Background(), token, client)
	if err != nil {
		t.Fatalf("VerifyFrom: got error %v, want none", err)
	}
	return id, r
}

// unknownToken is a token of a valid format the store does not know.
func unknownToken(t *testing.T) string {
	t.Helper()
	tok, err := oat.Generate()
	if err != nil {
		t.Fatalf("generating token: %v", err)
	}
	return tok.Reveal()
}

func TestARefusalSaysWhyAndWhichKnownTokenItIs(t *testing.T) {
	s := newFakeStore(t)
	v, clk := newTestVerifier(t, s, nil)
	revoked := s.add(t, "tok-revoked", "acme", testScope, time.Time{})
	s.setInactive("tok-revoked", storeapi.ReasonRevoked)
	deactivated := s.add(t, "tok-off", "acme", testScope, time.Time{})
	s.setInactive("tok-off", storeapi.ReasonDeactivated)
	expiring := s.add(t, "tok-exp", "acme", testScope, clk.Now().Add(time.Hour))
	verifyOK(t, v, expiring) // cached while active

	tests := []struct {
		name  string
		token string
		later time.Duration
		want  Refusal
	}{
		{"an unknown token is refused as unknown, with no id", unknownToken(t), 0, Refusal{Reason: storeapi.ReasonUnknown}},
		{"a revoked token is refused as revoked, with its id, label and org", revoked, 0,
			Refusal{Reason: storeapi.ReasonRevoked, TokenID: "tok-revoked", Label: "label-tok-revoked", Org: "acme"}},
		{"a deactivated token is refused as deactivated, with its id", deactivated, 0,
			Refusal{Reason: storeapi.ReasonDeactivated, TokenID: "tok-off", Label: "label-tok-off", Org: "acme"}},
		{"a cached token past its expiry is refused as expired, with its id", expiring, time.Hour,
			Refusal{Reason: storeapi.ReasonExpired, TokenID: "tok-exp", Label: "label-tok-exp", Org: "acme"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Advance(tt.later)
			for _, from := range []string{"the store", "the cache"} {
				id, r := verifyFrom(t, v, tt.token, "")
				if id != nil || r == nil || *r != tt.want {
					t.Fatalf("from %s: got (%+v, %+v), want (nil, %+v)", from, id, r, tt.want)
				}
			}
		})
	}
}

// A reactivated token used to wait out NegativeTTL (30 s); the feed's
// change for its id now drops the refusal at once.
func TestAReactivatedTokenWorksAgainWithinOneFeedPoll(t *testing.T) {
	s := newFakeStore(t)
	v, _ := newTestVerifier(t, s, func(c *Config) { c.NegativeTTL = time.Hour })
	cursor := learnCursor(t, v)
	tok := s.add(t, "tok-1", "acme", testScope, time.Time{})
	s.setInactive("tok-1", storeapi.ReasonDeactivated)
	if id, r := verifyFrom(t, v, tok, ""); id != nil || r.Reason != storeapi.ReasonDeactivated {
		t.Fatalf("deactivated token: got (%+v, %+v), want a deactivated refusal", id, r)
	}
	verifyFrom(t, v, tok, "")
	wantCalls(t, s, 1) // the refusal is cached

	s.setInactive("tok-1", storeapi.ReasonUnknown) // activated
	if _, err := v.pollOnce(context.Background(), cursor); err != nil {
		t.Fatalf("feed poll: %v", err)
	}
	if id, r := verifyFrom(t, v, tok, ""); id == nil || id.TokenID != "tok-1" {
		t.Fatalf("reactivated token after one feed poll: got (%+v, %+v), want tok-1", id, r)
	}
	wantCalls(t, s, 2)
}

func TestARefusalOfAnUnknownTokenIsKeptWhateverTheFeedSays(t *testing.T) {
	s := newFakeStore(t)
	v, _ := newTestVerifier(t, s, nil)
	cursor := learnCursor(t, v)
	unknown := unknownToken(t)
	verifyFrom(t, v, unknown, "")
	s.revoke("tok-unrelated")
	if _, err := v.pollOnce(context.Background(), cursor); err != nil {
		t.Fatalf("feed poll: %v", err)
	}
	verifyFrom(t, v, unknown, "")
	wantCalls(t, s, 1)
}

// Reproduces issue 12 item 2: with cache_size 50, 3,000 made-up tokens
// evicted every verified token, and a store outage then made every real
// token 503.
func TestAFloodOfUnknownTokensNeverEvictsVerifiedOnes(t *testing.T) {
	s := newFakeStore(t)
	v, _ := newTestVerifier(t, s, func(c *Config) { c.CacheSize = 50 })
	var valid []string
	for i := range 20 {
		tok := s.add(t, fmt.Sprintf("tok-%d", i), "acme", testScope, time.Time{})
		verifyOK(t, v, tok)
		valid = append(valid, tok)
	}
	for range 3000 {
		if id := verifyOK(t, v, unknownToken(t)); id != nil {
			t.Fatalf("unknown token verified as %+v", id)
		}
	}
	s.mode.Store(answerDropConnection)
	for i, tok := range valid {
		if id, err := v.Verify(context.Background(), tok); err != nil || id == nil {
			t.Fatalf("verified token %d during an outage after the flood: got (%+v, %v), want its identity from the cache", i, id, err)
		}
	}
}

func TestUnknownTokensAreBoundedPerClientAddress(t *testing.T) {
	s := newFakeStore(t)
	v, clk := newTestVerifier(t, s, func(c *Config) { c.UnknownPerMinute = 5 })
	valid := s.add(t, "tok-1", "acme", testScope, time.Time{})
	verifyFrom(t, v, valid, "192.0.2.1:5000") // cached before the flood

	for i := range 5 {
		if _, r := verifyFrom(t, v, unknownToken(t), "192.0.2.1:5000"); r == nil {
			t.Fatalf("unknown token %d: got no refusal", i)
		}
	}
	wantCalls(t, s, 6)

	t.Run("past the budget the address's uncached tokens are refused without asking the store", func(t *testing.T) {
		id, r, err := v.VerifyFrom(context.Background(), unknownToken(t), "192.0.2.1:6000")
		if !errors.Is(err, ErrTooManyUnknown) || id != nil || r != nil {
			t.Fatalf("got (%+v, %+v, %v), want ErrTooManyUnknown", id, r, err)
		}
		wantCalls(t, s, 6)
	})
	t.Run("the address's cached tokens still work", func(t *testing.T) {
		if id, _ := verifyFrom(t, v, valid, "192.0.2.1:5000"); id == nil {
			t.Fatal("cached token of a flooding address: got no identity")
		}
	})
	t.Run("another address is not affected", func(t *testing.T) {
		verifyFrom(t, v, unknownToken(t), "192.0.2.2:5000")
		wantCalls(t, s, 7)
	})
	t.Run("a caller that gives no address is not bounded", func(t *testing.T) {
		verifyFrom(t, v, unknownToken(t), "")
		wantCalls(t, s, 8)
	})
	t.Run("the budget refills with time", func(t *testing.T) {
		clk.Advance(time.Minute)
		verifyFrom(t, v, unknownToken(t), "192.0.2.1:5000")
		wantCalls(t, s, 9)
	})
}

func TestClientKey(t *testing.T) {
	tests := []struct {
		name, client, want string
	}{
		{"an IPv4 address is its own key", "192.0.2.1", "192.0.2.1"},
		{"an IPv4 address with a port drops the port", "192.0.2.1:443", "192.0.2.1"},
		{"an IPv4-mapped IPv6 address is the IPv4 address", "::ffff:192.0.2.1", "192.0.2.1"},
		{"an IPv6 address is its /64", "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"an IPv6 address with a port is its /64", "[2001:db8:1:2::7]:443", "2001:db8:1:2::/64"},
		{"anything else is its own key", "unix-socket", "unix-socket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clientKey(tt.client); got != tt.want {
				t.Fatalf("clientKey(%q): got %q, want %q", tt.client, got, tt.want)
			}
		})
	}
}

func TestTheBudgetTableStaysBounded(t *testing.T) {
	clk := newClock()
	b := newUnknownBudget(1, clk.Now)
	for i := range maxTrackedClients + 10 {
		b.charge(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
	}
	if n := len(b.buckets); n > maxTrackedClients {
		t.Fatalf("tracked %d addresses, want at most %d", n, maxTrackedClients)
	}
	if b.allows("172.16.0.1") {
		t.Fatal("a new address past a full table: allowed, want it to share the spent overflow budget")
	}
	clk.Advance(time.Minute)
	if !b.allows("172.16.0.1") {
		t.Fatal("after a minute: not allowed, want the budgets refilled")
	}
	b.charge("172.16.0.2")
	if n := len(b.buckets); n > 1 {
		t.Fatalf("after refilling, a charge kept %d addresses, want the refilled ones dropped", n)
	}
}

func TestAddressesPastAFullTableShareOneBudget(t *testing.T) {
	clk := newClock()
	b := newUnknownBudget(2, clk.Now)
	for i := range maxTrackedClients {
		b.charge(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
	}
	if !b.allows("172.16.0.1") {
		t.Fatal("the first address past a full table: refused, want the fresh overflow budget")
	}
	b.charge("172.16.0.1")
	b.charge("172.16.0.2")
	if b.allows("172.16.0.3") {
		t.Fatal("a third address past a full table: allowed, want the shared budget spent")
	}
}
