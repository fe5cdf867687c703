package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestRequestBodiesMeanOneThing: what encoding/json accepts silently, a key
// given twice (the last wins) or in another case ("SCOPES" fills scopes),
// lets a body say one thing to a reviewer and another to the server
// (issue 12, item 12).
func TestRequestBodiesMeanOneThing(t *testing.T) {
	e := newEnv(t, "")
	e.putOrg("acme", `{}`)
	tok := e.create("acme", map[string]any{"label": "ci", "scopes": []string{"repository:acme/app:pull"}, "expires_in": "30d"})
	token := "/v1/orgs/acme/tokens/" + tok.ID
	for _, tc := range []struct {
		name, method, path, body, msg string
	}{
		{"a scope key in capitals after the real one is refused", "POST", "/v1/orgs/acme/tokens",
			`{"label":"a","scopes":["repository:acme/a:pull"],"SCOPES":["repository:acme/**:delete"]}`, `"SCOPES"`},
		{"a key given twice is refused", "POST", "/v1/orgs/acme/tokens",
			`{"label":"a","scopes":["repository:acme/a:pull"],"scopes":["repository:acme/**:delete"]}`, `"scopes" appears twice`},
		{"a key in mixed case alone is refused", "POST", "/v1/orgs/acme/tokens",
			`{"Label":"a","scopes":["repository:acme/a:pull"]}`, `"Label"`},
		{"a key spelled with an escape twice is refused", "POST", "/v1/orgs/acme/tokens",
			`{"label":"a","l\u0061bel":"b","scopes":["repository:acme/a:pull"]}`, `"label" appears twice`},
		{"a patch with a key twice is refused", "PATCH", token, `{"active":false,"active":true}`, `"active" appears twice`},
		{"a patch with a key in capitals is refused", "PATCH", token, `{"SCOPES":["repository:acme/**:delete"]}`, `"SCOPES"`},
		{"an org setting in capitals is refused", "PUT", "/v1/orgs/acme", `{"MAX_TOKENS":100000}`, `"MAX_TOKENS"`},
		{"an org setting twice is refused", "PUT", "/v1/orgs/acme", `{"max_tokens":1,"max_tokens":100000}`, `"max_tokens" appears twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.on(t)
			r := e.admin(tc.method, tc.path, tc.body)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400; body %s", r.status, r.body)
			}
			if code, msg := r.errorCode(t); code != "invalid_request" || !strings.Contains(msg, tc.msg) {
				t.Errorf("error = %s %q, want invalid_request naming %s", code, msg, tc.msg)
			}
		})
	}
	t.Run("nothing refused was stored", func(t *testing.T) {
		e := e.on(t)
		got := e.admin("GET", token, nil)
		if strings.Contains(string(got.body), "delete") || !strings.Contains(string(got.body), `"active":true`) {
			t.Errorf("token after refused patches = %s, want it unchanged", got.body)
		}
		if list := e.admin("GET", "/v1/orgs/acme/tokens", nil); strings.Count(string(list.body), `"id"`) != 1 {
			t.Errorf("tokens after refused creates = %s, want only the first", list.body)
		}
	})
}

// TestLabelsAndDescriptionsArePlainText: control, format (bidi overrides,
// isolates, marks, zero-width) and line-separator characters make a label
// read differently from what it is, in a terminal and in logs (issue 12,
// item 13).
func TestLabelsAndDescriptionsArePlainText(t *testing.T) {
	e := newEnv(t, "")
	e.putOrg("acme", `{}`)
	tok := e.create("acme", map[string]any{"label": "ci", "scopes": []string{"repository:acme/app:pull"}, "expires_in": "30d"})
	for _, tc := range []struct {
		name, field, value string
	}{
		{"a right-to-left override in a label", "label", "ci\u202egnp.exe"},
		{"a left-to-right embedding in a label", "label", "a\u202ab"},
		{"a pop directional formatting in a label", "label", "a\u202cb"},
		{"a first-strong isolate in a label", "label", "a\u2068b"},
		{"a pop directional isolate in a description", "description", "a\u2069b"},
		{"a left-to-right mark in a label", "label", "a\u200eb"},
		{"a right-to-left mark in a description", "description", "a\u200fb"},
		{"a zero-width space in a label", "label", "a\u200bb"},
		{"a line separator in a description", "description", "line\u2028break"},
		{"a paragraph separator in a description", "description", "para\u2029break"},
		{"a next-line control in a label", "label", "a\u0085b"},
		{"an escape sequence in a description", "description", "\x1b[31mred"},
		{"a soft hyphen in a label", "label", "a\u00adb"},
	} {
		for _, call := range []struct{ method, path string }{{"POST", "/v1/orgs/acme/tokens"}, {"PATCH", "/v1/orgs/acme/tokens/" + tok.ID}} {
			t.Run(tc.name+" is refused by "+call.method, func(t *testing.T) {
				e := e.on(t)
				body := map[string]any{tc.field: tc.value}
				if call.method == "POST" {
					body = map[string]any{"label": "x", "scopes": []string{"repository:acme/app:pull"}, "expires_in": "30d", tc.field: tc.value}
				}
				r := e.admin(call.method, call.path, body)
				if r.status != http.StatusBadRequest {
					t.Fatalf("status = %d, want 400; body %s", r.status, r.body)
				}
				if code, msg := r.errorCode(t); code != "invalid_request" || !strings.HasPrefix(msg, tc.field+" ") {
					t.Errorf("error = %s %q, want invalid_request naming %s", code, msg, tc.field)
				}
			})
		}
	}
	t.Run("letters, marks and symbols of any script are kept", func(t *testing.T) {
		e := e.on(t)
		got := e.create("acme", map[string]any{"label": "déploiement — 東京 ✓", "description": "CI für Ünïcödé, עברית ok", "scopes": []string{"repository:acme/app:pull"}, "expires_in": "30d"})
		if got.Label != "déploiement — 東京 ✓" || got.Description != "CI für Ünïcödé, עברית ok" {
			t.Errorf("stored %q / %q, want them as sent", got.Label, got.Description)
		}
	})
}
