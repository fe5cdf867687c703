package authz

import (
	"fmt"
	"strings"
	"time"

	"github.com/oatgate/oatgate/caddymodule/scope"
)

// MayAct decides whether the principal may read or write resource r of
// org: an admin may do anything to any org; a token only to its own org,
// and only with an org scope that allows it (write includes read).
//
// Routes: GET tokens and tokens/{id} (OrgTokens, OrgRead), GET audit
// (OrgAudit, OrgRead), GET usage (OrgUsage, OrgRead), GET activity
// (OrgUsage, OrgRead for registry entries; OrgAudit, OrgRead for
// management ones, which are the audit's),
// federation and webhooks (read for GET, write for changes; a federation
// policy also needs MayChangeFederationPolicy).
func (p Principal) MayAct(org string, r scope.OrgResource, a scope.OrgAccess) Decision {
	switch p.kind {
	case KindAdmin:
		return allow
	case KindToken:
	default:
		return unauthenticated("no credential: send Authorization: Bearer <admin key or oat_ token>")
	}
	if org != p.org {
		return forbid(fmt.Sprintf("token %s belongs to org %q and may not act on org %q", p.name, p.org, org))
	}
	for _, o := range p.orgScopes {
		if o.Allows(r, a) {
			return allow
		}
	}
	return forbid(fmt.Sprintf("token %s lacks %s", p.name, scope.OrgScope{Resource: r, Access: a}))
}

// MayReadOrg decides GET /v1/orgs/{org}: an admin, or a token of that org
// that may read its tokens (the limit and expiry policy shape what it may
// create).
func (p Principal) MayReadOrg(org string) Decision {
	return p.MayAct(org, scope.OrgTokens, scope.OrgRead)
}

// MayChangeOrg decides PUT /v1/orgs/{org}: creating an org and changing its
// settings (token limit, expiry policy) stay with admin keys. A token could
// otherwise lift the limits that bound it.
func (p Principal) MayChangeOrg(org string) Decision {
	switch p.kind {
	case KindAdmin:
		return allow
	case KindToken:
		return forbid(fmt.Sprintf("org settings (limits, expiry policy) are changed with an admin key, not by token %s", p.name))
	}
	return unauthenticated("no credential: send Authorization: Bearer <admin key>")
}

// MaySetWebhook decides PUT of a webhook: org:webhooks:write, and
// org:tokens:read too, since every event a webhook receives carries the
// token's metadata (label, scopes, expiry): without it, a token allowed
// only to manage webhooks could read, through its own receiver, what it
// may not list.
func (p Principal) MaySetWebhook(org string) Decision {
	if d := p.MayAct(org, scope.OrgWebhooks, scope.OrgWrite); !d.Allowed() {
		return d
	}
	if d := p.MayAct(org, scope.OrgTokens, scope.OrgRead); !d.Allowed() {
		return forbid(fmt.Sprintf("token %s may not set webhooks: their events carry token metadata, which needs org:tokens:read as well as org:webhooks:write", p.name))
	}
	return allow
}

// Grant is what a new token would hold.
type Grant struct {
	// Scopes are the canonical scope strings, repository and org.
	Scopes []string
	// ExpiresAt is the new token's expiry; nil never expires.
	ExpiresAt *time.Time
}

// MayCreateToken decides POST /v1/orgs/{org}/tokens: a token needs
// org:tokens:write on its own org, its own scopes must cover every scope
// given, and the new token may not outlive it. The server validates the
// request (400) before asking.
func (p Principal) MayCreateToken(org string, g Grant) Decision {
	if d := p.MayAct(org, scope.OrgTokens, scope.OrgWrite); !d.Allowed() {
		return d
	}
	if d := p.mayGive(org, g.Scopes, "grant"); !d.Allowed() {
		return d
	}
	return p.mayLast(g.ExpiresAt, "create a token that")
}

// Target is an existing token a request would change.
type Target struct {
	ID        string
	Scopes    []string
	ExpiresAt *time.Time
}

// MayManageToken decides the changes that take power away from a token or
// leave it as is: deactivate, revoke, delete, and PATCH of its label,
// description or expiry (which may only move earlier). A token needs
// org:tokens:write and must cover the target's scopes: it may not touch a
// token broader than itself.
func (p Principal) MayManageToken(org string, t Target) Decision {
	if d := p.MayAct(org, scope.OrgTokens, scope.OrgWrite); !d.Allowed() {
		return d
	}
	return p.mayGive(org, t.Scopes, "manage token "+t.ID+", which holds")
}

// Update is a change that may give a token power.
type Update struct {
	// Scopes are the token's scopes after the change; nil leaves them.
	Scopes []string
	// Activate is set when the change reactivates the token.
	Activate bool
}

// MayUpdateToken decides PATCH and activate: MayManageToken on the token as
// it is, then the new scopes must be covered too, and a reactivated token
// may not outlive the principal.
func (p Principal) MayUpdateToken(org string, t Target, u Update) Decision {
	if d := p.MayManageToken(org, t); !d.Allowed() {
		return d
	}
	if u.Scopes != nil {
		if d := p.mayGive(org, u.Scopes, "grant"); !d.Allowed() {
			return d
		}
	}
	if u.Activate {
		return p.mayLast(t.ExpiresAt, "reactivate token "+t.ID+", which")
	}
	return allow
}

// MayChangeFederationPolicy decides PUT and DELETE of a federation policy:
// org:federation:write, and the policy's scopes covered, since a policy
// issues tokens with them (and deleting it ends those tokens).
func (p Principal) MayChangeFederationPolicy(org string, policyScopes []string) Decision {
	if d := p.MayAct(org, scope.OrgFederation, scope.OrgWrite); !d.Allowed() {
		return d
	}
	return p.mayGive(org, policyScopes, "grant")
}

// mayGive decides whether a token may give, or touch a token holding,
// scopes: each repository scope inside org's namespace and covered by the
// token's own, each org scope one the token holds. verb completes "token X
// may not <verb> <scope>".
func (p Principal) mayGive(org string, scopes []string, verb string) Decision {
	if p.kind == KindAdmin {
		return allow
	}
	repo, orgScopes, err := scope.Split(scopes)
	if err != nil {
		return forbid(fmt.Sprintf("token %s may not %s unreadable scopes: %v", p.name, verb, err))
	}
	for _, o := range orgScopes {
		if !scope.OrgCovers(p.orgScopes, o) {
			return forbid(fmt.Sprintf("token %s may not %s %s: it does not hold it", p.name, verb, o))
		}
	}
	for _, s := range repo {
		if !scope.InNamespace(org, s.Pattern) {
			return forbid(fmt.Sprintf("token %s may not %s %s: it is outside org %q", p.name, verb, s, org))
		}
		if scope.Covers(p.repo, s) {
			continue
		}
		reason := fmt.Sprintf("token %s may not %s %s: its own scopes do not cover it", p.name, verb, s)
		if name := scope.Uncovered(p.repo, s); name != "" {
			reason += fmt.Sprintf(" (it would reach %s, where token %s may not %s)", name, p.name, actionsOf(s))
		}
		return forbid(reason)
	}
	return allow
}

// mayLast decides whether something expiring at exp (nil: never) may
// exist: not past the principal's own expiry. what completes "token X may
// not <what> ...".
func (p Principal) mayLast(exp *time.Time, what string) Decision {
	if p.kind == KindAdmin || p.expiresAt == nil {
		return allow
	}
	if exp == nil {
		return forbid(fmt.Sprintf("token %s may not %s never expires: it expires itself at %s; set an expiry on or before then", p.name, what, stamp(*p.expiresAt)))
	}
	if exp.After(*p.expiresAt) {
		return forbid(fmt.Sprintf("token %s may not %s expires at %s, after its own expiry at %s; set an expiry on or before then", p.name, what, stamp(*exp), stamp(*p.expiresAt)))
	}
	return allow
}

// actionsOf returns a scope's actions as words: "pull,push".
func actionsOf(s scope.Scope) string {
	str := s.String()
	return str[strings.LastIndexByte(str, ':')+1:]
}
