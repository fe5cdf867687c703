package server_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/adminkeys"
	"github.com/oatgate/oatgate/cmd/oatstore/server"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

func TestOrgs(t *testing.T) {
	e := newEnv(t, "")

	t.Run("a new org is created with the defaults and answers 201", func(t *testing.T) {
		e := e.on(t)
		r := e.admin("PUT", "/v1/orgs/acme", `{}`)
		e.mustStatus(r, http.StatusCreated)
		var o store.Org
		r.json(t, &o)
		want := store.Defaults("acme")
		if o.MaxTokens != want.MaxTokens || o.MaxExpiryDays != want.MaxExpiryDays || o.AllowNeverExpires != want.AllowNeverExpires {
			t.Errorf("got %+v, want the defaults %+v", o, want)
		}
	})

	t.Run("an update keeps omitted settings and answers 200", func(t *testing.T) {
		e := e.on(t)
		r := e.admin("PUT", "/v1/orgs/acme", map[string]any{"max_tokens": 10, "allow_never_expires": false})
		e.mustStatus(r, http.StatusOK)
		r = e.admin("GET", "/v1/orgs/acme", nil)
		e.mustStatus(r, http.StatusOK)
		var o store.Org
		r.json(t, &o)
		if o.MaxTokens != 10 || o.AllowNeverExpires || o.MaxExpiryDays != store.DefaultMaxExpiryDays {
			t.Errorf("got %+v, want max_tokens 10, never-expiry forbidden, default max expiry", o)
		}
	})

	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"an unknown org is 404", "GET", "/v1/orgs/nobody", nil, 404, "not_found"},
		{"an upper-case org name is refused", "PUT", "/v1/orgs/ACME", `{}`, 400, "invalid_request"},
		{"a dot segment in place of an org is not a route", "GET", "/v1/orgs/..", nil, 404, "not_found"},
		{"an org name with an encoded slash is refused", "PUT", "/v1/orgs/acme%2Fteam", `{}`, 400, "invalid_request"},
		{"a negative max_tokens is refused", "PUT", "/v1/orgs/acme", `{"max_tokens":-1}`, 400, "invalid_request"},
		{"a max_expiry_days of zero is refused", "PUT", "/v1/orgs/acme", `{"max_expiry_days":0}`, 400, "invalid_request"},
		{"a string max_tokens is refused", "PUT", "/v1/orgs/acme", `{"max_tokens":"10"}`, 400, "invalid_request"},
		{"an unknown setting is refused", "PUT", "/v1/orgs/acme", `{"max_token":10}`, 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.on(t)
			r := e.admin(tc.method, tc.path, tc.body)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d; body %s", r.status, tc.status, r.body)
			}
			if code, _ := r.errorCode(t); code != tc.code {
				t.Errorf("code = %q, want %q", code, tc.code)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t, "")
	e.putOrg("acme", `{}`)
	for _, tc := range []struct {
		name, method, path, key string
	}{
		{"the management API refuses a request without a key", "GET", "/v1/orgs/acme", ""},
		{"the management API refuses a wrong key", "GET", "/v1/orgs/acme", "wrong"},
		{"the management API refuses a gateway key", "GET", "/v1/orgs/acme", gatewayKey},
		{"introspection refuses the admin key", "POST", "/v1/introspect", adminKey},
		{"the revocation feed refuses a request without a key", "GET", "/v1/revocations", ""},
		{"a key that is a prefix of the real one is refused", "GET", "/v1/orgs/acme", adminKey[:10]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.on(t)
			r := e.do(tc.method, tc.path, tc.key, "application/x-www-form-urlencoded", nil)
			if r.status != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401; body %s", r.status, r.body)
			}
			if code, _ := r.errorCode(t); code != "unauthorized" {
				t.Errorf("code = %q, want unauthorized", code)
			}
			if r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("no WWW-Authenticate header")
			}
		})
	}
	t.Run("the older of two rotated gateway keys still works", func(t *testing.T) {
		e := e.on(t)
		r := e.do("GET", "/v1/revocations", "old-gateway-key-being-rotated-out", "", nil)
		e.mustStatus(r, http.StatusOK)
	})
}

func TestRouting(t *testing.T) {
	e := newEnv(t, "")
	t.Run("an unknown path is a JSON 404", func(t *testing.T) {
		e := e.on(t)
		r := e.admin("GET", "/v2/", nil)
		e.mustStatus(r, http.StatusNotFound)
		if code, _ := r.errorCode(t); code != "not_found" {
			t.Errorf("code = %q, want not_found", code)
		}
	})
	t.Run("a wrong method is a JSON 405 with Allow", func(t *testing.T) {
		e := e.on(t)
		r := e.admin("DELETE", "/v1/orgs/acme", nil)
		e.mustStatus(r, http.StatusMethodNotAllowed)
		if code, _ := r.errorCode(t); code != "method_not_allowed" {
			t.Errorf("code = %q, want method_not_allowed", code)
		}
		if r.header.Get("Allow") == "" {
			t.Errorf("no Allow header")
		}
	})
	t.Run("the health check needs no key", func(t *testing.T) {
		e := e.on(t)
		e.mustStatus(e.do("GET", "/healthz", "", "", nil), http.StatusOK)
	})
}

func TestNewRefusesNoAdminKey(t *testing.T) {
	e := newEnv(t, "")
	empty, err := adminkeys.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		keys *adminkeys.Ring
	}{
		{"no ring is refused", nil},
		{"an empty ring is refused", empty},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newServer(e, tt.keys)
			if !errors.Is(err, server.ErrNoAdminKey) {
				t.Fatalf("got %v, want ErrNoAdminKey", err)
			}
		})
	}
}
