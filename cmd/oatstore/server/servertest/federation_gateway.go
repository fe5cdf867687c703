package servertest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// gatewayIntrospection: a docker login with a JWT as the password, as a
// gateway asks about it: one token per (org, JWT).
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

// policyDeletion: deleting a policy revokes its tokens, exchanged and
// logged in alike, through the feed.
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
	t.Run("a revoked login's JWT re-spelled is refused, not a new login", func(t *testing.T) {
		jwt := f.jwt(t, job("refs/heads/respelled", nil))
		_, one := f.introspect(t, "acme", jwt)
		e.must(t, http.StatusOK, AliceKey, "POST", "/v1/orgs/acme/tokens/"+one.TokenID+"/revoke", nil)
		variants := respellings(jwt)
		if len(variants) < 2 {
			t.Fatalf("%d re-spellings, want the signature's and a newline's", len(variants))
		}
		for i, v := range variants {
			if status, in := f.introspect(t, "acme", v); status != http.StatusOK || in.Active {
				t.Errorf("re-spelling %d: introspection = %d %+v, want inactive", i, status, in)
			}
			if status, g := f.exchange(t, v); status != http.StatusBadRequest || g.Error != "invalid_grant" {
				t.Errorf("re-spelling %d: exchange = %d %+v, want invalid_grant", i, status, g)
			}
		}
	})
}
