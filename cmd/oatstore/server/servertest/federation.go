package servertest

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/server"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// GatewayKey is the gateway key of the federation suite's servers.
const GatewayKey = "gateway-key-for-servertest-0123456789abcdef"

// purgeEvery is how often the suite's servers purge: often, so that a
// purge is waited for in milliseconds.
const purgeEvery = 20 * time.Millisecond

// federationConfig lets a test server trust the loopback issuer and
// introspect for a gateway.
func federationConfig(c *server.Config) {
	c.GatewayKeys = []string{GatewayKey}
	c.Federation = server.FederationConfig{AllowLoopbackHTTP: true, PurgeInterval: purgeEvery}
}

// fed is a server and a real OIDC issuer on one clock.
type fed struct {
	e   *env
	iss *oidcissuer.Issuer
}

func newFed(t *testing.T, e *env, alg oidcissuer.Algorithm) *oidcissuer.Issuer {
	t.Helper()
	iss, err := oidcissuer.New(oidcissuer.Options{Algorithm: alg, Now: e.clock.now})
	if err != nil {
		t.Fatalf("starting the OIDC issuer: %v", err)
	}
	t.Cleanup(iss.Close)
	return iss
}

// job is the claims of a GitHub Actions job of acme/app on ref, changed
// by change.
func job(ref string, change oidcissuer.Claims) oidcissuer.Claims {
	c := oidcissuer.GitHub("acme", "app", ref)
	maps.Copy(c, change)
	return c
}

func (f *fed) jwt(t *testing.T, claims oidcissuer.Claims) string {
	t.Helper()
	jwt, err := f.iss.Mint(claims)
	if err != nil {
		t.Fatalf("minting: %v", err)
	}
	return jwt
}

// post sends a form with credential (if any) as the bearer.
func (e *env) post(t *testing.T, credential, path string, form url.Values) answer {
	t.Helper()
	req, err := http.NewRequest("POST", e.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if credential != "" {
		req.Header.Set("Authorization", "Bearer "+credential)
	}
	return e.send(t, req)
}

// exchangeForm is an RFC 8693 exchange of jwt, plus kv pairs.
func exchangeForm(jwt string, kv ...string) url.Values {
	v := url.Values{
		"grant_type":         {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"subject_token":      {jwt},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:id_token"},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// grant is the exchange's answer.
type grant struct {
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int64  `json:"expires_in"`
	Scope           string `json:"scope"`
	Error           string `json:"error"`
	Description     string `json:"error_description"`
}

func (f *fed) exchange(t *testing.T, jwt string, kv ...string) (int, grant) {
	t.Helper()
	a := f.e.post(t, "", "/v1/token", exchangeForm(jwt, kv...))
	var g grant
	a.decode(t, &g)
	return a.status, g
}

// introspect asks as a gateway about a login of org with jwt.
func (f *fed) introspect(t *testing.T, org, jwt string) (int, storeapi.Introspection) {
	t.Helper()
	a := f.e.post(t, GatewayKey, "/v1/introspect", url.Values{"token": {jwt}, "org": {org}})
	var in storeapi.Introspection
	if a.status == http.StatusOK {
		parsed, err := storeapi.ParseIntrospection(a.body)
		if err != nil {
			t.Fatalf("introspection answer %s: %v", a.body, err)
		}
		in = parsed
	}
	return a.status, in
}

// putPolicy stores a trust policy as credential, wanting status.
func (e *env) putPolicy(t *testing.T, want int, credential, org, name string, body map[string]any) answer {
	t.Helper()
	return e.must(t, want, credential, "PUT", "/v1/orgs/"+org+"/federation/"+name, body)
}

func policyBody(issuer string, claims map[string]string, scopes ...string) map[string]any {
	return map[string]any{"issuer": issuer, "audience": "oatgate", "claims": claims, "scopes": scopes, "ttl": "15m"}
}

// Federation runs issue 14's store side over st: trust policies under
// the management API's authorization, the RFC 8693 exchange with every
// refusal the issue lists, gateway introspection of an ID token (one
// token per (org, JWT)), revocation by policy deletion, the active bound,
// key rotation and issuer outages, and the purge. It runs on every backend.
func Federation(t *testing.T, st store.Store) {
	e := start(t, st, federationConfig)
	f := &fed{e: e, iss: newFed(t, e, oidcissuer.ES256)}
	const alice = AliceKey
	e.must(t, http.StatusCreated, alice, "PUT", "/v1/orgs/acme", `{}`)
	e.must(t, http.StatusCreated, alice, "PUT", "/v1/orgs/globex", `{}`)
	main := map[string]string{"repository_owner": "acme", "sub": "repo:acme/app:ref:refs/heads/*"}
	e.putPolicy(t, http.StatusCreated, alice, "acme", "gha", policyBody(f.iss.URL(), main, "repository:acme/app:push,pull"))
	// globex trusts acme's release job, to mirror it.
	release := map[string]string{"repository_owner": "acme", "sub": "repo:acme/app:ref:refs/heads/release"}
	e.putPolicy(t, http.StatusCreated, alice, "globex", "acme-release", policyBody(f.iss.URL(), release, "repository:globex/mirror:pull"))

	t.Run("trust policies", func(t *testing.T) { policyManagement(t, f) })
	t.Run("the exchange", func(t *testing.T) { exchangeGrants(t, f) })
	t.Run("refusals", func(t *testing.T) { exchangeRefusals(t, f) })
	t.Run("gateway introspection", func(t *testing.T) { gatewayIntrospection(t, f) })
	t.Run("deleting a policy", func(t *testing.T) { policyDeletion(t, f) })
	t.Run("the active bound", func(t *testing.T) { activeBound(t, f) })
	t.Run("issuer outages", func(t *testing.T) { issuerOutages(t, f) })
	t.Run("key rotation", func(t *testing.T) { keyRotation(t, f) })
	t.Run("expiry and purge", func(t *testing.T) { expiryAndPurge(t, f) })
}

func policyManagement(t *testing.T, f *fed) {
	e := f.e
	const alice = AliceKey
	// The policies made here match no job the later cases mint.
	claims := map[string]string{"repository_owner": "acme", "workflow": "managed"}
	writer := e.create(t, alice, "acme", "federation-writer", "30d", "org:federation:write", "repository:acme/**:push")
	narrow := e.create(t, alice, "acme", "federation-narrow", "30d", "org:federation:write", "repository:acme/other:pull")
	reader := e.create(t, alice, "acme", "federation-reader", "30d", "org:federation:read")
	globex := e.create(t, alice, "globex", "federation-globex", "30d", "org:federation:write", "repository:globex/**:delete")
	ok := policyBody(f.iss.URL(), claims, "repository:acme/app:pull")
	path := "/v1/orgs/acme/federation/"
	tests := []struct {
		name       string
		credential string
		method     string
		path       string
		body       any
		want       int
	}{
		{"an admin key creates a policy", alice, "PUT", path + "admin-made", ok, http.StatusCreated},
		{"an admin key replaces it", alice, "PUT", path + "admin-made", ok, http.StatusOK},
		{"a token with federation:write covering the scopes creates one", writer.Secret, "PUT", path + "token-made", ok, http.StatusCreated},
		{"a token whose scopes do not cover the policy's may not", narrow.Secret, "PUT", path + "too-wide", ok, http.StatusForbidden},
		{"a token may not replace a policy broader than itself", narrow.Secret, "PUT", path + "admin-made", policyBody(f.iss.URL(), claims, "repository:acme/other:pull"), http.StatusForbidden},
		{"a token with federation:read may not write", reader.Secret, "PUT", path + "read-only", ok, http.StatusForbidden},
		{"a token of another org may not", globex.Secret, "PUT", path + "cross-org", ok, http.StatusForbidden},
		{"no credential is 401", "", "PUT", path + "anonymous", ok, http.StatusUnauthorized},
		{"a token with federation:read lists", reader.Secret, "GET", "/v1/orgs/acme/federation", nil, http.StatusOK},
		{"a token with federation:read reads one", reader.Secret, "GET", path + "admin-made", nil, http.StatusOK},
		{"a token of another org may not list", globex.Secret, "GET", "/v1/orgs/acme/federation", nil, http.StatusForbidden},
		{"an unknown policy is 404", alice, "GET", path + "nope", nil, http.StatusNotFound},
		{"an unknown org is 404", alice, "PUT", "/v1/orgs/initech/federation/gha", policyBody(f.iss.URL(), claims, "repository:initech/app:pull"), http.StatusNotFound},
		{"an invalid name is 400", alice, "PUT", path + "Bad_Name", ok, http.StatusBadRequest},
		{"an http issuer elsewhere than loopback is 400", alice, "PUT", path + "plain", policyBody("http://issuer.example", claims, "repository:acme/app:pull"), http.StatusBadRequest},
		{"a policy without claims is 400", alice, "PUT", path + "open", policyBody(f.iss.URL(), map[string]string{}, "repository:acme/app:pull"), http.StatusBadRequest},
		{"a scope outside the org is 400", alice, "PUT", path + "outside", policyBody(f.iss.URL(), claims, "repository:globex/app:pull"), http.StatusBadRequest},
		{"an org scope is 400", alice, "PUT", path + "manager", policyBody(f.iss.URL(), claims, "org:tokens:write"), http.StatusBadRequest},
		{"a ttl over an hour is 400", alice, "PUT", path + "long", map[string]any{"issuer": f.iss.URL(), "audience": "oatgate", "claims": claims, "scopes": []string{"repository:acme/app:pull"}, "ttl": "2h"}, http.StatusBadRequest},
		{"an unknown field is 400", alice, "PUT", path + "typo", map[string]any{"issuer": f.iss.URL(), "audience": "oatgate", "claims": claims, "scopes": []string{"repository:acme/app:pull"}, "scope": "x"}, http.StatusBadRequest},
		{"a body naming another policy is 400", alice, "PUT", path + "one", map[string]any{"name": "other", "issuer": f.iss.URL(), "audience": "oatgate", "claims": claims, "scopes": []string{"repository:acme/app:pull"}}, http.StatusBadRequest},
		{"a token not covering a policy may not delete it", narrow.Secret, "DELETE", path + "admin-made", nil, http.StatusForbidden},
		{"a token covering it deletes it", writer.Secret, "DELETE", path + "admin-made", nil, http.StatusOK},
		{"deleting it again is 404", alice, "DELETE", path + "admin-made", nil, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.must(t, tt.want, tt.credential, tt.method, tt.path, tt.body)
		})
	}
	t.Run("the list shows every policy of the org with its settings", func(t *testing.T) {
		var list struct{ Policies []store.Policy }
		e.must(t, http.StatusOK, alice, "GET", "/v1/orgs/acme/federation", nil).decode(t, &list)
		var names []string
		for _, p := range list.Policies {
			names = append(names, p.Name)
			if p.Org != "acme" || p.Issuer == "" || len(p.Scopes) == 0 || time.Duration(p.TTL) == 0 {
				t.Errorf("listed policy %+v lacks its settings", p)
			}
		}
		if strings.Join(names, ",") != "gha,token-made" {
			t.Errorf("policies = %v, want gha, token-made", names)
		}
	})
	t.Run("every change is audited with its actor", func(t *testing.T) {
		var page struct{ Entries []store.AuditEntry }
		e.must(t, http.StatusOK, alice, "GET", "/v1/orgs/acme/audit?action=federation.created", nil).decode(t, &page)
		actors := map[string]bool{}
		for _, en := range page.Entries {
			actors[en.Actor] = true
		}
		if !actors["admin:alice"] || !actors["token:"+writer.ID] {
			t.Errorf("federation.created actors = %v, want admin:alice and token:%s", actors, writer.ID)
		}
		e.must(t, http.StatusOK, alice, "GET", "/v1/orgs/acme/audit?action=federation.deleted", nil).decode(t, &page)
		if len(page.Entries) != 1 || page.Entries[0].Actor != "token:"+writer.ID {
			t.Errorf("federation.deleted entries = %+v, want one by the writer token", page.Entries)
		}
	})
}

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
		{"garbage", func() (string, error) { return "eyJ.not.a-token", nil }, nil, "invalid_grant"},
		{"a token for acme with audience globex", mint(f.iss.Mint, main), []string{"audience", "globex"}, "invalid_target"},
		{"a token for an org that does not exist", mint(f.iss.Mint, main), []string{"audience", "initech"}, "invalid_target"},
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

func gatewayIntrospection(t *testing.T, f *fed) {
	jwt := f.jwt(t, job("refs/heads/release", nil))
	status, first := f.introspect(t, "acme", jwt)
	if status != http.StatusOK || !first.Active || first.Kind != storeapi.KindFederated || first.Policy != "gha" || first.Scope != "repository:acme/app:pull,push" {
		t.Fatalf("introspecting a JWT = %d %+v; want an active federated token of policy gha", status, first)
	}
	t.Run("the same org and JWT give the same token", func(t *testing.T) {
		if _, again := f.introspect(t, "acme", jwt); again.TokenID != first.TokenID {
			t.Errorf("second introspection = %s, want %s", again.TokenID, first.TokenID)
		}
	})
	t.Run("the same JWT under another org's policy gives another token", func(t *testing.T) {
		_, other := f.introspect(t, "globex", jwt)
		if !other.Active || other.Org != "globex" || other.TokenID == first.TokenID || other.Scope != "repository:globex/mirror:pull" {
			t.Errorf("introspection for globex = %+v; want globex's own token", other)
		}
	})
	t.Run("an org whose policies do not match is inactive", func(t *testing.T) {
		if status, in := f.introspect(t, "tiny", f.jwt(t, job("refs/heads/main", oidcissuer.Claims{"repository_owner": "evil"}))); status != http.StatusOK || in.Active {
			t.Errorf("introspection = %d %+v; want inactive", status, in)
		}
	})
	t.Run("an org that does not exist is inactive", func(t *testing.T) {
		if status, in := f.introspect(t, "initech", jwt); status != http.StatusOK || in.Active {
			t.Errorf("introspection = %d %+v; want inactive", status, in)
		}
	})
	t.Run("a hostile JWT is inactive", func(t *testing.T) {
		none, _ := f.iss.MintNone(job("refs/heads/main", nil))
		if status, in := f.introspect(t, "acme", none); status != http.StatusOK || in.Active {
			t.Errorf("introspection of alg none = %d %+v; want inactive", status, in)
		}
	})
	t.Run("without the gateway key it is 401", func(t *testing.T) {
		if a := f.e.post(t, "", "/v1/introspect", url.Values{"token": {jwt}, "org": {"acme"}}); a.status != http.StatusUnauthorized {
			t.Errorf("introspection without the key = %d, want 401", a.status)
		}
	})
}

func policyDeletion(t *testing.T, f *fed) {
	e := f.e
	e.putPolicy(t, http.StatusCreated, AliceKey, "acme", "doomed", policyBody(f.iss.URL(), map[string]string{"repository_owner": "acme", "workflow": "doomed"}, "repository:acme/doomed:pull"))
	claims := job("refs/heads/main", oidcissuer.Claims{"workflow": "doomed"})
	_, g := f.exchange(t, f.jwt(t, claims), "scope", "repository:acme/doomed:pull")
	loginJWT := f.jwt(t, claims)
	_, login := f.introspect(t, "acme", loginJWT)
	if g.AccessToken == "" || login.Policy != "doomed" {
		t.Fatalf("before the delete: exchange %+v, login %+v; want both under policy doomed", g, login)
	}
	var feed storeapi.RevocationPage
	e.must(t, http.StatusOK, GatewayKey, "GET", "/v1/revocations?after=0", nil).decode(t, &feed)

	var gone struct {
		RevokedTokens []string `json:"revoked_tokens"`
	}
	e.must(t, http.StatusOK, AliceKey, "DELETE", "/v1/orgs/acme/federation/doomed", nil).decode(t, &gone)
	if len(gone.RevokedTokens) != 2 {
		t.Fatalf("revoked tokens = %v, want the exchanged and the login token", gone.RevokedTokens)
	}
	t.Run("the feed lists its tokens", func(t *testing.T) {
		var next storeapi.RevocationPage
		e.must(t, http.StatusOK, GatewayKey, "GET", "/v1/revocations?after="+feed.Cursor, nil).decode(t, &next)
		for _, id := range gone.RevokedTokens {
			if !strings.Contains(strings.Join(next.TokenIDs, " "), id) {
				t.Errorf("feed %v lacks %s", next.TokenIDs, id)
			}
		}
	})
	t.Run("the exchanged token is refused as revoked", func(t *testing.T) {
		a := e.post(t, GatewayKey, "/v1/introspect", url.Values{"token": {g.AccessToken}})
		in, _ := storeapi.ParseIntrospection(a.body)
		if in.Active || in.Reason != storeapi.ReasonRevoked {
			t.Errorf("introspection = %+v, want revoked", in)
		}
	})
	t.Run("the login's JWT stays refused", func(t *testing.T) {
		if _, in := f.introspect(t, "acme", loginJWT); in.Active || in.Reason != storeapi.ReasonRevoked {
			t.Errorf("introspection = %+v, want revoked", in)
		}
	})
	t.Run("a new token of the deleted policy is refused", func(t *testing.T) {
		if status, g := f.exchange(t, f.jwt(t, claims), "scope", "repository:acme/doomed:pull"); status != http.StatusBadRequest || g.Error != "invalid_scope" {
			// gha still matches the job but does not grant acme/doomed.
			t.Errorf("exchange = %d %+v; want invalid_scope", status, g)
		}
	})
	t.Run("revoking one federated token works as for any token", func(t *testing.T) {
		_, one := f.introspect(t, "acme", f.jwt(t, job("refs/heads/main", nil)))
		e.must(t, http.StatusOK, AliceKey, "POST", "/v1/orgs/acme/tokens/"+one.TokenID+"/revoke", nil)
		a := e.post(t, GatewayKey, "/v1/introspect", url.Values{"token_id": {one.TokenID}, "org": {"acme"}})
		if in, _ := storeapi.ParseIntrospection(a.body); in.Active {
			t.Errorf("a revoked federated token by id = %+v, want inactive", in)
		}
	})
}

func activeBound(t *testing.T, f *fed) {
	e := f.e
	e.must(t, http.StatusCreated, AliceKey, "PUT", "/v1/orgs/bounded", `{"max_federated_tokens":2}`)
	e.putPolicy(t, http.StatusCreated, AliceKey, "bounded", "gha", policyBody(f.iss.URL(), map[string]string{"repository_owner": "acme", "workflow": "bounded"}, "repository:bounded/app:pull"))
	bounded := func() string { return f.jwt(t, job("refs/heads/feature", oidcissuer.Claims{"workflow": "bounded"})) }
	for i := range 2 {
		if status, g := f.exchange(t, bounded(), "audience", "bounded"); status != http.StatusOK {
			t.Fatalf("exchange %d = %d %+v; want 200", i, status, g)
		}
	}
	t.Run("the exchange past the bound is 429", func(t *testing.T) {
		a := e.post(t, "", "/v1/token", exchangeForm(bounded(), "audience", "bounded"))
		if a.status != http.StatusTooManyRequests || !strings.Contains(string(a.body), "too_many_requests") {
			t.Errorf("exchange = %d %s; want 429 too_many_requests", a.status, a.body)
		}
	})
	t.Run("a gateway login past the bound is 429", func(t *testing.T) {
		a := e.post(t, GatewayKey, "/v1/introspect", url.Values{"token": {bounded()}, "org": {"bounded"}})
		if a.status != http.StatusTooManyRequests || !strings.Contains(a.message(), "too_many_requests") {
			t.Errorf("introspection = %d %s; want 429 too_many_requests", a.status, a.body)
		}
	})
}

func issuerOutages(t *testing.T, f *fed) {
	e := f.e
	t.Run("an issuer down with cached keys still verifies", func(t *testing.T) {
		f.iss.Stop()
		defer func() {
			if err := f.iss.Start(); err != nil {
				t.Fatal(err)
			}
		}()
		if status, g := f.exchange(t, f.jwt(t, job("refs/heads/main", nil))); status != http.StatusOK {
			t.Errorf("exchange with the issuer down = %d %+v; want 200 from cached keys", status, g)
		}
	})
	t.Run("an issuer down with no cached keys is 503, never a grant", func(t *testing.T) {
		cold := newFed(t, e, oidcissuer.RS256)
		e.putPolicy(t, http.StatusCreated, AliceKey, "acme", "cold", policyBody(cold.URL(), map[string]string{"repository_owner": "acme"}, "repository:acme/app:pull"))
		jwt, err := cold.Mint(job("refs/heads/main", nil))
		if err != nil {
			t.Fatal(err)
		}
		cold.Stop()
		a := e.post(t, "", "/v1/token", exchangeForm(jwt))
		if a.status != http.StatusServiceUnavailable || !strings.Contains(string(a.body), "temporarily_unavailable") || a.header.Get("Retry-After") == "" {
			t.Errorf("exchange = %d %s; want 503 temporarily_unavailable with Retry-After", a.status, a.body)
		}
		b := e.post(t, GatewayKey, "/v1/introspect", url.Values{"token": {jwt}, "org": {"acme"}})
		if b.status != http.StatusServiceUnavailable {
			t.Errorf("gateway introspection = %d %s; want 503", b.status, b.body)
		}
		if err := cold.Start(); err != nil {
			t.Fatal(err)
		}
		e.clock.advance(6 * time.Second)
		if status, g := f.exchange(t, jwt, "audience", "acme", "scope", "repository:acme/app:pull"); status != http.StatusOK {
			t.Errorf("exchange after the issuer came back = %d %+v; want 200", status, g)
		}
		e.must(t, http.StatusOK, AliceKey, "DELETE", "/v1/orgs/acme/federation/cold", nil)
	})
}

func keyRotation(t *testing.T, f *fed) {
	old := f.jwt(t, job("refs/heads/main", nil))
	if err := f.iss.Rotate(); err != nil {
		t.Fatal(err)
	}
	f.e.clock.advance(61 * time.Second)
	if status, g := f.exchange(t, f.jwt(t, job("refs/heads/main", nil))); status != http.StatusOK {
		t.Fatalf("a token of the new key = %d %+v; want 200 once the JWKS is refetched", status, g)
	}
	if status, g := f.exchange(t, old); status != http.StatusBadRequest || g.Error != "invalid_grant" {
		t.Errorf("a token of the dropped key = %d %+v; want invalid_grant", status, g)
	}
}

func expiryAndPurge(t *testing.T, f *fed) {
	e := f.e
	jwt := f.jwt(t, job("refs/heads/main", nil))
	_, login := f.introspect(t, "acme", jwt)
	if !login.Active {
		t.Fatalf("login = %+v, want active", login)
	}
	t.Run("the login keeps working after the ID token expires", func(t *testing.T) {
		e.clock.advance(7 * time.Minute) // the JWT lived 5
		if _, in := f.introspect(t, "acme", jwt); !in.Active || in.TokenID != login.TokenID {
			t.Errorf("introspection after the JWT expired = %+v, want the same active token", in)
		}
	})
	t.Run("and ends with the federated token", func(t *testing.T) {
		e.clock.advance(9 * time.Minute)
		if _, in := f.introspect(t, "acme", jwt); in.Active || in.Reason != storeapi.ReasonExpired {
			t.Errorf("introspection after 16 min = %+v, want expired", in)
		}
	})
	t.Run("the purge deletes it a day later and the audit keeps it", func(t *testing.T) {
		e.must(t, http.StatusOK, AliceKey, "GET", "/v1/orgs/acme/tokens/"+login.TokenID, nil)
		e.clock.advance(25 * time.Hour)
		deadline := time.Now().Add(5 * time.Second)
		for e.do(t, AliceKey, "GET", "/v1/orgs/acme/tokens/"+login.TokenID, nil).status != http.StatusNotFound {
			if time.Now().After(deadline) {
				t.Fatalf("token %s still stored a day after it expired", login.TokenID)
			}
			time.Sleep(purgeEvery)
		}
		var page struct{ Entries []store.AuditEntry }
		e.must(t, http.StatusOK, AliceKey, "GET", "/v1/orgs/acme/audit?action=token.exchanged&limit=500", nil).decode(t, &page)
		found := false
		for _, en := range page.Entries {
			found = found || en.TokenID == login.TokenID
		}
		if !found {
			t.Errorf("the audit lost the exchange of %s", login.TokenID)
		}
	})
}
