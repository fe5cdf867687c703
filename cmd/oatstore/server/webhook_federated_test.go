package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/server/servertest"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/testenv"
	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// Federated tokens are a CI job's, minted per job and gone in minutes: a
// webhook event for each would flood receivers (a policy deleted under a
// busy pipeline revokes thousands). None of their lifecycle is a webhook
// event (created, expiring, expired, revoked one by one or with their
// policy); the audit records each. An org access token's revocation still
// is one.
func TestAFederatedTokensLifecycleSendsNoWebhookEvents(t *testing.T) {
	e := newEnv(t, "", fastHooks)
	iss, err := oidcissuer.New(oidcissuer.Options{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	e.putOrg("acme", `{}`)
	rc := servertest.NewReceiver(t, hookSecret, e.clock.Now)
	e.mustStatus(e.admin("PUT", "/v1/orgs/acme/webhooks/all", hookBody(rc.URL, store.EventTypes...)), http.StatusCreated)
	e.mustStatus(e.admin("PUT", "/v1/orgs/acme/federation/gha", map[string]any{
		"issuer": iss.URL(), "audience": "oatgate",
		"claims": map[string]string{"repository_owner": "acme"}, "scopes": []string{"repository:acme/app:pull"},
	}), http.StatusCreated)
	exchange := func(ref string) string {
		t.Helper()
		jwt, err := iss.Mint(oidcissuer.GitHub("acme", "app", ref))
		if err != nil {
			t.Fatal(err)
		}
		r := e.do("POST", "/v1/token", "", "application/x-www-form-urlencoded", strings.NewReader(url.Values{
			"grant_type":         {"urn:ietf:params:oauth:grant-type:token-exchange"},
			"subject_token":      {jwt},
			"subject_token_type": {"urn:ietf:params:oauth:token-type:id_token"},
		}.Encode()))
		e.mustStatus(r, http.StatusOK)
		var g struct {
			AccessToken string `json:"access_token"`
		}
		r.json(t, &g)
		return g.AccessToken
	}
	one := e.introspect(exchange("refs/heads/main"))
	exchange("refs/heads/dev")
	// One revoked by hand, the other with its policy.
	e.mustStatus(e.admin("POST", "/v1/orgs/acme/tokens/"+one.TokenID+"/revoke", nil), http.StatusOK)
	e.mustStatus(e.admin("DELETE", "/v1/orgs/acme/federation/gha", nil), http.StatusOK)
	// An org access token created and revoked after them: its two events
	// arriving means the federated ones would have too.
	tok := e.create("acme", ciToken("ci"))
	e.mustStatus(e.admin("POST", "/v1/orgs/acme/tokens/"+tok.ID+"/revoke", nil), http.StatusOK)
	testenv.Eventually(t, 10*time.Second, "the org access token's events", func() bool {
		n := 0
		for _, ev := range rc.Delivered() {
			if ev.Token != nil && ev.Token.ID == tok.ID {
				n++
			}
		}
		return n == 2
	})
	time.Sleep(100 * time.Millisecond) // a round more, for stragglers
	for _, ev := range rc.Delivered() {
		if ev.Token == nil || ev.Token.ID != tok.ID {
			t.Errorf("the receiver got %s of token %+v; want only the org access token's events", ev.Type, ev.Token)
		}
	}
	if audit := e.admin("GET", "/v1/orgs/acme/audit?action=token.revoked", nil); strings.Count(string(audit.body), `"action":"token.revoked"`) != 3 {
		t.Errorf("the audit holds %d token.revoked entries, want 3 (both federated tokens and the org access token): %s", strings.Count(string(audit.body), `"action":"token.revoked"`), audit.body)
	}
}

// A federated token lives minutes: the expiry scan, which would send
// token.expiring at once (its 1-day threshold is long past its creation)
// and token.expired soon after, leaves it out. An org access token
// expiring at the same time shows the scan ran.
func TestAFederatedTokensExpiryIsNoWebhookEvent(t *testing.T) {
	e := newEnv(t, "", fastHooks)
	iss, err := oidcissuer.New(oidcissuer.Options{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	e.putOrg("acme", `{}`)
	rc := servertest.NewReceiver(t, hookSecret, e.clock.Now)
	e.mustStatus(e.admin("PUT", "/v1/orgs/acme/webhooks/expiry", hookBody(rc.URL, store.EventTokenExpiring, store.EventTokenExpired)), http.StatusCreated)
	e.mustStatus(e.admin("PUT", "/v1/orgs/acme/federation/gha", map[string]any{
		"issuer": iss.URL(), "audience": "oatgate", "ttl": "15m",
		"claims": map[string]string{"repository_owner": "acme"}, "scopes": []string{"repository:acme/app:pull"},
	}), http.StatusCreated)
	jwt, err := iss.Mint(oidcissuer.GitHub("acme", "app", "refs/heads/main"))
	if err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "/v1/token", "", "application/x-www-form-urlencoded", strings.NewReader(url.Values{
		"grant_type":         {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"subject_token":      {jwt},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:id_token"},
	}.Encode()))
	e.mustStatus(r, http.StatusOK)
	// The federated token expires: scans run every 20 ms, and one that saw
	// it expire within the week would send token.expired.
	e.clock.Advance(16 * time.Minute)
	time.Sleep(300 * time.Millisecond)
	tok := e.create("acme", ciToken("ci"))
	// To a day before the org access token expires (its latest due notice, the 1-day one), then to
	// its expiry.
	exp := *tok.ExpiresAt
	e.clock.Advance(exp.Add(-24 * time.Hour).Sub(e.clock.Now()))
	testenv.Eventually(t, 10*time.Second, "the org access token's expiring notice", func() bool { return len(rc.Delivered()) == 1 })
	e.clock.Advance(exp.Sub(e.clock.Now()))
	testenv.Eventually(t, 10*time.Second, "the org access token's expiry", func() bool { return len(rc.Delivered()) == 2 })
	time.Sleep(100 * time.Millisecond) // a round more, for stragglers
	for _, ev := range rc.Delivered() {
		if ev.Token == nil || ev.Token.ID != tok.ID {
			t.Errorf("the receiver got %s of token %+v; want only the org access token's", ev.Type, ev.Token)
		}
	}
}
