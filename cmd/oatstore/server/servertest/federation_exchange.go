package servertest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// exchangeGrants: what a matching job gets from POST /v1/token, how it
// introspects, lists and is audited, and narrowing by scope and audience.
func exchangeGrants(t *testing.T, f *fed) {
	e := f.e
	jwt := f.jwt(t, job("refs/heads/main", nil))
	status, g := f.exchange(t, jwt)
	if status != http.StatusOK || !strings.HasPrefix(g.AccessToken, "oat_") || g.TokenType != "Bearer" ||
		g.IssuedTokenType != "urn:ietf:params:oauth:token-type:access_token" || g.ExpiresIn != 900 || g.Scope != "repository:acme/app:pull,push" {
		t.Fatalf("exchange = %d %+v; want an oat_ Bearer token for 900 s with the policy's scope", status, g)
	}
	var tok store.Token
	t.Run("the token introspects as federated, with its policy", func(t *testing.T) {
		a := e.post(t, GatewayKey, "/v1/introspect", url.Values{"token": {g.AccessToken}})
		in, err := storeapi.ParseIntrospection(a.body)
		if err != nil || !in.Active || in.Kind != storeapi.KindFederated || in.Policy != "gha" || in.Org != "acme" {
			t.Fatalf("introspection = %+v, %v; want active, federated, policy gha", in, err)
		}
		e.must(t, http.StatusOK, AliceKey, "GET", "/v1/orgs/acme/tokens/"+in.TokenID, nil).decode(t, &tok)
	})
	t.Run("the token list shows kind, policy and subject", func(t *testing.T) {
		if tok.Kind != store.KindFederated || tok.Policy != "gha" || tok.Subject != "repo:acme/app:ref:refs/heads/main" {
			t.Errorf("token = %+v; want kind federated, policy gha and the job's subject", tok)
		}
	})
	t.Run("the exchange is audited with the matched claims and never the ID token", func(t *testing.T) {
		a := e.must(t, http.StatusOK, AliceKey, "GET", "/v1/orgs/acme/audit?action=token.exchanged", nil)
		var page struct{ Entries []store.AuditEntry }
		a.decode(t, &page)
		if len(page.Entries) == 0 {
			t.Fatal("no token.exchanged entry")
		}
		var snap store.Exchanged
		if err := json.Unmarshal(page.Entries[0].After, &snap); err != nil || snap.MatchedClaims["repository_owner"] != "acme" || snap.Policy != "gha" {
			t.Errorf("audit snapshot = %s, %v; want the matched claims and policy", page.Entries[0].After, err)
		}
		if strings.Contains(string(a.body), jwt) || strings.Contains(string(a.body), strings.Split(jwt, ".")[2]) || strings.Contains(string(a.body), g.AccessToken) {
			t.Errorf("the audit holds the ID token or the issued secret")
		}
	})
	t.Run("a narrower scope is granted as asked", func(t *testing.T) {
		status, g := f.exchange(t, f.jwt(t, job("refs/heads/main", nil)), "scope", "repository:acme/app:pull")
		if status != http.StatusOK || g.Scope != "repository:acme/app:pull" {
			t.Fatalf("exchange with scope = %d %+v; want pull only", status, g)
		}
	})
	t.Run("the audience names the org when several orgs trust the job", func(t *testing.T) {
		status, g := f.exchange(t, f.jwt(t, job("refs/heads/release", nil)), "audience", "globex")
		if status != http.StatusOK || g.Scope != "repository:globex/mirror:pull" {
			t.Fatalf("exchange for globex = %d %+v; want globex's mirror scope", status, g)
		}
	})
	t.Run("federated tokens do not count toward max_tokens", func(t *testing.T) {
		e.must(t, http.StatusCreated, AliceKey, "PUT", "/v1/orgs/tiny", `{"max_tokens":1}`)
		e.create(t, AliceKey, "tiny", "only", "30d", "repository:tiny/app:pull")
		tinyJob := map[string]string{"repository_owner": "acme", "workflow": "tiny"}
		e.putPolicy(t, http.StatusCreated, AliceKey, "tiny", "gha", policyBody(f.iss.URL(), tinyJob, "repository:tiny/app:pull"))
		for i := range 3 {
			if status, g := f.exchange(t, f.jwt(t, job("refs/heads/feature", oidcissuer.Claims{"workflow": "tiny"})), "audience", "tiny"); status != http.StatusOK {
				t.Fatalf("exchange %d for an org at max_tokens = %d %+v; want 200", i, status, g)
			}
		}
	})
}

// claimNames finds a claim or check a refusal must not name.
var claimNames = regexp.MustCompile(`\b(sub|repository_owner|aud|iss|exp|nbf|iat|kid|signature|alg)\b`)

// exchangeRefusals: every refusal of issue 14 at POST /v1/token, each
// with the RFC 6749 code it must get and none naming what failed.
func exchangeRefusals(t *testing.T, f *fed) {
	stranger := newFed(t, f.e, oidcissuer.ES256)
	mint := func(m func(oidcissuer.Claims) (string, error), c oidcissuer.Claims) func() (string, error) {
		return func() (string, error) { return m(c) }
	}
	main := job("refs/heads/main", nil)
	tests := []struct {
		name string
		jwt  func() (string, error)
		kv   []string
		code string
	}{
		{"a job of another branch pattern", mint(f.iss.Mint, job("refs/tags/v1", nil)), nil, "invalid_grant"},
		{"a non-matching sub", mint(f.iss.Mint, job("refs/heads/main", oidcissuer.Claims{"sub": "repo:evil/app:ref:refs/heads/main"})), nil, "invalid_grant"},
		{"a non-matching repository_owner", mint(f.iss.Mint, job("refs/heads/main", oidcissuer.Claims{"repository_owner": "evil"})), nil, "invalid_grant"},
		{"another audience", mint(f.iss.Mint, job("refs/heads/main", oidcissuer.Claims{"aud": "sigstore"})), nil, "invalid_grant"},
		{"an issuer no org trusts", mint(stranger.Mint, main), nil, "invalid_grant"},
		{"a token claiming a trusted issuer, signed by another", mint(stranger.Mint, job("refs/heads/main", oidcissuer.Claims{"iss": f.iss.URL()})), nil, "invalid_grant"},
		{"alg none", mint(f.iss.MintNone, main), nil, "invalid_grant"},
		{"HS256 keyed with the public key", mint(f.iss.MintHS256WithPublicKey, main), nil, "invalid_grant"},
		{"an unknown kid", mint(f.iss.MintUnknownKid, main), nil, "invalid_grant"},
		{"a tampered payload", func() (string, error) {
			return f.iss.MintTampered(job("refs/heads/main", oidcissuer.Claims{"repository_owner": "evil"}), oidcissuer.Claims{"repository_owner": "acme"})
		}, nil, "invalid_grant"},
		{"an expired token", mint(f.iss.MintExpired, main), nil, "invalid_grant"},
		{"a token not yet valid", mint(f.iss.MintNotYetValid, main), nil, "invalid_grant"},
		// Its row, once revoked, is purged after the retention (24h): a
		// JWT valid until then, skew included, could come back as new.
		{"a token valid for longer than the retention less twice the skew", mint(f.iss.Mint, job("refs/heads/main", oidcissuer.Claims{"exp": f.e.clock.now().Add(24*time.Hour - 30*time.Second).Unix()})), nil, "invalid_grant"},
		{"garbage", func() (string, error) { return "eyJ.not.a-token", nil }, nil, "invalid_grant"},
		// Not invalid_target: that would tell that another org trusts it.
		{"a token for acme with audience globex", mint(f.iss.Mint, main), []string{"audience", "globex"}, "invalid_grant"},
		{"a token for an org that does not exist", mint(f.iss.Mint, main), []string{"audience", "initech"}, "invalid_grant"},
		{"a release job trusted by two orgs without an audience", mint(f.iss.Mint, job("refs/heads/release", nil)), nil, "invalid_target"},
		{"a scope beyond the policy", mint(f.iss.Mint, main), []string{"scope", "repository:acme/app:delete"}, "invalid_scope"},
		{"a scope of another repository", mint(f.iss.Mint, main), []string{"scope", "repository:acme/other:pull"}, "invalid_scope"},
		{"a scope outside the org", mint(f.iss.Mint, main), []string{"scope", "repository:globex/mirror:pull"}, "invalid_scope"},
		{"a subject token type that is not a JWT", mint(f.iss.Mint, main), []string{"subject_token_type", "urn:ietf:params:oauth:token-type:access_token"}, "invalid_request"},
		{"another grant type", mint(f.iss.Mint, main), []string{"grant_type", "password"}, "unsupported_grant_type"},
	}
	descriptions := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name+" is "+tt.code, func(t *testing.T) {
			jwt, err := tt.jwt()
			if err != nil {
				t.Fatal(err)
			}
			status, g := f.exchange(t, jwt, tt.kv...)
			if status != http.StatusBadRequest || g.Error != tt.code || g.AccessToken != "" {
				t.Fatalf("exchange = %d %+v; want 400 %s", status, g, tt.code)
			}
			if tt.code == "invalid_grant" {
				descriptions[g.Description] = true
			}
			if claim := claimNames.FindString(g.Description); claim != "" {
				t.Errorf("the refusal %q names %q", g.Description, claim)
			}
		})
	}
	t.Run("every invalid_grant says the same thing", func(t *testing.T) {
		if len(descriptions) != 1 {
			t.Errorf("invalid_grant descriptions = %v, want one", descriptions)
		}
	})
	t.Run("malformed requests", func(t *testing.T) {
		e := f.e
		big := exchangeForm(strings.Repeat("a", 40<<10))
		if a := e.post(t, "", "/v1/token", big); a.status != http.StatusRequestEntityTooLarge {
			t.Errorf("a 40 KiB body = %d %s, want 413", a.status, a.body)
		}
		if a := e.post(t, "", "/v1/token?subject_token=x", exchangeForm("x")); a.status != http.StatusBadRequest {
			t.Errorf("fields in the URL = %d %s, want 400", a.status, a.body)
		}
		if a := e.do(t, "", "POST", "/v1/token", `{"subject_token":"x"}`); a.status != http.StatusUnsupportedMediaType {
			t.Errorf("a JSON body = %d %s, want 415", a.status, a.body)
		}
	})
}
