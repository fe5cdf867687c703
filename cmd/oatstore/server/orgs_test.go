package server_test

import (
	"errors"
	"net/http"
	"strings"
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
		if o.MaxTokens != want.MaxTokens || o.MaxExpiryDays != want.MaxExpiryDays || o.AllowNeverExpires != want.AllowNeverExpires || o.DefaultExpiryDays != want.DefaultExpiryDays {
			t.Errorf("got %+v, want the defaults %+v", o, want)
		}
		if o.DefaultExpiryDays != 90 || o.AllowNeverExpires {
			t.Errorf("got default_expiry_days %d, allow_never_expires %v; want 90 and false: tokens expire unless the org opts out",
				o.DefaultExpiryDays, o.AllowNeverExpires)
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

	t.Run("the expiry settings are shown and kept consistent", func(t *testing.T) {
		e.on(t).putOrg("settings", `{}`)
		for _, step := range []struct {
			name, body           string
			status               int
			wantDefault, wantMax int
			wantNever            bool
		}{
			{"an org opts in to never-expiring tokens", `{"allow_never_expires":true}`, 200, 90, 365, true},
			{"a default expiry is set", `{"default_expiry_days":30}`, 200, 30, 365, true},
			{"a default past the maximum is refused", `{"default_expiry_days":400}`, 400, 30, 365, true},
			{"a default past a new maximum is refused", `{"default_expiry_days":20,"max_expiry_days":10}`, 400, 30, 365, true},
			{"a maximum below the default lowers the default", `{"max_expiry_days":14}`, 200, 14, 14, true},
			{"a default of zero is refused", `{"default_expiry_days":0}`, 400, 14, 14, true},
			{"both are raised together", `{"max_expiry_days":180,"default_expiry_days":60,"allow_never_expires":false}`, 200, 60, 180, false},
		} {
			t.Run(step.name, func(t *testing.T) {
				e := e.on(t)
				e.mustStatus(e.admin("PUT", "/v1/orgs/settings", step.body), step.status)
				r := e.admin("GET", "/v1/orgs/settings", nil)
				e.mustStatus(r, http.StatusOK)
				var o store.Org
				r.json(t, &o)
				if o.DefaultExpiryDays != step.wantDefault || o.MaxExpiryDays != step.wantMax || o.AllowNeverExpires != step.wantNever {
					t.Errorf("org = default %d, max %d, never %v; want %d, %d, %v", o.DefaultExpiryDays, o.MaxExpiryDays, o.AllowNeverExpires, step.wantDefault, step.wantMax, step.wantNever)
				}
				if !strings.Contains(string(r.body), `"default_expiry_days":`) {
					t.Errorf("GET answer %s does not show default_expiry_days", r.body)
				}
			})
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

func TestNewRefusesShortKeys(t *testing.T) {
	e := newEnv(t, "")
	long := strings.Repeat("k", 32)
	for _, tc := range []struct {
		name    string
		gateway []string
		want    string
	}{
		{"a short gateway key is refused", []string{"gw"}, "gateway key 1 is 2 bytes"},
		{"a short key among rotated gateway keys is refused", []string{long, "gw"}, "gateway key 2 is 2 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := server.New(server.Config{Store: e.st, AdminKeys: testKeys(t), GatewayKeys: tc.gateway})
			if !errors.Is(err, server.ErrShortKey) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want ErrShortKey saying %q", err, tc.want)
			}
		})
	}
	// Admin keys are checked, length included, when their ring is built.
	for _, tc := range []struct {
		name, key, want string
	}{
		{"an admin key of 31 bytes is refused", strings.Repeat("k", 31), "31 bytes, at least 32"},
		{"spaces around a key do not count toward its length", "  " + strings.Repeat("k", 30) + "  ", "30 bytes, at least 32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := adminkeys.Load(adminkeys.Sources{Single: tc.key})
			if !errors.Is(err, adminkeys.ErrKey) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load = %v, want ErrKey saying %q", err, tc.want)
			}
		})
	}
	t.Run("keys of 32 bytes are accepted", func(t *testing.T) {
		keys, err := adminkeys.Load(adminkeys.Sources{Single: long})
		if err != nil {
			t.Fatalf("Load = %v, want a ring", err)
		}
		srv, err := server.New(server.Config{Store: e.st, AdminKeys: keys, GatewayKeys: []string{long}})
		if err != nil {
			t.Fatalf("New = %v, want a server", err)
		}
		srv.Close()
	})
}
