package servertest

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// FederatedReplicas starts two oatstore servers on one database (open
// returns a new Store on it each call) and has gateways log in with the
// same ID token on both at once: every answer must name the same token,
// issued once, and the same JWT for another org another token.
func FederatedReplicas(t *testing.T, open func(t *testing.T) store.Store) {
	a := start(t, open(t), federationConfig)
	b := start(t, open(t), federationConfig)
	iss := newFed(t, a, oidcissuer.RS256)
	for _, org := range []string{"acme", "globex"} {
		a.must(t, http.StatusCreated, AliceKey, "PUT", "/v1/orgs/"+org, `{}`)
		a.putPolicy(t, http.StatusCreated, AliceKey, org, "gha", policyBody(iss.URL(), map[string]string{"repository_owner": "acme"}, "repository:"+org+"/app:pull"))
	}
	jwt, err := iss.Mint(job("refs/heads/main", nil))
	if err != nil {
		t.Fatal(err)
	}
	const n = 16
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i] = loginID(t, []*env{a, b}[i%2], jwt, "acme")
		}()
	}
	wg.Wait()
	for i, id := range ids {
		if id == "" || id != ids[0] {
			t.Fatalf("login %d on replica %d got token %q, login 0 got %q; want one token for one (org, JWT)", i, i%2, id, ids[0])
		}
	}
	if other := loginID(t, b, jwt, "globex"); other == "" || other == ids[0] {
		t.Errorf("the same JWT for globex got %q; want a token of its own", other)
	}
	var page struct{ Entries []store.AuditEntry }
	a.must(t, http.StatusOK, AliceKey, "GET", "/v1/orgs/acme/audit?action=token.exchanged", nil).decode(t, &page)
	if len(page.Entries) != 1 {
		t.Errorf("%d token.exchanged entries for acme, want 1", len(page.Entries))
	}

	t.Run("a policy deleted on one replica is not chosen on the other", func(t *testing.T) {
		// b has read acme's policies (cached for a second); a deletes the
		// one b would choose first. b's next exchange must fall back to
		// the other matching policy, not refuse the job.
		a.putPolicy(t, http.StatusCreated, AliceKey, "acme", "aaa-first", policyBody(iss.URL(), map[string]string{"repository_owner": "acme"}, "repository:acme/first:pull"))
		fb := &fed{e: b, iss: iss}
		b.clock.advance(2 * time.Second) // b's cached policies, without aaa-first, grow stale
		if status, g := fb.exchange(t, fb.jwt(t, job("refs/heads/main", nil)), "audience", "acme"); status != http.StatusOK || g.Scope != "repository:acme/first:pull" {
			t.Fatalf("exchange on b = %d %+v; want aaa-first's scope", status, g)
		}
		a.must(t, http.StatusOK, AliceKey, "DELETE", "/v1/orgs/acme/federation/aaa-first", nil)
		if status, g := fb.exchange(t, fb.jwt(t, job("refs/heads/main", nil)), "audience", "acme"); status != http.StatusOK || g.Scope != "repository:acme/app:pull" {
			t.Errorf("exchange on b after the delete on a = %d %+v; want gha's scope", status, g)
		}
	})
}

// loginID introspects a gateway login on r and returns the token id, or
// "" (reporting why) when the answer is not an active token. It may run
// on any goroutine.
func loginID(t *testing.T, r *env, jwt, org string) string {
	req, err := http.NewRequest("POST", r.url+storeapi.IntrospectPath, strings.NewReader(url.Values{"token": {jwt}, "org": {org}}.Encode()))
	if err != nil {
		t.Error(err)
		return ""
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+GatewayKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return ""
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Error(err)
		return ""
	}
	in, err := storeapi.ParseIntrospection(body)
	if res.StatusCode != http.StatusOK || err != nil || !in.Active {
		t.Errorf("login for %s = %d %s (%v), want an active token", org, res.StatusCode, body, err)
		return ""
	}
	return in.TokenID
}
