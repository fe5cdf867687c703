// The helpers of the federation suite: a server trusting loopback
// issuers, jobs' claims, and the exchange and introspection calls.

package servertest

import (
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/server"
	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

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

// respellings are jwt spelled the other ways Go's base64url decoders read
// as the same bytes: for each segment with unused bits in its last
// character, those bits set; and a newline inside the signature.
func respellings(jwt string) []string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	segs := strings.Split(jwt, ".")
	var out []string
	for i, seg := range segs {
		if n := len(seg) % 4; n != 2 && n != 3 {
			continue
		}
		v := strings.IndexByte(alphabet, seg[len(seg)-1])
		other := append([]string(nil), segs...)
		other[i] = seg[:len(seg)-1] + string(alphabet[v|1])
		out = append(out, strings.Join(other, "."))
	}
	cut := len(jwt) - 10
	return append(out, jwt[:cut]+"\n"+jwt[cut:])
}
