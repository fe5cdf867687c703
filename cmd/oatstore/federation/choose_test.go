package federation

import (
	"reflect"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/caddymodule/scope"
)

func cand(org, name, owner string, scopes ...string) Candidate {
	return Candidate{Org: org, Policy: Policy{
		Name: name, Issuer: "https://issuer.example", Audience: "oatgate",
		Claims: map[string]string{"repository_owner": owner}, Scopes: scopes,
	}}
}

func TestMatchPoliciesAndChoose(t *testing.T) {
	tok := Token{Issuer: "https://issuer.example", Audience: []string{"oatgate"}, Claims: Claims{"repository_owner": "acme"}}
	acmeApp := cand("acme", "app", "acme", "repository:acme/app:pull,push")
	acmeAll := cand("acme", "all", "acme", "repository:acme/**:pull")
	globex := cand("globex", "gha", "acme", "repository:globex/app:pull")
	other := cand("initech", "gha", "initech", "repository:initech/app:pull")
	wrongAud := cand("acme", "aud", "acme", "repository:acme/app:pull")
	wrongAud.Policy.Audience = "sigstore"

	parse := func(s ...string) []scope.Scope {
		var out []scope.Scope
		for _, x := range s {
			sc, err := scope.Parse(x)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, sc)
		}
		return out
	}
	tests := []struct {
		name       string
		cands      []Candidate
		audience   string
		requested  []scope.Scope
		wantPolicy string
		wantScopes []string
		wantCode   string
	}{
		{"one matching policy grants its scopes", []Candidate{acmeApp, other}, "", nil, "app", []string{"repository:acme/app:pull,push"}, ""},
		{"the audience picks the org", []Candidate{acmeApp, globex}, "acme", nil, "app", []string{"repository:acme/app:pull,push"}, ""},
		{"two orgs without an audience is invalid_target", []Candidate{acmeApp, globex}, "", nil, "", nil, CodeInvalidTarget},
		{"an audience naming an org that does not match, while another does, is invalid_grant as if none did", []Candidate{acmeApp}, "globex", nil, "", nil, CodeInvalidGrant},
		{"no match at all is invalid_grant", []Candidate{other, wrongAud}, "", nil, "", nil, CodeInvalidGrant},
		{"no match with an audience is invalid_grant", []Candidate{other}, "acme", nil, "", nil, CodeInvalidGrant},
		{"narrowing inside the policy grants the narrower scope", []Candidate{acmeApp}, "", parse("repository:acme/app:pull"), "app", []string{"repository:acme/app:pull"}, ""},
		{"asking beyond the policy is invalid_scope", []Candidate{acmeApp}, "", parse("repository:acme/app:delete"), "", nil, CodeInvalidScope},
		{"asking outside the org is invalid_scope", []Candidate{acmeApp}, "", parse("repository:globex/app:pull"), "", nil, CodeInvalidScope},
		{"the first policy by name that covers the request wins", []Candidate{acmeApp, acmeAll}, "", parse("repository:acme/lib:pull"), "all", []string{"repository:acme/lib:pull"}, ""},
		{"without a request the first policy by name wins", []Candidate{acmeApp, acmeAll}, "", nil, "all", []string{"repository:acme/**:pull"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := Choose(MatchPolicies(tok, tt.cands), tt.audience, tt.requested)
			if tt.wantCode != "" {
				if err == nil || err.Code != tt.wantCode {
					t.Fatalf("Choose = %+v, %v; want %s", g, err, tt.wantCode)
				}
				// A refusal names no org: not the one asked for, nor
				// another that trusts the token.
				for _, org := range []string{"acme", "globex", "initech"} {
					if strings.Contains(err.Description, `"`+org+`"`) || strings.Contains(err.Description, "several orgs") {
						t.Errorf("refusal %q tells of the orgs' trust", err.Description)
					}
				}
				if err.Code == CodeInvalidGrant && err.Description != NotAccepted().Description {
					t.Errorf("invalid_grant %q, want the one answer for every token not accepted", err.Description)
				}
				return
			}
			if err != nil {
				t.Fatalf("Choose: %v", err)
			}
			if g.Policy.Name != tt.wantPolicy || !reflect.DeepEqual(g.Scopes, tt.wantScopes) {
				t.Fatalf("Choose = policy %s scopes %v; want %s %v", g.Policy.Name, g.Scopes, tt.wantPolicy, tt.wantScopes)
			}
			if g.Claims["repository_owner"] != "acme" {
				t.Errorf("matched claims = %v, want repository_owner acme", g.Claims)
			}
		})
	}
}

// A policy stored before owner binding was required, for an issuer that
// signs for everyone, matches no token: it would admit the world's jobs.
func TestAnUnboundPolicyOfAMultiTenantIssuerMatchesNothing(t *testing.T) {
	const github = "https://token.actions.githubusercontent.com"
	tok := Token{Issuer: github, Audience: []string{"oatgate"}, Claims: Claims{"repository_owner": "evil", "ref": "refs/heads/main"}}
	unbound := Candidate{Org: "acme", Policy: Policy{Name: "old", Issuer: github, Audience: "oatgate",
		Claims: map[string]string{"ref": "refs/heads/main"}, Scopes: []string{"repository:acme/app:pull"}}}
	bound := unbound
	bound.Policy.Claims = map[string]string{"ref": "refs/heads/main", "repository_owner": "evil"}
	if got := MatchPolicies(tok, []Candidate{unbound}); len(got) != 0 {
		t.Errorf("an unbound GitHub policy matched %+v, want nothing", got)
	}
	if got := MatchPolicies(tok, []Candidate{bound}); len(got) != 1 {
		t.Errorf("a bound GitHub policy matched %d, want 1", len(got))
	}
}
