package oidcissuer_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"

	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// start runs an issuer for one test.
func start(t *testing.T, opts oidcissuer.Options) *oidcissuer.Issuer {
	t.Helper()
	iss, err := oidcissuer.New(opts)
	if err != nil {
		t.Fatalf("starting issuer: %v", err)
	}
	t.Cleanup(iss.Close)
	return iss
}

// verifier is go-oidc's verifier for iss, built by discovery: an
// independent implementation checks what the issuer serves and signs.
func verifier(t *testing.T, iss *oidcissuer.Issuer) *oidc.IDTokenVerifier {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	provider, err := oidc.NewProvider(ctx, iss.URL())
	if err != nil {
		t.Fatalf("discovering %s: %v", iss.URL(), err)
	}
	return provider.Verifier(&oidc.Config{
		ClientID:             iss.Audience(),
		SupportedSigningAlgs: []string{"RS256", "ES256", "EdDSA"},
	})
}

func mustMint(t *testing.T, mint func(oidcissuer.Claims) (string, error), claims oidcissuer.Claims) string {
	t.Helper()
	jwt, err := mint(claims)
	if err != nil {
		t.Fatalf("minting: %v", err)
	}
	return jwt
}

func TestAMintedTokenVerifiesWithEveryAlgorithm(t *testing.T) {
	for _, alg := range oidcissuer.Algorithms {
		t.Run(string(alg), func(t *testing.T) {
			iss := start(t, oidcissuer.Options{Algorithm: alg})
			jwt := mustMint(t, iss.Mint, oidcissuer.GitHub("acme", "app", "refs/heads/main"))
			tok, err := verifier(t, iss).Verify(context.Background(), jwt)
			if err != nil {
				t.Fatalf("verifying a %s token: %v", alg, err)
			}
			var claims map[string]any
			if err := tok.Claims(&claims); err != nil {
				t.Fatalf("reading claims: %v", err)
			}
			if got, want := claims["repository_owner"], "acme"; got != want {
				t.Errorf("repository_owner = %v, want %v", got, want)
			}
			if got, want := tok.Subject, "repo:acme/app:ref:refs/heads/main"; got != want {
				t.Errorf("sub = %q, want %q", got, want)
			}
			if got, want := tok.Issuer, iss.URL(); got != want {
				t.Errorf("iss = %q, want %q", got, want)
			}
			jws, err := jose.ParseSigned(jwt, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
			if err != nil {
				t.Fatalf("parsing the JWS: %v", err)
			}
			if got, want := jws.Signatures[0].Header.KeyID, iss.KeyID(); got != want {
				t.Errorf("kid = %q, want %q", got, want)
			}
		})
	}
}

func TestHostileTokensAreRefusedByAnIndependentVerifier(t *testing.T) {
	for _, alg := range oidcissuer.Algorithms {
		iss := start(t, oidcissuer.Options{Algorithm: alg})
		v := verifier(t, iss)
		claims := oidcissuer.GitHub("acme", "app", "refs/heads/main")
		cases := []struct {
			name string
			mint func() (string, error)
		}{
			{"alg none", func() (string, error) { return iss.MintNone(claims) }},
			{"HS256 keyed with the public key", func() (string, error) { return iss.MintHS256WithPublicKey(claims) }},
			{"an unknown kid", func() (string, error) { return iss.MintUnknownKid(claims) }},
			{"a tampered payload", func() (string, error) {
				return iss.MintTampered(claims, oidcissuer.Claims{"repository_owner": "evil"})
			}},
			{"an expired token", func() (string, error) { return iss.MintExpired(claims) }},
			{"a token not yet valid", func() (string, error) { return iss.MintNotYetValid(claims) }},
			{"another audience", func() (string, error) {
				c := oidcissuer.GitHub("acme", "app", "refs/heads/main")
				c["aud"] = "someone-else"
				return iss.Mint(c)
			}},
		}
		for _, c := range cases {
			t.Run(string(alg)+" refuses "+c.name, func(t *testing.T) {
				jwt, err := c.mint()
				if err != nil {
					t.Fatalf("minting: %v", err)
				}
				if _, err := v.Verify(context.Background(), jwt); err == nil {
					t.Fatalf("go-oidc accepted %s", c.name)
				}
			})
		}
	}
}

func TestATamperedTokenCarriesTheChangedClaimsAndTheOriginalSignature(t *testing.T) {
	iss := start(t, oidcissuer.Options{})
	jwt, err := iss.MintTampered(oidcissuer.Claims{"repository_owner": "acme"}, oidcissuer.Claims{"repository_owner": "evil"})
	if err != nil {
		t.Fatal(err)
	}
	payload := strings.Split(jwt, ".")[1]
	if !strings.Contains(decode(t, payload), `"repository_owner":"evil"`) {
		t.Errorf("payload %s does not carry the changed claim", decode(t, payload))
	}
}

func TestANilClaimIsLeftOut(t *testing.T) {
	iss := start(t, oidcissuer.Options{})
	jwt := mustMint(t, iss.Mint, oidcissuer.Claims{"exp": nil, "sub": "x"})
	payload := decode(t, strings.Split(jwt, ".")[1])
	if strings.Contains(payload, `"exp"`) {
		t.Errorf("payload %s has exp, want it left out", payload)
	}
	if !strings.Contains(payload, `"sub":"x"`) {
		t.Errorf("payload %s lost sub", payload)
	}
}

func TestRotationDropsTheOldKeyFromTheJWKS(t *testing.T) {
	iss := start(t, oidcissuer.Options{Algorithm: oidcissuer.ES256})
	old := mustMint(t, iss.Mint, nil)
	oldKid := iss.KeyID()
	if err := iss.Rotate(); err != nil {
		t.Fatal(err)
	}
	if iss.KeyID() == oldKid {
		t.Fatalf("kid %q did not change on rotation", oldKid)
	}
	keys := jwks(t, iss)
	if len(keys.Keys) != 1 || keys.Keys[0].KeyID != iss.KeyID() {
		t.Fatalf("JWKS after rotation = %+v, want only kid %q", keys.Keys, iss.KeyID())
	}
	v := verifier(t, iss)
	if _, err := v.Verify(context.Background(), old); err == nil {
		t.Errorf("a token of the rotated-out key still verifies")
	}
	if _, err := v.Verify(context.Background(), mustMint(t, iss.Mint, nil)); err != nil {
		t.Errorf("a token of the new key: %v", err)
	}
}

func TestStopAndStartKeepTheAddressAndTheKey(t *testing.T) {
	iss := start(t, oidcissuer.Options{})
	url, kid := iss.URL(), iss.KeyID()
	iss.Stop()
	if resp, err := http.Get(url + "/jwks"); err == nil {
		resp.Body.Close()
		t.Fatalf("a stopped issuer answered %s", resp.Status)
	}
	if err := iss.Start(); err != nil {
		t.Fatalf("restarting: %v", err)
	}
	if iss.URL() != url || iss.KeyID() != kid {
		t.Fatalf("after restart url, kid = %s, %s; want %s, %s", iss.URL(), iss.KeyID(), url, kid)
	}
	if _, err := verifier(t, iss).Verify(context.Background(), mustMint(t, iss.Mint, nil)); err != nil {
		t.Errorf("verifying after restart: %v", err)
	}
}

func TestJWKSFetchesAreCounted(t *testing.T) {
	iss := start(t, oidcissuer.Options{})
	before := iss.JWKSFetches()
	jwks(t, iss)
	jwks(t, iss)
	if got := iss.JWKSFetches() - before; got != 2 {
		t.Errorf("JWKS fetches = %d, want 2", got)
	}
}

func TestDefaultsFollowTheIssuerClock(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	iss := start(t, oidcissuer.Options{Now: func() time.Time { return now }, Lifetime: time.Minute})
	var claims map[string]any
	if err := json.Unmarshal([]byte(decode(t, strings.Split(mustMint(t, iss.Mint, nil), ".")[1])), &claims); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"iss": iss.URL(), "aud": "oatgate", "sub": oidcissuer.DefaultSubject,
		"iat": float64(now.Unix()), "nbf": float64(now.Unix()), "exp": float64(now.Add(time.Minute).Unix()),
	}
	for k, w := range want {
		if claims[k] != w {
			t.Errorf("%s = %v, want %v", k, claims[k], w)
		}
	}
	if claims["jti"] == "" || claims["jti"] == nil {
		t.Errorf("jti missing")
	}
}

func TestCIClaimsNameWhatTheIssuersName(t *testing.T) {
	cases := []struct {
		name   string
		claims oidcissuer.Claims
		sub    string
	}{
		{"GitHub's classic subject", oidcissuer.GitHub("acme", "app", "refs/heads/main"), "repo:acme/app:ref:refs/heads/main"},
		{"GitHub's immutable subject", oidcissuer.GitHubImmutable("acme", "app", "refs/heads/main"), "repo:acme@1000001/app@2000002:ref:refs/heads/main"},
		{"GitLab's subject", oidcissuer.GitLab("acme", "app", "main"), "project_path:acme/app:ref_type:branch:ref:main"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.claims["sub"] != c.sub {
				t.Errorf("sub = %v, want %v", c.claims["sub"], c.sub)
			}
		})
	}
}

func TestATLSIssuerServesHTTPSThatItsClientTrusts(t *testing.T) {
	iss := start(t, oidcissuer.Options{TLS: true})
	if !strings.HasPrefix(iss.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL = %s, want https on loopback", iss.URL())
	}
	ctx := oidc.ClientContext(context.Background(), iss.Client())
	provider, err := oidc.NewProvider(ctx, iss.URL())
	if err != nil {
		t.Fatalf("discovering over TLS: %v", err)
	}
	v := provider.VerifierContext(ctx, &oidc.Config{ClientID: iss.Audience()})
	if _, err := v.Verify(ctx, mustMint(t, iss.Mint, nil)); err != nil {
		t.Errorf("verifying over TLS: %v", err)
	}
	if resp, err := http.Get(iss.URL() + "/jwks"); err == nil {
		resp.Body.Close()
		t.Errorf("a client that does not trust the certificate got %s", resp.Status)
	}
}

func TestAnUnsupportedAlgorithmIsRefused(t *testing.T) {
	if _, err := oidcissuer.New(oidcissuer.Options{Algorithm: "HS256"}); err == nil {
		t.Fatal("an HS256 issuer started")
	}
}

func jwks(t *testing.T, iss *oidcissuer.Issuer) jose.JSONWebKeySet {
	t.Helper()
	resp, err := http.Get(iss.URL() + "/jwks")
	if err != nil {
		t.Fatalf("fetching JWKS: %v", err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatalf("decoding JWKS: %v", err)
	}
	return set
}

func decode(t *testing.T, seg string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("decoding %q: %v", seg, err)
	}
	return string(b)
}
