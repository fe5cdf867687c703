package scope

import (
	"fmt"
	"strings"
)

// MaxScopes is the most scopes one token may hold.
const MaxScopes = 50

// Validate checks the scopes a client wants to store on a token of org:
// between 1 and MaxScopes entries, each parses, and each pattern lies in the
// org's namespace (the pattern is org itself or starts with org+"/"). A
// token without scopes is refused because it could do nothing but log in.
// It returns the parsed scopes, or an error: an *Error naming the first
// offending entry (ErrSyntax, ErrNamespace), ErrCount, or ErrOrg for an org
// that fails ValidOrg. The namespace is everything under org+"/": a pattern
// naming the org itself ("repository:acme:pull") is refused.
func Validate(org string, scopes []string) ([]Scope, error) {
	if !ValidOrg(org) {
		return nil, fmt.Errorf("%w %q: want one name component", ErrOrg, org)
	}
	switch {
	case len(scopes) == 0:
		return nil, fmt.Errorf("%w: none given, at least one is required", ErrCount)
	case len(scopes) > MaxScopes:
		return nil, fmt.Errorf("%w: %d given, at most %d allowed", ErrCount, len(scopes), MaxScopes)
	}
	parsed := make([]Scope, 0, len(scopes))
	for _, s := range scopes {
		sc, err := Parse(s)
		if err != nil {
			return nil, err
		}
		if !InNamespace(org, sc.Pattern) {
			return nil, &Error{
				Scope:  s,
				Reason: fmt.Sprintf("repository pattern must be inside the org's namespace %q", org+"/"),
				Err:    ErrNamespace,
			}
		}
		parsed = append(parsed, sc)
	}
	return parsed, nil
}

// InNamespace reports whether a repository name or pattern lies in org's
// namespace: it starts with org+"/". This is the one rule for the org
// namespace, on the store (which scopes a token may hold), the gateway
// (what they grant) and the catalog (which run of names it reads): a
// repository named exactly like the org is in no org's namespace. Because
// "/" separates components, "acmex/app" and "acme*" are outside "acme".
func InNamespace(org, name string) bool {
	rest, ok := strings.CutPrefix(name, org)
	return ok && org != "" && len(rest) > 1 && rest[0] == '/'
}
