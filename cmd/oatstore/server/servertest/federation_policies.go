package servertest

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// policyManagement: who may create, replace, read and delete trust
// policies, what validation refuses, and the audit of every change.
func policyManagement(t *testing.T, f *fed) {
	e := f.e
	const alice = AliceKey
	// The policies made here match no job the later cases mint.
	claims := map[string]string{"repository_owner": "acme", "workflow": "managed"}
	writer := e.create(t, alice, "acme", "federation-writer", "30d", "org:federation:write", "repository:acme/**:push")
	narrow := e.create(t, alice, "acme", "federation-narrow", "30d", "org:federation:write", "repository:acme/other:pull")
	reader := e.create(t, alice, "acme", "federation-reader", "30d", "org:federation:read")
	globex := e.create(t, alice, "globex", "federation-globex", "30d", "org:federation:write", "repository:globex/**:delete")
	ok := policyBody(f.iss.URL(), claims, "repository:acme/app:pull")
	path := "/v1/orgs/acme/federation/"
	tests := []struct {
		name       string
		credential string
		method     string
		path       string
		body       any
		want       int
	}{
		{"an admin key creates a policy", alice, "PUT", path + "admin-made", ok, http.StatusCreated},
		{"an admin key replaces it", alice, "PUT", path + "admin-made", ok, http.StatusOK},
		{"a token with federation:write covering the scopes creates one", writer.Secret, "PUT", path + "token-made", ok, http.StatusCreated},
		{"a token whose scopes do not cover the policy's may not", narrow.Secret, "PUT", path + "too-wide", ok, http.StatusForbidden},
		{"a token may not replace a policy broader than itself", narrow.Secret, "PUT", path + "admin-made", policyBody(f.iss.URL(), claims, "repository:acme/other:pull"), http.StatusForbidden},
		{"a token with federation:read may not write", reader.Secret, "PUT", path + "read-only", ok, http.StatusForbidden},
		{"a token of another org may not", globex.Secret, "PUT", path + "cross-org", ok, http.StatusForbidden},
		{"no credential is 401", "", "PUT", path + "anonymous", ok, http.StatusUnauthorized},
		{"a token with federation:read lists", reader.Secret, "GET", "/v1/orgs/acme/federation", nil, http.StatusOK},
		{"a token with federation:read reads one", reader.Secret, "GET", path + "admin-made", nil, http.StatusOK},
		{"a token of another org may not list", globex.Secret, "GET", "/v1/orgs/acme/federation", nil, http.StatusForbidden},
		{"an unknown policy is 404", alice, "GET", path + "nope", nil, http.StatusNotFound},
		{"an unknown org is 404", alice, "PUT", "/v1/orgs/initech/federation/gha", policyBody(f.iss.URL(), claims, "repository:initech/app:pull"), http.StatusNotFound},
		{"an invalid name is 400", alice, "PUT", path + "Bad_Name", ok, http.StatusBadRequest},
		{"an http issuer elsewhere than loopback is 400", alice, "PUT", path + "plain", policyBody("http://issuer.example", claims, "repository:acme/app:pull"), http.StatusBadRequest},
		{"a policy without claims is 400", alice, "PUT", path + "open", policyBody(f.iss.URL(), map[string]string{}, "repository:acme/app:pull"), http.StatusBadRequest},
		{"a scope outside the org is 400", alice, "PUT", path + "outside", policyBody(f.iss.URL(), claims, "repository:globex/app:pull"), http.StatusBadRequest},
		{"an org scope is 400", alice, "PUT", path + "manager", policyBody(f.iss.URL(), claims, "org:tokens:write"), http.StatusBadRequest},
		{"a ttl over an hour is 400", alice, "PUT", path + "long", map[string]any{"issuer": f.iss.URL(), "audience": "oatgate", "claims": claims, "scopes": []string{"repository:acme/app:pull"}, "ttl": "2h"}, http.StatusBadRequest},
		{"an unknown field is 400", alice, "PUT", path + "typo", map[string]any{"issuer": f.iss.URL(), "audience": "oatgate", "claims": claims, "scopes": []string{"repository:acme/app:pull"}, "scope": "x"}, http.StatusBadRequest},
		{"a body naming another policy is 400", alice, "PUT", path + "one", map[string]any{"name": "other", "issuer": f.iss.URL(), "audience": "oatgate", "claims": claims, "scopes": []string{"repository:acme/app:pull"}}, http.StatusBadRequest},
		{"a token not covering a policy may not delete it", narrow.Secret, "DELETE", path + "admin-made", nil, http.StatusForbidden},
		{"a token covering it deletes it", writer.Secret, "DELETE", path + "admin-made", nil, http.StatusOK},
		{"deleting it again is 404", alice, "DELETE", path + "admin-made", nil, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.must(t, tt.want, tt.credential, tt.method, tt.path, tt.body)
		})
	}
	t.Run("the list shows every policy of the org with its settings", func(t *testing.T) {
		var list struct{ Policies []store.Policy }
		e.must(t, http.StatusOK, alice, "GET", "/v1/orgs/acme/federation", nil).decode(t, &list)
		var names []string
		for _, p := range list.Policies {
			names = append(names, p.Name)
			if p.Org != "acme" || p.Issuer == "" || len(p.Scopes) == 0 || time.Duration(p.TTL) == 0 {
				t.Errorf("listed policy %+v lacks its settings", p)
			}
		}
		if strings.Join(names, ",") != "gha,token-made" {
			t.Errorf("policies = %v, want gha, token-made", names)
		}
	})
	t.Run("every change is audited with its actor", func(t *testing.T) {
		var page struct{ Entries []store.AuditEntry }
		e.must(t, http.StatusOK, alice, "GET", "/v1/orgs/acme/audit?action=federation.created", nil).decode(t, &page)
		actors := map[string]bool{}
		for _, en := range page.Entries {
			actors[en.Actor] = true
		}
		if !actors["admin:alice"] || !actors["token:"+writer.ID] {
			t.Errorf("federation.created actors = %v, want admin:alice and token:%s", actors, writer.ID)
		}
		e.must(t, http.StatusOK, alice, "GET", "/v1/orgs/acme/audit?action=federation.deleted", nil).decode(t, &page)
		if len(page.Entries) != 1 || page.Entries[0].Actor != "token:"+writer.ID {
			t.Errorf("federation.deleted entries = %+v, want one by the writer token", page.Entries)
		}
	})
}
