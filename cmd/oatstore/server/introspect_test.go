package server_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestIntrospect(t *testing.T) {
	e := newEnv(t, "")
	e.putOrg("acme", `{"allow_never_expires":true}`)
	expiring := e.create("acme", map[string]any{"label": "ci", "scopes": []string{"repository:acme/app:pull,push", "repository:acme/base:pull"}, "expires_in": "1d"})
	forever := e.create("acme", map[string]any{"label": "forever", "scopes": []string{"repository:acme/app:pull,push"}, "expires_in": "none"})
	revoked := e.create("acme", ciToken("revoked"))
	e.mustStatus(e.admin("POST", "/v1/orgs/acme/tokens/"+revoked.ID+"/revoke", nil), http.StatusOK)
	inactive := e.create("acme", ciToken("inactive"))
	e.mustStatus(e.admin("POST", "/v1/orgs/acme/tokens/"+inactive.ID+"/deactivate", nil), http.StatusOK)
	purged := e.create("acme", ciToken("purged"))
	e.mustStatus(e.admin("DELETE", "/v1/orgs/acme/tokens/"+purged.ID+"?purge=true", nil), http.StatusNoContent)

	t.Run("an active token answers its id, label, org, canonical scope and expiry", func(t *testing.T) {
		got := e.on(t).introspect(expiring.Secret)
		exp := expiring.ExpiresAt.Unix()
		want := introspection{Active: true, TokenID: expiring.ID, Label: "ci", Org: "acme",
			Scope: "repository:acme/app:pull,push repository:acme/base:pull", Exp: &exp}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
	t.Run("a token that never expires has no exp", func(t *testing.T) {
		e := e.on(t)
		r := e.do("POST", "/v1/introspect", gatewayKey, "application/x-www-form-urlencoded", strings.NewReader("token="+forever.Secret))
		e.mustStatus(r, http.StatusOK)
		if strings.Contains(string(r.body), `"exp"`) || !strings.Contains(string(r.body), `"active":true`) {
			t.Errorf("answer %s, want active without exp", r.body)
		}
	})
	for _, tc := range []struct{ name, secret string }{
		{"an unknown token is inactive", "oat_" + strings.Repeat("A", 43) + "000000"},
		{"a malformed token is inactive", "not-a-token"},
		{"a token with a typo is inactive", expiring.Secret[:10] + typo(expiring.Secret[10]) + expiring.Secret[11:]},
		{"a revoked token is inactive", revoked.Secret},
		{"a deactivated token is inactive", inactive.Secret},
		{"a deleted token is inactive", purged.Secret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.on(t)
			r := e.do("POST", "/v1/introspect", gatewayKey, "application/x-www-form-urlencoded", strings.NewReader("token="+tc.secret))
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
		if got := e.introspect(expiring.Secret); got.Active {
			t.Errorf("expired token introspects active: %+v", got)
		}
	})
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
	}{
		{"a request without the token field is refused", "application/x-www-form-urlencoded", "tok=x", 400},
		{"a JSON body is refused", "application/json", `{"token":"x"}`, 415},
		{"an oversized body is refused", "application/x-www-form-urlencoded", "token=" + strings.Repeat("a", 70<<10), 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.on(t)
			r := e.do("POST", "/v1/introspect", gatewayKey, tc.contentType, strings.NewReader(tc.body))
			e.mustStatus(r, tc.status)
			r.errorCode(t)
		})
	}
}

func TestLastUsed(t *testing.T) {
	e := newEnv(t, "")
	e.putOrg("acme", `{}`)
	tok := e.create("acme", ciToken("ci"))
	ctx := context.Background()

	lastUsed := func(t *testing.T) time.Time {
		t.Helper()
		// The write happens off the request path; wait for it, boundedly.
		for range 200 {
			got, err := e.st.GetToken(ctx, "acme", tok.ID)
			if err != nil {
				t.Fatalf("GetToken: %v", err)
			}
			if got.LastUsedAt != nil && !got.LastUsedAt.Before(e.clock.Now().Add(-time.Minute)) {
				return *got.LastUsedAt
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("last_used_at never reached %v", e.clock.Now().Add(-time.Minute))
		return time.Time{}
	}

	t.Run("introspection records the use", func(t *testing.T) {
		e.on(t).introspect(tok.Secret)
		if got, want := lastUsed(t), e.clock.Now(); !got.Equal(want) {
			t.Errorf("last_used_at = %v, want %v", got, want)
		}
	})
	t.Run("a second use within a minute is not written", func(t *testing.T) {
		first := e.clock.Now()
		e.clock.Advance(30 * time.Second)
		e.on(t).introspect(tok.Secret)
		time.Sleep(50 * time.Millisecond)
		got, err := e.st.GetToken(ctx, "acme", tok.ID)
		if err != nil {
			t.Fatalf("GetToken: %v", err)
		}
		if !got.LastUsedAt.Equal(first) {
			t.Errorf("last_used_at = %v, want still %v", got.LastUsedAt, first)
		}
	})
	t.Run("a use a minute later is written", func(t *testing.T) {
		e.clock.Advance(31 * time.Second)
		e.on(t).introspect(tok.Secret)
		if got, want := lastUsed(t), e.clock.Now(); !got.Equal(want) {
			t.Errorf("last_used_at = %v, want %v", got, want)
		}
	})
}

func FuzzIntrospectBody(f *testing.F) {
	e := newEnv(f, "")
	e.putOrg("acme", `{}`)
	tok := e.create("acme", ciToken("ci"))
	for _, s := range []string{"token=" + tok.Secret, "token=", "token=oat_x", "token=%zz", "a=b&token=" + tok.Secret + "&token=x", "", "token=" + strings.Repeat("a", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		e := e.on(t)
		r := e.do("POST", "/v1/introspect", gatewayKey, "application/x-www-form-urlencoded", strings.NewReader(body))
		switch r.status {
		case http.StatusOK:
			var in introspection
			r.json(t, &in)
			if in.Active && in.TokenID != tok.ID {
				t.Fatalf("body %q introspects active as %+v", body, in)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			r.errorCode(t)
		default:
			t.Fatalf("body %q: status %d %s", body, r.status, r.body)
		}
	})
}

// typo returns a character other than c, so that a "typo" never leaves
// the secret as it was (one secret in 62 has an "x" there).
func typo(c byte) string {
	if c == 'x' {
		return "y"
	}
	return "x"
}
