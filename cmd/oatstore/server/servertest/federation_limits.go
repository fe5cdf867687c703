package servertest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// activeBound: past max_federated_tokens, both the exchange and a gateway
// login answer 429.
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
	t.Run("one ID token exchanged again and again stops at the per-token bound, not the org's", func(t *testing.T) {
		e.must(t, http.StatusCreated, AliceKey, "PUT", "/v1/orgs/replayed", `{"max_federated_tokens":20}`)
		e.putPolicy(t, http.StatusCreated, AliceKey, "replayed", "gha", policyBody(f.iss.URL(), map[string]string{"repository_owner": "acme", "workflow": "replayed"}, "repository:replayed/app:pull"))
		jwt := f.jwt(t, job("refs/heads/feature", oidcissuer.Claims{"workflow": "replayed"}))
		for i := range store.MaxExchangesPerIDToken {
			if status, g := f.exchange(t, jwt, "audience", "replayed"); status != http.StatusOK {
				t.Fatalf("exchange %d = %d %+v; want 200", i+1, status, g)
			}
		}
		if status, g := f.exchange(t, jwt, "audience", "replayed"); status != http.StatusBadRequest || g.Error != "invalid_grant" || !strings.Contains(g.Description, "new ID token") {
			t.Errorf("exchange %d = %d %+v; want invalid_grant asking for a new ID token", store.MaxExchangesPerIDToken+1, status, g)
		}
		if status, in := f.introspect(t, "replayed", jwt); status != http.StatusOK || in.Active {
			t.Errorf("a gateway login with it = %d %+v; want inactive", status, in)
		}
		if status, g := f.exchange(t, f.jwt(t, job("refs/heads/feature", oidcissuer.Claims{"workflow": "replayed"})), "audience", "replayed"); status != http.StatusOK {
			t.Errorf("another job's exchange = %d %+v; want 200", status, g)
		}
	})
	t.Run("a gateway login past the bound is 429", func(t *testing.T) {
		a := e.post(t, GatewayKey, "/v1/introspect", url.Values{"token": {bounded()}, "org": {"bounded"}})
		if a.status != http.StatusTooManyRequests || !strings.Contains(a.message(), "too_many_requests") {
			t.Errorf("introspection = %d %s; want 429 too_many_requests", a.status, a.body)
		}
	})
}

// issuerOutages: an issuer that goes down is verified with cached keys;
// one never reached is 503, never a grant.
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

// keyRotation: a new key at the issuer is fetched at the next allowed
// refetch, and the dropped key stops verifying.
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

// expiryAndPurge: a login outlives its ID token until its own expiry,
// and the purge removes it a day later while the audit keeps it.
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
