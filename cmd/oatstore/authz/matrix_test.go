package authz

import (
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/scope"
)

// now is the clock of every row.
var now = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time {
	t := now.Add(d)
	return &t
}

const day = 24 * time.Hour

// The callers of the matrix. manager is the management token:
// org:tokens:write + repository:acme/app:push, expiring in 30 days.
var (
	manager = TokenFacts{ID: "tok_manager", Org: "acme", Active: true, ExpiresAt: at(30 * day),
		Scopes: []string{"org:tokens:write", "repository:acme/app:push"}}
	auditor = TokenFacts{ID: "tok_auditor", Org: "acme", Active: true,
		Scopes: []string{"org:audit:read", "org:tokens:read"}}
	teamLead = TokenFacts{ID: "tok_teamlead", Org: "acme", Active: true,
		Scopes: []string{"org:tokens:write", "org:audit:read", "repository:acme/team/*:delete", "repository:acme/team/*/**:push"}}
	pusher = TokenFacts{ID: "tok_pusher", Org: "acme", Active: true,
		Scopes: []string{"repository:acme/**:push"}}
	reader = TokenFacts{ID: "tok_reader", Org: "acme", Active: true,
		Scopes: []string{"org:tokens:read", "repository:acme/**:pull"}}
	globexManager = TokenFacts{ID: "tok_globex", Org: "globex", Active: true,
		Scopes: []string{"org:tokens:write", "repository:globex/**:delete"}}
)

// with returns f changed by edit, for the rows about inactive tokens.
func with(f TokenFacts, edit func(*TokenFacts)) TokenFacts {
	edit(&f)
	return f
}

// caller is who makes a row's request: an admin key's name or a token.
type caller struct {
	admin string
	token TokenFacts
}

func admin(name string) caller  { return caller{admin: name} }
func token(f TokenFacts) caller { return caller{token: f} }

// principal authenticates the caller as the server would after finding
// the key or token.
func (c caller) principal() (Principal, Decision) {
	if c.admin != "" {
		return Admin(c.admin), allow
	}
	return FromToken(c.token, now)
}

// Targets of the rows that change existing tokens.
var (
	narrowTarget  = Target{ID: "tok_narrow", Scopes: []string{"repository:acme/app:pull"}, ExpiresAt: at(7 * day)}
	broadTarget   = Target{ID: "tok_broad", Scopes: []string{"repository:acme/**:pull"}, ExpiresAt: at(7 * day)}
	auditTarget   = Target{ID: "tok_audit", Scopes: []string{"org:audit:read"}, ExpiresAt: at(7 * day)}
	longTarget    = Target{ID: "tok_long", Scopes: []string{"repository:acme/app:pull"}, ExpiresAt: at(90 * day)}
	foreverTarget = Target{ID: "tok_forever", Scopes: []string{"repository:acme/app:pull"}}
	teamTarget    = Target{ID: "tok_team", Scopes: []string{"repository:acme/team/**:push"}}
)

func create(org string, exp *time.Time, scopes ...string) func(Principal) Decision {
	return func(p Principal) Decision { return p.MayCreateToken(org, Grant{Scopes: scopes, ExpiresAt: exp}) }
}

func manage(org string, t Target) func(Principal) Decision {
	return func(p Principal) Decision { return p.MayManageToken(org, t) }
}

func rescope(org string, t Target, scopes ...string) func(Principal) Decision {
	return func(p Principal) Decision { return p.MayUpdateToken(org, t, Update{Scopes: scopes}) }
}

func activate(org string, t Target) func(Principal) Decision {
	return func(p Principal) Decision { return p.MayUpdateToken(org, t, Update{Activate: true}) }
}

func act(org string, r scope.OrgResource, a scope.OrgAccess) func(Principal) Decision {
	return func(p Principal) Decision { return p.MayAct(org, r, a) }
}

func changeOrg(org string) func(Principal) Decision {
	return func(p Principal) Decision { return p.MayChangeOrg(org) }
}

// TestEscalationMatrix is issue 15's matrix: each row a request, who makes
// it, and the status the server must answer. The server authenticates,
// then asks the one question the row names; "allow" is its own 200, 201
// or 204.
func TestEscalationMatrix(t *testing.T) {
	tests := []struct {
		name    string
		who     caller
		request string
		decide  func(Principal) Decision
		want    Outcome
		// reason is a part of a refusal's message, to check it says why.
		reason string
	}{
		// The rows.
		{"a manager creates a narrower pull scope (201)", token(manager), "POST /v1/orgs/acme/tokens repository:acme/app:pull",
			create("acme", at(7*day), "repository:acme/app:pull"), Allow, ""},
		{"a manager may not create every repository of the org (403)", token(manager), "POST /v1/orgs/acme/tokens repository:acme/**:pull",
			create("acme", at(7*day), "repository:acme/**:pull"), Forbidden, "it would reach acme/a, where token tok_manager may not pull"},
		{"a manager may not create delete on its push repository (403)", token(manager), "POST /v1/orgs/acme/tokens repository:acme/app:delete",
			create("acme", at(7*day), "repository:acme/app:delete"), Forbidden, "its own scopes do not cover it"},
		{"a manager may not give an org scope it lacks (403)", token(manager), "POST /v1/orgs/acme/tokens org:audit:read",
			create("acme", at(7*day), "org:audit:read"), Forbidden, "org:audit:read: it does not hold it"},
		{"a manager may not create tokens for globex (403)", token(manager), "POST /v1/orgs/globex/tokens repository:globex/app:pull",
			create("globex", at(7*day), "repository:globex/app:pull"), Forbidden, `belongs to org "acme" and may not act on org "globex"`},
		{"a manager may not PATCH a broader scope onto a token (403)", token(manager), "PATCH /v1/orgs/acme/tokens/tok_narrow scopes=repository:acme/**:pull",
			rescope("acme", narrowTarget, "repository:acme/**:pull"), Forbidden, "may not grant repository:acme/**:pull"},
		{"a manager may not revoke a token broader than itself (403)", token(manager), "POST /v1/orgs/acme/tokens/tok_broad/revoke",
			manage("acme", broadTarget), Forbidden, "may not manage token tok_broad"},
		{"a manager may not raise max_tokens (403)", token(manager), `PUT /v1/orgs/acme {"max_tokens":1000}`,
			changeOrg("acme"), Forbidden, "admin key"},
		{"a deactivated manager is refused (401)", token(with(manager, func(f *TokenFacts) { f.Active = false })), "GET /v1/orgs/acme/tokens",
			act("acme", scope.OrgTokens, scope.OrgRead), Unauthenticated, "deactivated"},
		{"a revoked manager is refused (401)", token(with(manager, func(f *TokenFacts) { f.RevokedAt = at(-time.Minute) })), "GET /v1/orgs/acme/tokens",
			act("acme", scope.OrgTokens, scope.OrgRead), Unauthenticated, "revoked"},
		{"an expired manager is refused (401)", token(with(manager, func(f *TokenFacts) { f.ExpiresAt = at(-time.Second) })), "GET /v1/orgs/acme/tokens",
			act("acme", scope.OrgTokens, scope.OrgRead), Unauthenticated, "expired"},
		{"an auditor may not read another org's audit (403)", token(auditor), "GET /v1/orgs/globex/audit",
			act("globex", scope.OrgAudit, scope.OrgRead), Forbidden, `may not act on org "globex"`},
		{"an admin key creates tokens in any org (201)", admin("alice"), "POST /v1/orgs/globex/tokens repository:globex/**:delete",
			create("globex", nil, "repository:globex/**:delete", "org:tokens:write"), Allow, ""},
		{"an admin key reads any org's audit (200)", admin("alice"), "GET /v1/orgs/globex/audit",
			act("globex", scope.OrgAudit, scope.OrgRead), Allow, ""},
		{"an admin key changes org settings (200)", admin("bootstrap"), `PUT /v1/orgs/acme {"max_tokens":1000}`,
			changeOrg("acme"), Allow, ""},
		{"an admin key revokes any token (200)", admin("alice"), "POST /v1/orgs/acme/tokens/tok_broad/revoke",
			manage("acme", broadTarget), Allow, ""},

		// Creating: what a manager may give.
		{"a manager may give an org scope it holds (201)", token(manager), "POST /v1/orgs/acme/tokens org:tokens:write",
			create("acme", at(7*day), "org:tokens:write", "repository:acme/app:pull"), Allow, ""},
		{"a manager may give read of what it may write (201)", token(manager), "POST /v1/orgs/acme/tokens org:tokens:read",
			create("acme", at(7*day), "org:tokens:read"), Allow, ""},
		{"a manager may give push it holds (201)", token(manager), "POST /v1/orgs/acme/tokens repository:acme/app:pull,push",
			create("acme", at(7*day), "repository:acme/app:pull,push"), Allow, ""},
		{"one uncovered scope among covered ones refuses the create (403)", token(manager), "POST /v1/orgs/acme/tokens two scopes",
			create("acme", at(7*day), "repository:acme/app:pull", "repository:acme/web:pull"), Forbidden, "repository:acme/web:pull"},
		{"a manager may not give a glob next to its name (403)", token(manager), "POST /v1/orgs/acme/tokens repository:acme/app*:pull",
			create("acme", at(7*day), "repository:acme/app*:pull"), Forbidden, "it would reach acme/appa"},
		{"a scope outside the org is refused even when valid elsewhere (403)", token(manager), "POST /v1/orgs/acme/tokens repository:globex/app:pull",
			create("acme", at(7*day), "repository:globex/app:pull"), Forbidden, `outside org "acme"`},
		{"unreadable scopes are refused, not guessed (403)", token(manager), "POST /v1/orgs/acme/tokens org:tokens:all",
			create("acme", at(7*day), "org:tokens:all"), Forbidden, "unreadable scopes"},
		{"two of a manager's scopes together cover a subtree (201)", token(teamLead), "POST /v1/orgs/acme/tokens repository:acme/team/**:push",
			create("acme", nil, "repository:acme/team/**:push"), Allow, ""},
		{"together they still do not give delete below the first level (403)", token(teamLead), "POST /v1/orgs/acme/tokens repository:acme/team/**:delete",
			create("acme", nil, "repository:acme/team/**:delete"), Forbidden, "acme/team/a/a"},
		{"a token that may only read tokens may not create one (403)", token(reader), "POST /v1/orgs/acme/tokens repository:acme/app:pull",
			create("acme", nil, "repository:acme/app:pull"), Forbidden, "lacks org:tokens:write"},
		{"a token without org scopes may not create one (403)", token(pusher), "POST /v1/orgs/acme/tokens repository:acme/app:pull",
			create("acme", nil, "repository:acme/app:pull"), Forbidden, "lacks org:tokens:write"},

		// Lifetime: a token may not outlive the one that made it.
		{"a manager may create a token expiring with it (201)", token(manager), "POST /v1/orgs/acme/tokens expires with the manager",
			create("acme", at(30*day), "repository:acme/app:pull"), Allow, ""},
		{"a manager may not create a token outliving it (403)", token(manager), "POST /v1/orgs/acme/tokens expires after the manager",
			create("acme", at(30*day+time.Second), "repository:acme/app:pull"), Forbidden, "after its own expiry"},
		{"an expiring manager may not create a token that never expires (403)", token(manager), "POST /v1/orgs/acme/tokens without expiry",
			create("acme", nil, "repository:acme/app:pull"), Forbidden, "never expires"},
		{"a manager that never expires may create one that never expires (201)", token(teamLead), "POST /v1/orgs/acme/tokens without expiry",
			create("acme", nil, "repository:acme/team/app:pull"), Allow, ""},

		// Changing existing tokens.
		{"a manager revokes a token it covers (200)", token(manager), "POST /v1/orgs/acme/tokens/tok_narrow/revoke",
			manage("acme", narrowTarget), Allow, ""},
		{"a manager deactivates a token that outlives it, taking power away (200)", token(manager), "POST /v1/orgs/acme/tokens/tok_long/deactivate",
			manage("acme", longTarget), Allow, ""},
		{"a manager may not delete a token holding an org scope it lacks (403)", token(manager), "DELETE /v1/orgs/acme/tokens/tok_audit?purge=true",
			manage("acme", auditTarget), Forbidden, "org:audit:read"},
		{"a manager may not narrow a token broader than itself (403)", token(manager), "PATCH /v1/orgs/acme/tokens/tok_broad scopes=repository:acme/app:pull",
			rescope("acme", broadTarget, "repository:acme/app:pull"), Forbidden, "may not manage token tok_broad"},
		{"a manager narrows a token it covers (200)", token(manager), "PATCH /v1/orgs/acme/tokens/tok_narrow scopes=repository:acme/app:pull",
			rescope("acme", Target{ID: "tok_x", Scopes: []string{"repository:acme/app:push"}}, "repository:acme/app:pull"), Allow, ""},
		{"a manager reactivates a token it covers that expires before it (200)", token(manager), "POST /v1/orgs/acme/tokens/tok_narrow/activate",
			activate("acme", narrowTarget), Allow, ""},
		{"a manager may not reactivate a token outliving it (403)", token(manager), "POST /v1/orgs/acme/tokens/tok_long/activate",
			activate("acme", longTarget), Forbidden, "reactivate token tok_long"},
		{"a manager may not reactivate a token that never expires (403)", token(manager), "POST /v1/orgs/acme/tokens/tok_forever/activate",
			activate("acme", foreverTarget), Forbidden, "never expires"},
		{"a manager of globex may not revoke an acme token (403)", token(globexManager), "POST /v1/orgs/acme/tokens/tok_narrow/revoke",
			manage("acme", narrowTarget), Forbidden, `may not act on org "acme"`},
		{"a team lead manages a token inside its subtree (200)", token(teamLead), "POST /v1/orgs/acme/tokens/tok_team/deactivate",
			manage("acme", teamTarget), Allow, ""},

		// Reading.
		{"an auditor reads its own org's audit (200)", token(auditor), "GET /v1/orgs/acme/audit",
			act("acme", scope.OrgAudit, scope.OrgRead), Allow, ""},
		{"an auditor lists its org's tokens (200)", token(auditor), "GET /v1/orgs/acme/tokens",
			act("acme", scope.OrgTokens, scope.OrgRead), Allow, ""},
		{"a manager lists tokens, as write includes read (200)", token(manager), "GET /v1/orgs/acme/tokens",
			act("acme", scope.OrgTokens, scope.OrgRead), Allow, ""},
		{"a manager may not read the audit log (403)", token(manager), "GET /v1/orgs/acme/audit",
			act("acme", scope.OrgAudit, scope.OrgRead), Forbidden, "lacks org:audit:read"},
		{"a reader may not read usage (403)", token(reader), "GET /v1/orgs/acme/usage",
			act("acme", scope.OrgUsage, scope.OrgRead), Forbidden, "lacks org:usage:read"},
		{"a token without org scopes may not list tokens (403)", token(pusher), "GET /v1/orgs/acme/tokens",
			act("acme", scope.OrgTokens, scope.OrgRead), Forbidden, "lacks org:tokens:read"},
		{"a reader reads its org's settings (200)", token(reader), "GET /v1/orgs/acme",
			func(p Principal) Decision { return p.MayReadOrg("acme") }, Allow, ""},
		{"a reader may not read another org's settings (403)", token(reader), "GET /v1/orgs/globex",
			func(p Principal) Decision { return p.MayReadOrg("globex") }, Forbidden, "globex"},
		{"a manager may not create an org (403)", token(manager), "PUT /v1/orgs/newco",
			changeOrg("newco"), Forbidden, "admin key"},

		// Federation policies issue tokens, so they follow the same rule.
		{"a federation manager may not set a policy broader than itself (403)",
			token(TokenFacts{ID: "tok_fed", Org: "acme", Active: true, Scopes: []string{"org:federation:write", "repository:acme/app:push"}}),
			"PUT /v1/orgs/acme/federation/ci scopes=repository:acme/**:push",
			func(p Principal) Decision {
				return p.MayChangeFederationPolicy("acme", []string{"repository:acme/**:push"})
			}, Forbidden, "may not grant repository:acme/**:push"},
		{"a federation manager sets a policy it covers (200)",
			token(TokenFacts{ID: "tok_fed", Org: "acme", Active: true, Scopes: []string{"org:federation:write", "repository:acme/app:push"}}),
			"PUT /v1/orgs/acme/federation/ci scopes=repository:acme/app:push",
			func(p Principal) Decision {
				return p.MayChangeFederationPolicy("acme", []string{"repository:acme/app:push"})
			}, Allow, ""},
		{"a token manager may not set federation policies (403)", token(manager), "PUT /v1/orgs/acme/federation/ci",
			func(p Principal) Decision {
				return p.MayChangeFederationPolicy("acme", []string{"repository:acme/app:pull"})
			}, Forbidden, "lacks org:federation:write"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, got := tt.who.principal()
			if got.Allowed() {
				got = tt.decide(p)
			}
			if got.Outcome != tt.want {
				t.Fatalf("%s: %v (%q), want %v", tt.request, got.Outcome, got.Reason, tt.want)
			}
			if tt.want == Allow {
				if got.Reason != "" {
					t.Errorf("%s: allowed with reason %q, want none", tt.request, got.Reason)
				}
				return
			}
			if !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("%s: reason %q does not say %q", tt.request, got.Reason, tt.reason)
			}
		})
	}
}

// TestNobodyMayDoAnything checks the zero Principal, which a server that
// forgot to authenticate would hold, is refused everywhere.
func TestNobodyMayDoAnything(t *testing.T) {
	var nobody Principal
	tests := []struct {
		name string
		got  Decision
	}{
		{"acting", nobody.MayAct("acme", scope.OrgTokens, scope.OrgRead)},
		{"reading the org", nobody.MayReadOrg("acme")},
		{"changing the org", nobody.MayChangeOrg("acme")},
		{"creating a token", nobody.MayCreateToken("acme", Grant{Scopes: []string{"repository:acme/app:pull"}})},
		{"managing a token", nobody.MayManageToken("acme", narrowTarget)},
		{"updating a token", nobody.MayUpdateToken("acme", narrowTarget, Update{Activate: true})},
		{"setting a federation policy", nobody.MayChangeFederationPolicy("acme", nil)},
	}
	for _, tt := range tests {
		t.Run("nobody is refused "+tt.name, func(t *testing.T) {
			if tt.got.Outcome != Unauthenticated {
				t.Errorf("decision %v (%q), want unauthenticated", tt.got.Outcome, tt.got.Reason)
			}
		})
	}
	if nobody.Actor() != "" {
		t.Errorf("nobody's actor = %q, want empty", nobody.Actor())
	}
}
