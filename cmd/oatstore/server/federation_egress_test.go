package server_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/server"
	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// An issuer is an org's to name, and fetching it is triggered by anyone
// presenting an ID token that names it: without a guard, a policy naming
// https://127.0.0.1:PORT or https://10.x would have oatstore probe its own
// network. The fetch connects only where serve's switches allow.
func TestAnIssuerOnANonPublicAddressIsNeverConnectedToWithoutItsSwitch(t *testing.T) {
	var conns atomic.Int32
	issuer := httptest.NewUnstartedServer(http.NotFoundHandler())
	issuer.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	issuer.StartTLS()
	defer issuer.Close()
	// Signed by a real issuer's key, naming the loopback one: its keys
	// are never had, so the exchange cannot succeed either way; the
	// question is whether oatstore connected to fetch them.
	signer, err := oidcissuer.New(oidcissuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer signer.Close()
	claims := oidcissuer.GitHub("acme", "app", "refs/heads/main")
	claims["iss"] = issuer.URL
	jwt, err := signer.Mint(claims)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		fed       server.FederationConfig
		connected bool
	}{
		{"with no switch, a loopback issuer is refused before connecting", server.FederationConfig{}, false},
		{"allowing private issuers does not allow loopback ones", server.FederationConfig{AllowPrivateIssuers: true}, false},
		{"the loopback dev switch lets tests reach a loopback issuer", server.FederationConfig{AllowLoopbackHTTP: true}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, "", func(cfg *server.Config) { cfg.Federation = c.fed })
			e.putOrg("acme", `{}`)
			e.mustStatus(e.admin("PUT", "/v1/orgs/acme/federation/probe", map[string]any{
				"issuer": issuer.URL, "audience": "oatgate",
				"claims": map[string]string{"repository_owner": "acme"}, "scopes": []string{"repository:acme/app:pull"},
			}), http.StatusCreated)
			before := conns.Load()
			r := e.do("POST", "/v1/token", "", "application/x-www-form-urlencoded", strings.NewReader(url.Values{
				"grant_type":         {"urn:ietf:params:oauth:grant-type:token-exchange"},
				"subject_token":      {jwt},
				"subject_token_type": {"urn:ietf:params:oauth:token-type:id_token"},
			}.Encode()))
			if r.status != http.StatusServiceUnavailable {
				t.Errorf("exchange = %d %s, want 503: the issuer's keys could not be had", r.status, r.body)
			}
			if got := conns.Load() - before; (got > 0) != c.connected {
				t.Errorf("the issuer at %s saw %d connections, want connected=%v", issuer.URL, got, c.connected)
			}
		})
	}
}
