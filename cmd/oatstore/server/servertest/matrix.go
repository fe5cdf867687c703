package servertest

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// EscalationMatrix is issue 15's matrix as HTTP requests against a real
// server over st: each row a request, who makes it and the status it must
// get. The rows that change tokens are decided inside the store's
// transaction, so the matrix runs on every backend. After the rows it
// checks what the matrix implies: refused requests changed nothing, the
// audit names the authenticated actor of every change, a management
// token's tokens count toward the limit and do not outlive it, and a
// revoked management token is refused at its next call.
func EscalationMatrix(t *testing.T, st store.Store) {
	e := start(t, st)
	const alice, bootstrap = AliceKey, BootstrapKey
	e.must(t, http.StatusCreated, alice, "PUT", "/v1/orgs/acme", `{"max_tokens":40}`)
	e.must(t, http.StatusCreated, alice, "PUT", "/v1/orgs/globex", `{}`)

	// The management token, and others to try.
	manager := e.create(t, alice, "acme", "manager", "30d", "org:tokens:write", "repository:acme/app:push")
	auditor := e.create(t, alice, "acme", "auditor", "30d", "org:audit:read")
	pusher := e.create(t, alice, "acme", "pusher", "30d", "repository:acme/**:push")
	deactivated := e.create(t, alice, "acme", "manager-deactivated", "30d", "org:tokens:write", "repository:acme/app:push")
	e.must(t, http.StatusOK, alice, "POST", "/v1/orgs/acme/tokens/"+deactivated.ID+"/deactivate", nil)
	revoked := e.create(t, alice, "acme", "manager-revoked", "30d", "org:tokens:write", "repository:acme/app:push")
	e.must(t, http.StatusOK, alice, "POST", "/v1/orgs/acme/tokens/"+revoked.ID+"/revoke", nil)
	expired := e.create(t, alice, "acme", "manager-expired", "1h", "org:tokens:write", "repository:acme/app:push")
	globexManager := e.create(t, alice, "globex", "manager", "30d", "org:tokens:write", "org:audit:read", "repository:globex/**:delete")

	// Tokens the rows change: narrow ones the manager covers, a broad one
	// it does not.
	narrow := func(label string) string {
		return e.create(t, alice, "acme", label, "7d", "repository:acme/app:pull").ID
	}
	widen, rescope, deactivate, revoke, purge := narrow("widen-me"), narrow("rescope-me"), narrow("deactivate-me"), narrow("revoke-me"), narrow("purge-me")
	reactivate := narrow("reactivate-me")
	e.must(t, http.StatusOK, alice, "POST", "/v1/orgs/acme/tokens/"+reactivate+"/deactivate", nil)
	broad := e.create(t, alice, "acme", "broad", "7d", "repository:acme/**:pull").ID
	e.clock.advance(2 * time.Hour) // expired is now past its expiry

	tokens := "/v1/orgs/acme/tokens/"
	body := func(label, expiresIn string, scopes ...string) map[string]any {
		b := map[string]any{"label": label, "scopes": scopes}
		if expiresIn != "" {
			b["expires_in"] = expiresIn
		}
		return b
	}
	tests := []struct {
		name       string
		credential string
		method     string
		path       string
		body       any
		want       int
	}{
		// The rows.
		{"a manager creates repository:acme/app:pull, which its push covers (201)", manager.Secret, "POST", "/v1/orgs/acme/tokens",
			body("m-pull", "7d", "repository:acme/app:pull"), http.StatusCreated},
		{"a manager may not create repository:acme/**:pull, wider than its own (403)", manager.Secret, "POST", "/v1/orgs/acme/tokens",
			body("m-all", "7d", "repository:acme/**:pull"), http.StatusForbidden},
		{"a manager may not create repository:acme/app:delete, more than push (403)", manager.Secret, "POST", "/v1/orgs/acme/tokens",
			body("m-delete", "7d", "repository:acme/app:delete"), http.StatusForbidden},
		{"a manager may not give org:audit:read, which it lacks (403)", manager.Secret, "POST", "/v1/orgs/acme/tokens",
			body("m-audit", "7d", "org:audit:read"), http.StatusForbidden},
		{"a manager may not create a token for globex (403)", manager.Secret, "POST", "/v1/orgs/globex/tokens",
			body("m-globex", "7d", "repository:globex/app:pull"), http.StatusForbidden},
		{"a manager may not PATCH a broader scope onto an existing token (403)", manager.Secret, "PATCH", tokens + widen,
			`{"scopes":["repository:acme/**:pull"]}`, http.StatusForbidden},
		{"a manager may not revoke a token broader than itself (403)", manager.Secret, "POST", tokens + broad + "/revoke", nil, http.StatusForbidden},
		{"a manager may not raise max_tokens (403)", manager.Secret, "PUT", "/v1/orgs/acme", `{"max_tokens":1000}`, http.StatusForbidden},
		{"a deactivated management token is refused (401)", deactivated.Secret, "GET", "/v1/orgs/acme/tokens", nil, http.StatusUnauthorized},
		{"a revoked management token is refused (401)", revoked.Secret, "GET", "/v1/orgs/acme/tokens", nil, http.StatusUnauthorized},
		{"an expired management token is refused (401)", expired.Secret, "GET", "/v1/orgs/acme/tokens", nil, http.StatusUnauthorized},
		{"a manager may not read another org's audit (403)", manager.Secret, "GET", "/v1/orgs/globex/audit", nil, http.StatusForbidden},
		{"an admin key creates a token in any org (201)", alice, "POST", "/v1/orgs/globex/tokens",
			body("by-alice", "7d", "repository:globex/**:delete"), http.StatusCreated},
		{"an admin key reads any org's audit (200)", bootstrap, "GET", "/v1/orgs/globex/audit", nil, http.StatusOK},
		{"an admin key changes any org's settings (200)", alice, "PUT", "/v1/orgs/globex", `{"max_tokens":20}`, http.StatusOK},

		// What a manager may do within its scopes.
		{"a manager gives org:tokens:write, one of its own (201)", manager.Secret, "POST", "/v1/orgs/acme/tokens",
			body("m-deputy", "7d", "org:tokens:write", "repository:acme/app:pull"), http.StatusCreated},
		{"a manager may not create a token that outlives it (403)", manager.Secret, "POST", "/v1/orgs/acme/tokens",
			body("m-long", "60d", "repository:acme/app:pull"), http.StatusForbidden},
		{"a manager lists its org's tokens (200)", manager.Secret, "GET", "/v1/orgs/acme/tokens", nil, http.StatusOK},
		{"a manager reads a token of its org (200)", manager.Secret, "GET", tokens + broad, nil, http.StatusOK},
		{"a manager reads its org's settings (200)", manager.Secret, "GET", "/v1/orgs/acme", nil, http.StatusOK},
		{"a manager sets a scope it covers (200)", manager.Secret, "PATCH", tokens + rescope, `{"scopes":["repository:acme/app:push"]}`, http.StatusOK},
		{"a manager deactivates a token it covers (200)", manager.Secret, "POST", tokens + deactivate + "/deactivate", nil, http.StatusOK},
		{"a manager reactivates a token it covers (200)", manager.Secret, "POST", tokens + reactivate + "/activate", nil, http.StatusOK},
		{"a manager revokes a token it covers (200)", manager.Secret, "POST", tokens + revoke + "/revoke", nil, http.StatusOK},
		{"a manager deletes a token it covers (204)", manager.Secret, "DELETE", tokens + purge + "?purge=true", nil, http.StatusNoContent},
		{"a manager may not delete a token broader than itself (403)", manager.Secret, "DELETE", tokens + broad + "?purge=true", nil, http.StatusForbidden},
		{"a manager may not deactivate a token broader than itself (403)", manager.Secret, "POST", tokens + broad + "/deactivate", nil, http.StatusForbidden},
		{"a manager may not read its org's audit without org:audit:read (403)", manager.Secret, "GET", "/v1/orgs/acme/audit", nil, http.StatusForbidden},
		{"a manager may not create an org (403)", manager.Secret, "PUT", "/v1/orgs/initech", `{}`, http.StatusForbidden},
		{"a manager asks who it is (200)", manager.Secret, "GET", "/v1/whoami", nil, http.StatusOK},

		// Other tokens and credentials.
		{"an auditor reads its org's audit (200)", auditor.Secret, "GET", "/v1/orgs/acme/audit", nil, http.StatusOK},
		{"an auditor may not create tokens (403)", auditor.Secret, "POST", "/v1/orgs/acme/tokens",
			body("a-pull", "7d", "repository:acme/app:pull"), http.StatusForbidden},
		{"a token without org scopes may not list tokens (403)", pusher.Secret, "GET", "/v1/orgs/acme/tokens", nil, http.StatusForbidden},
		{"globex's manager may not list acme's tokens (403)", globexManager.Secret, "GET", "/v1/orgs/acme/tokens", nil, http.StatusForbidden},
		{"globex's manager may not revoke an acme token (403)", globexManager.Secret, "POST", tokens + broad + "/revoke", nil, http.StatusForbidden},
		{"no credential is refused (401)", "", "GET", "/v1/orgs/acme/tokens", nil, http.StatusUnauthorized},
		{"an unknown admin key is refused (401)", strings.Repeat("0", 64), "GET", "/v1/orgs/acme/tokens", nil, http.StatusUnauthorized},
		{"a mistyped token is refused (401)", manager.Secret[:len(manager.Secret)-1] + "x", "GET", "/v1/orgs/acme/tokens", nil, http.StatusUnauthorized},
	}
	auditBefore := auditEntries(t, e, "acme")
	wantByManager := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.do(t, tt.credential, tt.method, tt.path, tt.body)
			if a.status != tt.want {
				t.Fatalf("%s %s = %d (%s), want %d", tt.method, tt.path, a.status, a.message(), tt.want)
			}
			if a.status >= 400 && !strings.Contains(a.message(), ": ") || tt.credential != "" && strings.Contains(string(a.body), tt.credential) {
				t.Errorf("refusal %s says nothing, or repeats the credential", a.body)
			}
		})
		if tt.credential == manager.Secret && tt.want < 300 && tt.method != "GET" {
			wantByManager++
		}
	}

	t.Run("refused requests change nothing and the audit names the authenticated actor of every change", func(t *testing.T) {
		actors := map[string]bool{"admin:alice": true, "admin:bootstrap": true, "token:" + manager.ID: true}
		var byManager int
		for _, org := range []string{"acme", "globex"} {
			for _, en := range auditEntries(t, e, org) {
				if !actors[en.Actor] {
					t.Errorf("%s entry %d %s has actor %q, want an authenticated one", org, en.ID, en.Action, en.Actor)
				}
				if en.Actor == "token:"+manager.ID {
					byManager++
				}
			}
		}
		if byManager != wantByManager {
			t.Errorf("%d audit entries by the manager, want %d (one per allowed change, none for a refusal)", byManager, wantByManager)
		}
		if n := len(auditEntries(t, e, "acme")) - len(auditBefore); n != wantByManager {
			t.Errorf("the rows added %d acme audit entries, want %d", n, wantByManager)
		}
		for _, tok := range listTokens(t, e, "acme") {
			if strings.HasPrefix(tok.Label, "m-") && tok.CreatedBy != "token:"+manager.ID {
				t.Errorf("token %s created_by = %q, want token:%s", tok.Label, tok.CreatedBy, manager.ID)
			}
			if tok.ID == broad && (!tok.Active || tok.RevokedAt != nil) {
				t.Errorf("the broad token was changed by refused requests: %+v", tok)
			}
			if tok.Label == "m-all" || tok.Label == "m-delete" || tok.Label == "m-audit" || tok.Label == "m-long" {
				t.Errorf("refused create stored token %s", tok.Label)
			}
			if tok.ID == widen && strings.Join(tok.Scopes, " ") != "repository:acme/app:pull" {
				t.Errorf("a refused PATCH changed the scopes to %v", tok.Scopes)
			}
		}
	})

	t.Run("an admin's declared on-behalf-of is recorded beside its name", func(t *testing.T) {
		e.must(t, http.StatusOK, alice, "PATCH", tokens+widen, `{"description":"for bob"}`)
		a := e.do(t, alice, "PATCH", tokens+widen, `{"description":"for bob, again"}`, "X-Oatstore-Actor", "bob@example.com")
		if a.status != http.StatusOK {
			t.Fatalf("PATCH = %d %s", a.status, a.body)
		}
		latest := auditEntries(t, e, "acme")[0]
		if latest.Actor != "admin:alice" || latest.OnBehalfOf != "bob@example.com" {
			t.Errorf("entry actor %q on behalf of %q, want admin:alice on behalf of bob@example.com", latest.Actor, latest.OnBehalfOf)
		}
	})

	t.Run("a token created by a manager without an expiry ends with the manager", func(t *testing.T) {
		tok := e.create(t, manager.Secret, "acme", "m-default-expiry", "", "repository:acme/app:pull")
		if tok.ExpiresAt == nil || manager.ExpiresAt == nil || !tok.ExpiresAt.Equal(*manager.ExpiresAt) {
			t.Errorf("expires_at = %v, want the manager's %v", tok.ExpiresAt, manager.ExpiresAt)
		}
	})

	t.Run("a management token is listed and counts toward the org's limit", func(t *testing.T) {
		list := listTokens(t, e, "acme")
		found := false
		for _, tok := range list {
			found = found || tok.ID == manager.ID
		}
		if !found {
			t.Errorf("the manager is not in the org's token list")
		}
		e.must(t, http.StatusOK, alice, "PUT", "/v1/orgs/acme", map[string]int{"max_tokens": len(list)})
		a := e.do(t, manager.Secret, "POST", "/v1/orgs/acme/tokens", body("m-over", "7d", "repository:acme/app:pull"))
		if a.status != http.StatusConflict {
			t.Errorf("create past the limit = %d %s, want 409", a.status, a.body)
		}
	})

	t.Run("a management token revoked by an admin is refused at its next call", func(t *testing.T) {
		e.must(t, http.StatusOK, manager.Secret, "GET", "/v1/orgs/acme/tokens", nil)
		e.must(t, http.StatusOK, alice, "POST", tokens+manager.ID+"/revoke", nil)
		a := e.do(t, manager.Secret, "GET", "/v1/orgs/acme/tokens", nil)
		if a.status != http.StatusUnauthorized || !strings.Contains(a.message(), "revoked") {
			t.Errorf("the next call = %d %s, want 401 saying revoked", a.status, a.body)
		}
	})
}

// auditEntries returns every audit entry of org, newest first.
func auditEntries(t *testing.T, e *env, org string) []store.AuditEntry {
	t.Helper()
	var page struct {
		Entries []store.AuditEntry `json:"entries"`
	}
	e.must(t, http.StatusOK, AliceKey, "GET", "/v1/orgs/"+org+"/audit?limit=500", nil).decode(t, &page)
	return page.Entries
}

// listTokens returns every token of org.
func listTokens(t *testing.T, e *env, org string) []store.Token {
	t.Helper()
	var page struct {
		Tokens []store.Token `json:"tokens"`
	}
	e.must(t, http.StatusOK, AliceKey, "GET", "/v1/orgs/"+org+"/tokens", nil).decode(t, &page)
	return page.Tokens
}
