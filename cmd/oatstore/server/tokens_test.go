package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

func TestCreateToken(t *testing.T) {
	e := newEnv(t, "")
	e.putOrg("acme", `{}`)

	t.Run("a create answers the secret once with the metadata", func(t *testing.T) {
		e := e.on(t)
		got := e.create("acme", map[string]any{
			"label": "ci", "description": "CI pipeline",
			"scopes":     []string{"repository:acme/app:push,pull", "repository:acme/**:pull"},
			"expires_in": "90d",
		})
		if err := oat.Check(got.Secret); err != nil {
			t.Errorf("secret %q fails oat.Check: %v", got.Secret, err)
		}
		wantExp := e.clock.Now().Add(90 * 24 * time.Hour)
		if got.ExpiresAt == nil || !got.ExpiresAt.Equal(wantExp) {
			t.Errorf("expires_at = %v, want %v", got.ExpiresAt, wantExp)
		}
		if got.Label != "ci" || got.Description != "CI pipeline" || !got.Active || got.CreatedBy != "admin:admin" || got.RevokedAt != nil {
			t.Errorf("metadata = %+v, want label ci, active, created by admin:admin (the key's name)", got.Token)
		}
		if want := []string{"repository:acme/app:pull,push", "repository:acme/**:pull"}; strings.Join(got.Scopes, " ") != strings.Join(want, " ") {
			t.Errorf("scopes = %q, want canonical %q", got.Scopes, want)
		}

		show := e.admin("GET", "/v1/orgs/acme/tokens/"+got.ID, nil)
		e.mustStatus(show, http.StatusOK)
		list := e.admin("GET", "/v1/orgs/acme/tokens", nil)
		e.mustStatus(list, http.StatusOK)
		for name, r := range map[string]response{"show": show, "list": list} {
			if strings.Contains(string(r.body), got.Secret) || strings.Contains(string(r.body), `"token"`) {
				t.Errorf("%s answer carries the secret: %s", name, r.body)
			}
		}
		var shown store.Token
		show.json(t, &shown)
		if shown.ID != got.ID || shown.Label != "ci" {
			t.Errorf("show = %+v, want the created token", shown)
		}
	})

	t.Run("without an expiry a token expires after the org's default of 90 days", func(t *testing.T) {
		e := e.on(t)
		got := e.create("acme", ciToken("defaulted"))
		if want := e.clock.Now().Add(90 * 24 * time.Hour); got.ExpiresAt == nil || !got.ExpiresAt.Equal(want) {
			t.Errorf("expires_at = %v, want %v", got.ExpiresAt, want)
		}
	})

	t.Run("a token never expires only when asked and the org allows it", func(t *testing.T) {
		e := e.on(t)
		e.putOrg("open", `{"allow_never_expires":true}`)
		got := e.create("open", map[string]any{"label": "forever", "scopes": []string{"repository:open/app:pull"}, "expires_in": "none"})
		if got.ExpiresAt != nil {
			t.Errorf("expires_at = %v, want null", got.ExpiresAt)
		}
	})

	t.Run("without an expiry a token gets the org's own default", func(t *testing.T) {
		e := e.on(t)
		e.putOrg("weekly", `{"default_expiry_days":7}`)
		got := e.create("weekly", map[string]any{"label": "ci", "scopes": []string{"repository:weekly/app:pull"}})
		if want := e.clock.Now().Add(7 * 24 * time.Hour); got.ExpiresAt == nil || !got.ExpiresAt.Equal(want) {
			t.Errorf("expires_at = %v, want %v", got.ExpiresAt, want)
		}
	})

	t.Run("an explicit expires_at is kept", func(t *testing.T) {
		e := e.on(t)
		at := e.clock.Now().Add(48 * time.Hour).Format(time.RFC3339)
		got := e.create("acme", map[string]any{"label": "dated", "scopes": []string{"repository:acme/app:pull"}, "expires_at": at})
		if got.ExpiresAt == nil || got.ExpiresAt.Format(time.RFC3339) != at {
			t.Errorf("expires_at = %v, want %s", got.ExpiresAt, at)
		}
	})
}

func TestCreateTokenRefusals(t *testing.T) {
	e := newEnv(t, "")
	e.putOrg("acme", `{}`)
	e.putOrg("strict", `{"allow_never_expires":false,"max_expiry_days":30}`)
	e.create("acme", ciToken("taken"))
	now := e.clock.Now()
	scopes := `"scopes":["repository:acme/app:pull"]`

	for _, tc := range []struct {
		name, org, body, contentType string
		status                       int
		code, msg                    string
	}{
		{"malformed JSON is refused", "acme", `{"label":`, "", 400, "invalid_request", "malformed JSON"},
		{"broken JSON syntax is refused with the offset", "acme", `{"label" "x"}`, "", 400, "invalid_request", "byte"},
		{"an empty body is refused", "acme", ``, "", 400, "invalid_request", "empty body"},
		{"data after the object is refused", "acme", `{"label":"a",` + scopes + `} {}`, "", 400, "invalid_request", "after the object"},
		{"an unknown field is refused and named", "acme", `{"label":"a",` + scopes + `,"secret":"x"}`, "", 400, "invalid_request", `"secret"`},
		{"a wrongly typed field is refused and named", "acme", `{"label":5}`, "", 400, "invalid_request", `"label"`},
		{"a non-JSON content type is refused", "acme", `label=a`, "application/x-www-form-urlencoded", 415, "unsupported_media_type", "application/json"},
		{"a body over 64 KiB is refused", "acme", `{"label":"a","description":"` + strings.Repeat("x", 70<<10) + `"}`, "", 413, "too_large", "larger than"},
		{"a missing label is refused", "acme", `{` + scopes + `}`, "", 400, "invalid_request", "label is required"},
		{"a label with a newline is refused", "acme", `{"label":"a\nb",` + scopes + `}`, "", 400, "invalid_request", "control"},
		{"a description of 201 characters is refused", "acme", `{"label":"a","description":"` + strings.Repeat("é", 201) + `",` + scopes + `}`, "", 400, "invalid_request", "200"},
		{"a token without scopes is refused", "acme", `{"label":"a"}`, "", 400, "invalid_request", "at least one scope"},
		{"a scope outside the org's namespace is refused and named", "acme", `{"label":"a","scopes":["repository:other/app:pull"]}`, "", 400, "invalid_request", "repository:other/app:pull"},
		{"an unknown action is refused", "acme", `{"label":"a","scopes":["repository:acme/app:admin"]}`, "", 400, "invalid_request", "admin"},
		{"an unknown org resource is refused and named", "acme", `{"label":"a","scopes":["org:members:read"]}`, "", 400, "invalid_request", "org:members:read"},
		{"an org scope with a repository action is refused", "acme", `{"label":"a","scopes":["org:tokens:push"]}`, "", 400, "invalid_request", "org:tokens:push"},
		{"51 scopes are refused", "acme", `{"label":"a","scopes":[` + strings.TrimSuffix(strings.Repeat(`"repository:acme/app:pull",`, 51), ",") + `]}`, "", 400, "invalid_request", "50"},
		{"a bad duration is refused", "acme", `{"label":"a",` + scopes + `,"expires_in":"3 weeks"}`, "", 400, "invalid_request", "expires_in"},
		{"a negative duration is refused", "acme", `{"label":"a",` + scopes + `,"expires_in":"-5d"}`, "", 400, "invalid_request", "expires_in"},
		{"a non RFC 3339 expiry is refused", "acme", `{"label":"a",` + scopes + `,"expires_at":"tomorrow"}`, "", 400, "invalid_request", "RFC 3339"},
		{"both expiry forms at once are refused", "acme", `{"label":"a",` + scopes + `,"expires_in":"30d","expires_at":"2026-07-01T00:00:00Z"}`, "", 400, "invalid_request", "not both"},
		{"an expiry in the past is refused", "acme", `{"label":"a",` + scopes + `,"expires_at":"` + now.Add(-time.Hour).Format(time.RFC3339) + `"}`, "", 400, "invalid_request", "not in the future"},
		{"an expiry past a year is refused", "acme", `{"label":"a",` + scopes + `,"expires_in":"366d"}`, "", 400, "invalid_request", "365 days"},
		{"an expiry past the org maximum is refused", "strict", `{"label":"a","scopes":["repository:strict/app:pull"],"expires_in":"31d"}`, "", 400, "invalid_request", "30 days"},
		{"a never-expiring token is refused by a new org", "acme", `{"label":"a",` + scopes + `,"expires_in":"none"}`, "", 400, "invalid_request", "does not allow tokens that never expire"},
		{"a never-expiring token is refused where the org forbids it", "strict", `{"label":"a","scopes":["repository:strict/app:pull"],"expires_in":"never"}`, "", 400, "invalid_request", "allow_never_expires"},
		{"a duplicate label is refused", "acme", `{"label":"taken",` + scopes + `}`, "", 409, "conflict", "already has a token labelled"},
		{"an unknown org is 404", "nobody", `{"label":"a","scopes":["repository:nobody/app:pull"]}`, "", 404, "not_found", "oatstore org set nobody"},
		{"an invalid org name is refused", "Acme", `{"label":"a",` + scopes + `}`, "", 400, "invalid_request", "invalid org name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.on(t)
			ct := tc.contentType
			if ct == "" {
				ct = "application/json"
			}
			r := e.do("POST", "/v1/orgs/"+tc.org+"/tokens", adminKey, ct, strings.NewReader(tc.body))
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d; body %s", r.status, tc.status, r.body)
			}
			code, msg := r.errorCode(t)
			if code != tc.code || !strings.Contains(msg, tc.msg) {
				t.Errorf("error = %s %q, want %s containing %q", code, msg, tc.code, tc.msg)
			}
		})
	}
}

func TestTokenLimit(t *testing.T) {
	e := newEnv(t, "")
	e.putOrg("acme", `{"max_tokens":10}`)
	var ids []string
	for i := range 10 {
		ids = append(ids, e.create("acme", ciToken(fmt.Sprintf("t%d", i))).ID)
	}

	t.Run("the 11th token is refused with the limit and the count", func(t *testing.T) {
		e := e.on(t)
		r := e.admin("POST", "/v1/orgs/acme/tokens", ciToken("t10"))
		e.mustStatus(r, http.StatusConflict)
		code, msg := r.errorCode(t)
		want := `org "acme" has 10 of 10 tokens allowed; delete one or raise max_tokens`
		if code != "limit_reached" || msg != want {
			t.Errorf("error = %s %q, want limit_reached %q", code, msg, want)
		}
	})
	t.Run("a revoked token still counts", func(t *testing.T) {
		e := e.on(t)
		e.mustStatus(e.admin("DELETE", "/v1/orgs/acme/tokens/"+ids[0], nil), http.StatusOK)
		e.mustStatus(e.admin("POST", "/v1/orgs/acme/tokens", ciToken("t10")), http.StatusConflict)
	})
	t.Run("deleting one frees a slot", func(t *testing.T) {
		e := e.on(t)
		e.mustStatus(e.admin("DELETE", "/v1/orgs/acme/tokens/"+ids[0]+"?purge=true", nil), http.StatusNoContent)
		e.create("acme", ciToken("t10"))
		e.mustStatus(e.admin("POST", "/v1/orgs/acme/tokens", ciToken("t11")), http.StatusConflict)
	})
}

func TestTokenLimitUnderConcurrency(t *testing.T) {
	e := newEnv(t, "")
	e.putOrg("acme", `{"max_tokens":5}`)
	const attempts = 20
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
	)
	for i := range attempts {
		wg.Go(func() {
			r := e.admin("POST", "/v1/orgs/acme/tokens", ciToken(fmt.Sprintf("c%d", i)))
			mu.Lock()
			statuses[r.status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[http.StatusCreated] != 5 || statuses[http.StatusConflict] != attempts-5 {
		t.Errorf("statuses = %v, want 5 × 201 and %d × 409", statuses, attempts-5)
	}
}

func TestTokenLifecycle(t *testing.T) {
	e := newEnv(t, "")
	e.putOrg("acme", `{}`)
	tok := e.create("acme", map[string]any{"label": "ci", "scopes": []string{"repository:acme/app:pull"}, "expires_in": "30d"})
	e.create("acme", ciToken("other"))
	path := "/v1/orgs/acme/tokens/" + tok.ID
	patch := func(t *testing.T, body string, want int) store.Token {
		t.Helper()
		r := e.on(t).admin("PATCH", path, body)
		if r.status != want {
			t.Fatalf("PATCH %s: status = %d, want %d; body %s", body, r.status, want, r.body)
		}
		var out store.Token
		if want == http.StatusOK {
			r.json(t, &out)
		}
		return out
	}

	t.Run("label, description and scopes can be changed", func(t *testing.T) {
		got := patch(t, `{"label":"ci-2","description":"new","scopes":["repository:acme/*:pull"]}`, 200)
		if got.Label != "ci-2" || got.Description != "new" || strings.Join(got.Scopes, " ") != "repository:acme/*:pull" {
			t.Errorf("got %+v, want the new label, description and scopes", got)
		}
		if in := e.on(t).introspect(tok.Secret); in.Scope != "repository:acme/*:pull" || in.Label != "ci-2" {
			t.Errorf("introspection = %+v, want the new scope and label", in)
		}
	})
	t.Run("a label taken by another token is refused", func(t *testing.T) {
		patch(t, `{"label":"other"}`, 409)
	})
	t.Run("an invalid scope on update is refused", func(t *testing.T) {
		patch(t, `{"scopes":["repository:evil/app:pull"]}`, 400)
	})
	t.Run("an expiry can be shortened", func(t *testing.T) {
		got := patch(t, `{"expires_in":"10d"}`, 200)
		if want := e.clock.Now().Add(10 * 24 * time.Hour); got.ExpiresAt == nil || !got.ExpiresAt.Equal(want) {
			t.Errorf("expires_at = %v, want %v", got.ExpiresAt, want)
		}
	})
	t.Run("an expiry cannot be extended", func(t *testing.T) {
		patch(t, `{"expires_in":"20d"}`, 400)
	})
	t.Run("an expiry cannot be removed", func(t *testing.T) {
		patch(t, `{"expires_at":null}`, 400)
	})
	t.Run("a PATCH with an unknown field is refused", func(t *testing.T) {
		patch(t, `{"owner":"bob"}`, 400)
	})
	t.Run("deactivation makes introspection inactive and activation restores it", func(t *testing.T) {
		e := e.on(t)
		e.mustStatus(e.admin("POST", path+"/deactivate", nil), http.StatusOK)
		if in := e.introspect(tok.Secret); in.Active {
			t.Errorf("deactivated token introspects active: %+v", in)
		}
		e.mustStatus(e.admin("POST", path+"/activate", nil), http.StatusOK)
		if in := e.introspect(tok.Secret); !in.Active {
			t.Errorf("reactivated token introspects inactive")
		}
		patch(t, `{"active":false}`, 200)
		if in := e.introspect(tok.Secret); in.Active {
			t.Errorf("token deactivated by PATCH introspects active")
		}
		patch(t, `{"active":true}`, 200)
	})
	t.Run("a revoked token cannot be reactivated", func(t *testing.T) {
		e := e.on(t)
		r := e.admin("DELETE", path, nil)
		e.mustStatus(r, http.StatusOK)
		var revoked store.Token
		r.json(t, &revoked)
		if revoked.RevokedAt == nil {
			t.Fatalf("revoked_at not set: %s", r.body)
		}
		e.mustStatus(e.admin("POST", path+"/activate", nil), http.StatusConflict)
		patch(t, `{"active":true}`, 409)
		if in := e.introspect(tok.Secret); in.Active {
			t.Errorf("revoked token introspects active")
		}
		e.mustStatus(e.admin("POST", path+"/revoke", nil), http.StatusOK)
	})
	t.Run("a purged token is gone", func(t *testing.T) {
		e := e.on(t)
		e.mustStatus(e.admin("DELETE", path+"?purge=true", nil), http.StatusNoContent)
		e.mustStatus(e.admin("GET", path, nil), http.StatusNotFound)
		e.mustStatus(e.admin("DELETE", path+"?purge=true", nil), http.StatusNotFound)
		e.mustStatus(e.admin("DELETE", path+"?purge=maybe", nil), http.StatusBadRequest)
	})
	t.Run("a malformed token id is 404", func(t *testing.T) {
		e := e.on(t)
		e.mustStatus(e.admin("GET", "/v1/orgs/acme/tokens/nope", nil), http.StatusNotFound)
	})
	t.Run("another org's token id is 404", func(t *testing.T) {
		e := e.on(t)
		e.putOrg("beta", `{}`)
		other := e.create("beta", map[string]any{"label": "x", "scopes": []string{"repository:beta/app:pull"}})
		e.mustStatus(e.admin("GET", "/v1/orgs/acme/tokens/"+other.ID, nil), http.StatusNotFound)
	})
}
