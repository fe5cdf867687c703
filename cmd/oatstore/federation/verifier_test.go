package federation_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/federation"
	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// clock is a settable clock the issuer and the verifier share.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	iss   *oidcissuer.Issuer
	v     *federation.Verifier
	clock *clock
}

func newFixture(t *testing.T, alg oidcissuer.Algorithm) *fixture {
	t.Helper()
	clk := &clock{t: time.Now().Truncate(time.Second)}
	iss, err := oidcissuer.New(oidcissuer.Options{Algorithm: alg, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(iss.Close)
	v := federation.NewVerifier(federation.VerifierConfig{
		Options: federation.Options{AllowLoopbackHTTP: true},
		Now:     clk.now,
	})
	return &fixture{iss: iss, v: v, clock: clk}
}

func (f *fixture) mint(t *testing.T, mint func(oidcissuer.Claims) (string, error), claims oidcissuer.Claims) string {
	t.Helper()
	jwt, err := mint(claims)
	if err != nil {
		t.Fatalf("minting: %v", err)
	}
	return jwt
}

func (f *fixture) verify(t *testing.T, jwt string) (federation.Token, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return f.v.Verify(ctx, f.iss.URL(), jwt)
}

func TestAnHonestTokenOfEveryAlgorithmIsAccepted(t *testing.T) {
	for _, alg := range oidcissuer.Algorithms {
		t.Run(string(alg), func(t *testing.T) {
			f := newFixture(t, alg)
			tok, err := f.verify(t, f.mint(t, f.iss.Mint, oidcissuer.GitHub("acme", "app", "refs/heads/main")))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if tok.Subject != "repo:acme/app:ref:refs/heads/main" || tok.Claims["repository_owner"] != "acme" || !tok.HasAudience("oatgate") {
				t.Errorf("token = %+v, want GitHub's claims for audience oatgate", tok)
			}
		})
	}
}

func TestHostileTokensAreRefused(t *testing.T) {
	for _, alg := range oidcissuer.Algorithms {
		f := newFixture(t, alg)
		claims := oidcissuer.GitHub("acme", "app", "refs/heads/main")
		// Warm the keys, so that no refusal below is an outage in disguise.
		if _, err := f.verify(t, f.mint(t, f.iss.Mint, claims)); err != nil {
			t.Fatalf("warming: %v", err)
		}
		now := f.clock.now()
		tests := []struct {
			name string
			jwt  func() (string, error)
		}{
			{"alg none", func() (string, error) { return f.iss.MintNone(claims) }},
			{"HS256 keyed with the public key", func() (string, error) { return f.iss.MintHS256WithPublicKey(claims) }},
			{"an unknown kid", func() (string, error) { return f.iss.MintUnknownKid(claims) }},
			{"a tampered payload", func() (string, error) {
				return f.iss.MintTampered(claims, oidcissuer.Claims{"repository_owner": "evil"})
			}},
			{"an expired token", func() (string, error) { return f.iss.MintExpired(claims) }},
			{"a token not yet valid", func() (string, error) { return f.iss.MintNotYetValid(claims) }},
			{"a token past exp by more than the skew", func() (string, error) {
				return f.iss.Mint(oidcissuer.Claims{"exp": now.Add(-61 * time.Second).Unix(), "iat": now.Add(-time.Hour).Unix(), "nbf": nil})
			}},
			{"a token before nbf by more than the skew", func() (string, error) {
				return f.iss.Mint(oidcissuer.Claims{"nbf": now.Add(61 * time.Second).Unix(), "iat": nil})
			}},
			{"a token issued beyond the skew in the future", func() (string, error) {
				return f.iss.Mint(oidcissuer.Claims{"iat": now.Add(61 * time.Second).Unix(), "nbf": nil})
			}},
			// Seconds × 1e9 past int64 would wrap a far-future time into
			// the past.
			{"a token not valid before the year 2271", func() (string, error) {
				return f.iss.Mint(oidcissuer.Claims{"nbf": int64(9_500_000_000), "iat": nil})
			}},
			{"a token issued in the year 2271", func() (string, error) {
				return f.iss.Mint(oidcissuer.Claims{"iat": int64(9_500_000_000), "nbf": nil})
			}},
			{"a token without exp", func() (string, error) { return f.iss.Mint(oidcissuer.Claims{"exp": nil}) }},
			{"a token good for two days", func() (string, error) { return f.iss.Mint(oidcissuer.Claims{"exp": now.Add(48 * time.Hour).Unix()}) }},
			{"a token with a string exp", func() (string, error) { return f.iss.Mint(oidcissuer.Claims{"exp": "tomorrow"}) }},
			{"a token of another issuer", func() (string, error) {
				return f.iss.Mint(oidcissuer.Claims{"iss": "https://token.actions.githubusercontent.com"})
			}},
			{"garbage", func() (string, error) { return "not.a.jwt", nil }},
		}
		for _, tt := range tests {
			t.Run(string(alg)+": "+tt.name, func(t *testing.T) {
				jwt, err := tt.jwt()
				if err != nil {
					t.Fatalf("minting: %v", err)
				}
				if _, err := f.verify(t, jwt); !errors.Is(err, federation.ErrRefused) {
					t.Fatalf("Verify = %v, want ErrRefused", err)
				}
			})
		}
	}
}

func TestTimesWithinTheSkewAreAccepted(t *testing.T) {
	f := newFixture(t, oidcissuer.ES256)
	now := f.clock.now()
	tests := []struct {
		name   string
		claims oidcissuer.Claims
	}{
		{"exp 50 s ago", oidcissuer.Claims{"exp": now.Add(-50 * time.Second).Unix(), "iat": now.Add(-5 * time.Minute).Unix(), "nbf": nil}},
		{"nbf 50 s ahead", oidcissuer.Claims{"nbf": now.Add(50 * time.Second).Unix(), "iat": nil}},
		{"iat 50 s ahead", oidcissuer.Claims{"iat": now.Add(50 * time.Second).Unix(), "nbf": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.verify(t, f.mint(t, f.iss.Mint, tt.claims)); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

func TestALongerLifetimeIsAcceptedUpToMaxRemaining(t *testing.T) {
	f := newFixture(t, oidcissuer.RS256)
	long := federation.NewVerifier(federation.VerifierConfig{
		Options: federation.Options{AllowLoopbackHTTP: true}, Now: f.clock.now, MaxRemaining: 72 * time.Hour,
	})
	jwt := f.mint(t, f.iss.Mint, oidcissuer.Claims{"exp": f.clock.now().Add(48 * time.Hour).Unix()})
	if _, err := long.Verify(context.Background(), f.iss.URL(), jwt); err != nil {
		t.Fatalf("a two-day token under a 72 h maximum: %v", err)
	}
}

func TestAnHTTPIssuerNeedsTheLoopbackSwitch(t *testing.T) {
	f := newFixture(t, oidcissuer.RS256)
	strict := federation.NewVerifier(federation.VerifierConfig{Now: f.clock.now})
	_, err := strict.Verify(context.Background(), f.iss.URL(), f.mint(t, f.iss.Mint, nil))
	if !errors.Is(err, federation.ErrRefused) {
		t.Fatalf("Verify over http without the switch = %v, want ErrRefused", err)
	}
	if f.iss.JWKSFetches() != 0 || f.iss.DiscoveryFetches() != 0 {
		t.Errorf("the issuer was fetched from (%d discovery, %d JWKS), want never", f.iss.DiscoveryFetches(), f.iss.JWKSFetches())
	}
}

func TestAnHTTPSIssuerNeedsNoSwitch(t *testing.T) {
	iss, err := oidcissuer.New(oidcissuer.Options{TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(iss.Close)
	v := federation.NewVerifier(federation.VerifierConfig{Client: iss.Client()})
	jwt, err := iss.Mint(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), iss.URL(), jwt); err != nil {
		t.Fatalf("Verify over https: %v", err)
	}
}

func TestKeyRotationIsPickedUpAtTheNextAllowedRefetch(t *testing.T) {
	f := newFixture(t, oidcissuer.RS256)
	old := f.mint(t, f.iss.Mint, nil)
	if _, err := f.verify(t, old); err != nil {
		t.Fatalf("before rotation: %v", err)
	}
	if err := f.iss.Rotate(); err != nil {
		t.Fatal(err)
	}
	fresh := f.mint(t, f.iss.Mint, nil)
	if _, err := f.verify(t, fresh); !errors.Is(err, federation.ErrRefused) {
		t.Fatalf("a new key within a minute of the last fetch = %v, want ErrRefused (no refetch yet)", err)
	}
	f.clock.advance(61 * time.Second)
	if _, err := f.verify(t, fresh); err != nil {
		t.Fatalf("a new key after the refetch interval: %v", err)
	}
	if _, err := f.verify(t, old); !errors.Is(err, federation.ErrRefused) {
		t.Fatalf("a token of the dropped key = %v, want ErrRefused", err)
	}
}

func TestUnknownKidsRefetchAtMostOnceAMinute(t *testing.T) {
	f := newFixture(t, oidcissuer.ES256)
	if _, err := f.verify(t, f.mint(t, f.iss.Mint, nil)); err != nil {
		t.Fatal(err)
	}
	before := f.iss.JWKSFetches()
	f.clock.advance(61 * time.Second)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jwt, err := f.iss.MintUnknownKid(nil)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := f.v.Verify(context.Background(), f.iss.URL(), jwt); !errors.Is(err, federation.ErrRefused) {
				t.Errorf("Verify = %v, want ErrRefused", err)
			}
		}()
	}
	wg.Wait()
	if got := f.iss.JWKSFetches() - before; got != 1 {
		t.Errorf("50 unknown kids made %d JWKS fetches, want 1", got)
	}
}

func TestATamperedTokenCausesNoRefetch(t *testing.T) {
	f := newFixture(t, oidcissuer.EdDSA)
	if _, err := f.verify(t, f.mint(t, f.iss.Mint, nil)); err != nil {
		t.Fatal(err)
	}
	before := f.iss.JWKSFetches()
	f.clock.advance(2 * time.Minute)
	jwt := f.mint(t, func(c oidcissuer.Claims) (string, error) { return f.iss.MintTampered(c, oidcissuer.Claims{"sub": "x"}) }, nil)
	if _, err := f.verify(t, jwt); !errors.Is(err, federation.ErrRefused) {
		t.Fatalf("Verify = %v, want ErrRefused", err)
	}
	if got := f.iss.JWKSFetches() - before; got != 0 {
		t.Errorf("a tampered token of a known kid made %d JWKS fetches, want 0", got)
	}
}

func TestAnIssuerDownWithoutCachedKeysIsUnavailable(t *testing.T) {
	f := newFixture(t, oidcissuer.RS256)
	jwt := f.mint(t, f.iss.Mint, nil)
	f.iss.Stop()
	if _, err := f.verify(t, jwt); !errors.Is(err, federation.ErrUnavailable) {
		t.Fatalf("Verify with the issuer down and no keys = %v, want ErrUnavailable", err)
	}
	t.Run("and stays so without hammering it", func(t *testing.T) {
		if _, err := f.verify(t, jwt); !errors.Is(err, federation.ErrUnavailable) {
			t.Fatalf("Verify = %v, want ErrUnavailable", err)
		}
	})
	t.Run("until it is back and the backoff has passed", func(t *testing.T) {
		if err := f.iss.Start(); err != nil {
			t.Fatal(err)
		}
		f.clock.advance(6 * time.Second)
		if _, err := f.verify(t, jwt); err != nil {
			t.Fatalf("Verify after the issuer came back: %v", err)
		}
	})
}

func TestAnIssuerDownWithCachedKeysStillVerifies(t *testing.T) {
	f := newFixture(t, oidcissuer.ES256)
	if _, err := f.verify(t, f.mint(t, f.iss.Mint, nil)); err != nil {
		t.Fatal(err)
	}
	f.iss.Stop()
	if _, err := f.verify(t, f.mint(t, f.iss.Mint, oidcissuer.Claims{"sub": "another job"})); err != nil {
		t.Fatalf("Verify with cached keys and the issuer down: %v", err)
	}
	t.Run("even once the keys are old enough to refresh", func(t *testing.T) {
		f.clock.advance(2 * time.Hour)
		if _, err := f.verify(t, f.mint(t, f.iss.Mint, nil)); err != nil {
			t.Fatalf("Verify with stale keys and the issuer down: %v", err)
		}
	})
}

func TestPeekIssuer(t *testing.T) {
	f := newFixture(t, oidcissuer.RS256)
	tests := []struct {
		name string
		jwt  string
		want string
		ok   bool
	}{
		{"a minted token names its issuer", f.mint(t, f.iss.Mint, nil), f.iss.URL(), true},
		{"two segments are refused", "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0", "", false},
		{"four segments are refused", "a.b.c.d", "", false},
		{"a payload that is not base64url is refused", "a.!!!.c", "", false},
		{"a payload without iss is refused", "a.eyJzdWIiOiJ4In0.c", "", false},
		{"a numeric iss is refused", "a.eyJpc3MiOjF9.c", "", false},
		{"an empty token is refused", "", "", false},
		{"a token whose signature is re-spelled (padding bits set) is refused", respell(t, f.mint(t, f.iss.Mint, nil), 2), "", false},
		{"a token with a newline inside its signature is refused", newlineIn(f.mint(t, f.iss.Mint, nil)), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := federation.PeekIssuer(tt.jwt)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("PeekIssuer = %q, %v; want %q, ok %v", got, err, tt.want, tt.ok)
			}
			if err != nil && !errors.Is(err, federation.ErrRefused) {
				t.Errorf("error %v does not wrap ErrRefused", err)
			}
		})
	}
}

func FuzzPeekIssuer(f *testing.F) {
	for _, s := range []string{"a.eyJpc3MiOiJ4In0.c", "..", "a.b", "a.eyJpc3MiOjF9.c", "a.e30.c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, jwt string) {
		iss, err := federation.PeekIssuer(jwt)
		if err != nil {
			if !errors.Is(err, federation.ErrRefused) || iss != "" {
				t.Fatalf("PeekIssuer = %q, %v: a failure must be ErrRefused and empty", iss, err)
			}
			return
		}
		if iss == "" || len(jwt) > federation.MaxJWTLen {
			t.Fatalf("PeekIssuer accepted %q with issuer %q", jwt, iss)
		}
	})
}

// respell returns jwt with segment i spelled another way that Go's
// base64url decoder reads as the same bytes: the last character's unused
// low bits set.
func respell(t *testing.T, jwt string, i int) string {
	t.Helper()
	segs := strings.Split(jwt, ".")
	seg := segs[i]
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if len(seg)%4 != 2 && len(seg)%4 != 3 {
		t.Fatalf("segment %d of length %d has no unused bits", i, len(seg))
	}
	v := strings.IndexByte(alphabet, seg[len(seg)-1])
	segs[i] = seg[:len(seg)-1] + string(alphabet[v|1])
	out := strings.Join(segs, ".")
	if out == jwt {
		t.Fatal("respell changed nothing")
	}
	return out
}

// newlineIn puts a newline in the middle of the signature, which Go's
// base64 decoders skip.
func newlineIn(jwt string) string {
	cut := len(jwt) - 10
	return jwt[:cut] + "\n" + jwt[cut:]
}
