package server_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// GET /v1/orgs is what `oatstore org list` reads: every org for an admin
// key, only its own org for an org management token, never another org's
// name.
func TestListOrgs(t *testing.T) {
	e := newEnv(t, "")
	e.putOrg("globex", map[string]any{})
	e.putOrg("acme", map[string]any{})
	manager := e.create("acme", map[string]any{"label": "owners", "scopes": []string{"org:tokens:read"}})

	names := func(r response) []string {
		var answer struct{ Orgs []store.Org }
		r.json(t, &answer)
		var out []string
		for _, o := range answer.Orgs {
			out = append(out, o.Name)
		}
		return out
	}
	tests := []struct {
		name string
		key  string
		want []string
	}{
		{"an admin key sees every org, by name", adminKey, []string{"acme", "globex"}},
		{"an org management token sees only its own org", manager.Secret, []string{"acme"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("GET", "/v1/orgs", tt.key, "", nil)
			e.mustStatus(r, http.StatusOK)
			if got := names(r); !slices.Equal(got, tt.want) {
				t.Errorf("got orgs %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("no credentials get 401", func(t *testing.T) {
		e.mustStatus(e.do("GET", "/v1/orgs", "", "", nil), http.StatusUnauthorized)
	})
}
