// Package authz decides who may do what in oatstore's management API. A
// request is made by a Principal: a named admin key, which may do anything
// to any org, or an org management token, an OAT whose "org:" scopes open
// parts of its own org's management to it. The rule that matters is that a
// token can never grant more than it holds: every scope it gives, and every
// token it changes, must be covered by its own scopes (scope.Covers).
//
// Everything here is a plain function of its inputs: the server
// authenticates (Authenticate), asks a Principal one question per request
// (MayAct, MayCreateToken, ...), maps the Decision to a status, and writes
// Principal.Actor to the audit log. No HTTP, no store.
package authz

import (
	"slices"
	"time"

	"github.com/oatgate/oatgate/caddymodule/scope"
)

// Kind says what authenticated a principal.
type Kind uint8

// The kinds. The zero value is no principal at all.
const (
	// KindAdmin is a named admin key.
	KindAdmin Kind = iota + 1
	// KindToken is an organization access token.
	KindToken
)

// String returns the kind as audit actors prefix it.
func (k Kind) String() string {
	switch k {
	case KindAdmin:
		return "admin"
	case KindToken:
		return "token"
	}
	return "none"
}

// Principal is who makes a request. The zero Principal is nobody and may
// do nothing. Build one with Admin or FromToken.
type Principal struct {
	kind Kind
	// name is the admin key's name, or the token's id.
	name string
	// org, repo, orgScopes and expiresAt describe a token.
	org       string
	repo      []scope.Scope
	orgScopes []scope.OrgScope
	expiresAt *time.Time
}

// Admin returns the principal of the admin key named name.
func Admin(name string) Principal {
	return Principal{kind: KindAdmin, name: name}
}

// TokenFacts is what the store knows about a presented token, as the
// authorization needs it.
type TokenFacts struct {
	ID     string
	Org    string
	Scopes []string
	// Active is false while the token is deactivated.
	Active    bool
	RevokedAt *time.Time
	ExpiresAt *time.Time
}

// FromToken returns the principal of a token the store found, or refuses
// it (401) when it is deactivated, revoked or expired at now, saying which.
// Scopes that cannot be read give a principal that holds nothing: as on
// the gateway, a guess is never a grant.
func FromToken(f TokenFacts, now time.Time) (Principal, Decision) {
	switch {
	case f.RevokedAt != nil:
		return Principal{}, unauthenticated("token " + f.ID + " was revoked at " + stamp(*f.RevokedAt) + "; ask for a new one")
	case !f.Active:
		return Principal{}, unauthenticated("token " + f.ID + " is deactivated; an admin or an org token manager can reactivate it")
	case f.ExpiresAt != nil && !now.Before(*f.ExpiresAt):
		return Principal{}, unauthenticated("token " + f.ID + " expired at " + stamp(*f.ExpiresAt) + "; ask for a new one")
	case f.ID == "" || !scope.ValidOrg(f.Org):
		return Principal{}, unauthenticated("token record is incomplete")
	}
	p := Principal{kind: KindToken, name: f.ID, org: f.Org}
	if f.ExpiresAt != nil {
		exp := *f.ExpiresAt
		p.expiresAt = &exp
	}
	repo, orgScopes, err := scope.Split(f.Scopes)
	if err != nil {
		return p, allow
	}
	// Only scopes inside the org's namespace grant anything, as on the
	// gateway (scope.Compile drops the others).
	for _, s := range repo {
		if scope.InNamespace(f.Org, s.Pattern) {
			p.repo = append(p.repo, s)
		}
	}
	p.orgScopes = orgScopes
	return p, allow
}

// Kind returns what authenticated the principal.
func (p Principal) Kind() Kind { return p.kind }

// Org returns a token's org, or "" for an admin.
func (p Principal) Org() string { return p.org }

// ID returns a token's id, or "" for an admin: the server records the
// token's use under it.
func (p Principal) ID() string {
	if p.kind != KindToken {
		return ""
	}
	return p.name
}

// ExpiresAt returns when a token stops working, or nil for an admin and a
// token that never expires. The server defaults the expiry of a token that
// a token creates to it, since the new one may not outlive its creator.
func (p Principal) ExpiresAt() *time.Time {
	if p.expiresAt == nil {
		return nil
	}
	t := *p.expiresAt
	return &t
}

// Actor returns who acts, for the audit log and logs: "admin:<name>" or
// "token:<id>". Never a value the client declared (see OnBehalfOf).
func (p Principal) Actor() string {
	if p.kind == 0 {
		return ""
	}
	return p.kind.String() + ":" + p.name
}

// Summary is what `oatstore whoami` prints: who the credential is and
// what it may do.
type Summary struct {
	Actor string `json:"actor"`
	Kind  string `json:"kind"`
	// Org is the token's org; empty for an admin, who may act on every org.
	Org string `json:"org,omitempty"`
	// Scopes are the token's scopes that count, canonical.
	Scopes []string `json:"scopes,omitempty"`
	// May lists what the principal may do in oatstore: "*" for an admin,
	// else "<resource>:<access>" per org scope, e.g. "tokens:write".
	May []string `json:"may"`
	// ExpiresAt is when a token stops working; nil for admins and tokens
	// that never expire.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Summary describes the principal for whoami.
func (p Principal) Summary() Summary {
	s := Summary{Actor: p.Actor(), Kind: p.kind.String(), May: []string{}}
	switch p.kind {
	case KindAdmin:
		s.May = []string{"*"}
	case KindToken:
		s.Org = p.org
		s.ExpiresAt = p.expiresAt
		for _, o := range p.orgScopes {
			s.Scopes = append(s.Scopes, o.String())
			may := o.Resource.String() + ":" + o.Access.String()
			if !slices.Contains(s.May, may) {
				s.May = append(s.May, may)
			}
		}
		for _, r := range p.repo {
			s.Scopes = append(s.Scopes, r.String())
		}
	}
	return s
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
