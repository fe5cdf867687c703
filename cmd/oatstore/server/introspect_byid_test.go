package server_test

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestIntrospectByID(t *testing.T) {
	e := newEnv(t, "")
	e.putOrg("acme", `{}`)
	e.putOrg("other", `{}`)
	active := e.create("acme", map[string]any{"label": "ci", "scopes": []string{"repository:acme/app:pull,push"}, "expires_in": "1d"})
	revoked := e.create("acme", ciToken("revoked"))
	e.mustStatus(e.admin("POST", "/v1/orgs/acme/tokens/"+revoked.ID+"/revoke", nil), http.StatusOK)
	inactive := e.create("acme", ciToken("inactive"))
	e.mustStatus(e.admin("POST", "/v1/orgs/acme/tokens/"+inactive.ID+"/deactivate", nil), http.StatusOK)
	purged := e.create("acme", ciToken("purged"))
	e.mustStatus(e.admin("DELETE", "/v1/orgs/acme/tokens/"+purged.ID+"?purge=true", nil), http.StatusNoContent)

	byID := func(e *env, form url.Values) response {
		e.t.Helper()
		return e.do("POST", "/v1/introspect", gatewayKey, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	}

	t.Run("an active token named by id and org answers as its secret does", func(t *testing.T) {
		e := e.on(t)
		r := byID(e, url.Values{"token_id": {active.ID}, "org": {"acme"}})
		e.mustStatus(r, http.StatusOK)
		var got introspection
		r.json(t, &got)
		if want := e.introspect(active.Secret); !reflect.DeepEqual(got, want) {
			t.Errorf("by id %+v, by secret %+v: want the same", got, want)
		}
		if !got.Active || got.TokenID != active.ID {
			t.Errorf("got %+v, want active token %s", got, active.ID)
		}
	})
	for _, tc := range []struct {
		name string
		form url.Values
	}{
		{"a revoked token is inactive", url.Values{"token_id": {revoked.ID}, "org": {"acme"}}},
		{"a deactivated token is inactive", url.Values{"token_id": {inactive.ID}, "org": {"acme"}}},
		{"a deleted token is inactive", url.Values{"token_id": {purged.ID}, "org": {"acme"}}},
		{"a token named with another org is inactive", url.Values{"token_id": {active.ID}, "org": {"other"}}},
		{"a token named with an invalid org is inactive", url.Values{"token_id": {active.ID}, "org": {"../acme"}}},
		{"an unknown id is inactive", url.Values{"token_id": {"tok_unknown"}, "org": {"acme"}}},
		{"an empty id is inactive", url.Values{"token_id": {""}, "org": {"acme"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.on(t)
			r := byID(e, tc.form)
			e.mustStatus(r, http.StatusOK)
			if got := strings.TrimSpace(string(r.body)); got != `{"active":false}` {
				t.Errorf("answer %s, want {\"active\":false}", got)
			}
		})
	}
	t.Run("an expired token is inactive", func(t *testing.T) {
		e := e.on(t)
		e.clock.Advance(25 * time.Hour)
		defer e.clock.Advance(-25 * time.Hour)
		r := byID(e, url.Values{"token_id": {active.ID}, "org": {"acme"}})
		e.mustStatus(r, http.StatusOK)
		if strings.Contains(string(r.body), `"active":true`) {
			t.Errorf("expired token introspects active by id: %s", r.body)
		}
	})
	for _, tc := range []struct {
		name string
		form url.Values
	}{
		{"an id without its org is refused", url.Values{"token_id": {active.ID}}},
		{"an id given twice is refused", url.Values{"token_id": {active.ID, revoked.ID}, "org": {"acme"}}},
		{"an org given twice is refused", url.Values{"token_id": {active.ID}, "org": {"acme", "other"}}},
		{"an id beside a secret is refused", url.Values{"token_id": {active.ID}, "org": {"acme"}, "token": {active.Secret}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.on(t)
			r := byID(e, tc.form)
			e.mustStatus(r, http.StatusBadRequest)
			r.errorCode(t)
		})
	}
	t.Run("introspection by id takes the gateway key", func(t *testing.T) {
		e := e.on(t)
		r := e.do("POST", "/v1/introspect", "", "application/x-www-form-urlencoded", strings.NewReader(url.Values{"token_id": {active.ID}, "org": {"acme"}}.Encode()))
		if r.status != http.StatusUnauthorized {
			t.Errorf("without the gateway key: status %d %s, want 401", r.status, r.body)
		}
	})
}
