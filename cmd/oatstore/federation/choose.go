package federation

import (
	"cmp"
	"slices"

	"github.com/oatgate/oatgate/caddymodule/scope"
)

// Candidate is a policy of an org whose issuer signed a token.
type Candidate struct {
	Org    string
	Policy Policy
}

// Match is a candidate the token satisfies, with the claims it matched on.
type Match struct {
	Candidate
	Claims map[string]string
}

// MatchPolicies returns the candidates tok satisfies: the policy's issuer
// is the token's, its audience is in the token's aud, and every claim
// condition matches. A policy of a multi-tenant issuer that names no owner
// (stored before Validate required one) matches nothing. Ordered by org,
// then policy name.
func MatchPolicies(tok Token, cands []Candidate) []Match {
	var out []Match
	for _, c := range cands {
		if c.Policy.Issuer != tok.Issuer || !tok.HasAudience(c.Policy.Audience) {
			continue
		}
		if checkTenantBinding(c.Policy.Issuer, c.Policy.Claims) != nil {
			continue
		}
		if claims, ok := MatchClaims(c.Policy.Claims, tok.Claims); ok {
			out = append(out, Match{Candidate: c, Claims: claims})
		}
	}
	slices.SortFunc(out, func(a, b Match) int {
		return cmp.Or(cmp.Compare(a.Org, b.Org), cmp.Compare(a.Policy.Name, b.Policy.Name))
	})
	return out
}

// Grant is what an exchange issues.
type Grant struct {
	Match
	// Scopes are the granted scopes, canonical: the request's when it
	// narrowed, else the policy's.
	Scopes []string
}

// Choose picks the policy an exchange issues under. With an audience, the
// org must be among the matches (else invalid_grant, as when nothing
// matches: whether other orgs trust the token is theirs to know). Without
// one, the matches must all be of one org (several: invalid_target, name
// one, in words that name no org; none: invalid_grant). Within the org,
// the first policy by name whose scopes cover every requested scope wins;
// when none covers them, invalid_scope.
func Choose(matches []Match, audience string, requested []scope.Scope) (Grant, *OAuthError) {
	org := audience
	if org == "" {
		if len(matches) == 0 {
			return Grant{}, NotAccepted()
		}
		org = matches[0].Org
		for _, m := range matches[1:] {
			if m.Org != org {
				return Grant{}, oauthError(CodeInvalidTarget, "name the org to issue the token for in audience, e.g. audience=acme")
			}
		}
	}
	var inOrg []Match
	for _, m := range matches {
		if m.Org == org {
			inOrg = append(inOrg, m)
		}
	}
	if len(inOrg) == 0 {
		return Grant{}, NotAccepted()
	}
	for _, m := range inOrg {
		if scopes, ok := narrow(org, m.Policy.Scopes, requested); ok {
			return Grant{Match: m, Scopes: scopes}, nil
		}
	}
	return Grant{}, oauthError(CodeInvalidScope, "the requested scope is more than the trust policy grants; ask for less, or omit scope")
}

// narrow returns the scopes granted for requested under a policy's: the
// policy's own when nothing was requested, else the requested ones, each
// inside org and covered by the policy's.
func narrow(org string, policy []string, requested []scope.Scope) ([]string, bool) {
	if requested == nil {
		return policy, true
	}
	held, _, err := scope.Split(policy)
	if err != nil {
		return nil, false
	}
	out := make([]string, 0, len(requested))
	for _, r := range requested {
		if !scope.InNamespace(org, r.Pattern) || !scope.Covers(held, r) {
			return nil, false
		}
		out = append(out, r.String())
	}
	return out, true
}
