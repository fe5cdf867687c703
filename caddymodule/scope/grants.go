package scope

import (
	"strings"

	"github.com/oatgate/oatgate/caddymodule/access"
)

// Grants is the compiled form of one token's scopes for its org, built once
// (when the token is verified and cached) and matched on every request. It is
// immutable and safe for concurrent use. Scopes outside the org's namespace
// and scopes with invalid patterns are dropped, so they grant nothing. A nil
// *Grants grants nothing.
type Grants struct {
	org string
	// exact holds the patterns without wildcards, by name.
	exact map[string]access.Set
	// subtrees holds "<literal prefix>/**" patterns by their prefix with the
	// slash kept: a name matches when it is longer and starts with it.
	subtrees []prefixed
	// globs holds every other pattern, with the literal text before its
	// first "*" to reject most names with one comparison.
	globs []prefixed
}

// prefixed is a pattern with a literal prefix every name it matches has.
type prefixed struct {
	pattern string
	prefix  string
	// parts are a glob's components, split once here rather than on every
	// request.
	parts   []string
	actions access.Set
}

// Compile builds the Grants of scopes for a token of org. Entries naming the
// same pattern are merged.
func Compile(org string, scopes []Scope) *Grants {
	g := &Grants{org: org, exact: make(map[string]access.Set)}
	if !ValidOrg(org) {
		return g
	}
	for _, sc := range scopes {
		if sc.Actions == 0 || !ValidPattern(sc.Pattern) || !InNamespace(org, sc.Pattern) {
			continue
		}
		first := strings.IndexByte(sc.Pattern, '*')
		switch {
		case first < 0:
			g.exact[sc.Pattern] |= sc.Actions
		case first == len(sc.Pattern)-2 && strings.HasSuffix(sc.Pattern, "/**"):
			g.subtrees = merge(g.subtrees, sc.Pattern, sc.Pattern[:first], sc.Actions)
		default:
			g.globs = merge(g.globs, sc.Pattern, sc.Pattern[:first], sc.Actions)
		}
	}
	for i := range g.globs {
		g.globs[i].parts = splitPattern(nil, g.globs[i].pattern)
	}
	return g
}

// merge adds actions for pattern to list, to the entry already there if any.
// A token holds at most MaxScopes scopes, so a linear search is cheapest.
func merge(list []prefixed, pattern, prefix string, actions access.Set) []prefixed {
	for i := range list {
		if list[i].pattern == pattern {
			list[i].actions |= actions
			return list
		}
	}
	return append(list, prefixed{pattern: pattern, prefix: prefix, actions: actions})
}

// Allows reports whether the grants let a request do need on repository.
// The repository must be a valid name (ValidName) inside the org's
// namespace, whatever the scopes say. It does not allocate. A catalog filter
// asks Allows(name, access.Pull): every grant includes pull.
func (g *Grants) Allows(repository string, need access.Action) bool {
	if g == nil || !need.Valid() || !InNamespace(g.org, repository) || !ValidName(repository) {
		return false
	}
	if g.exact[repository].Has(need) {
		return true
	}
	for _, s := range g.subtrees {
		if len(repository) > len(s.prefix) && strings.HasPrefix(repository, s.prefix) && s.actions.Has(need) {
			return true
		}
	}
	for _, s := range g.globs {
		if strings.HasPrefix(repository, s.prefix) && s.actions.Has(need) && matchPath(s.parts, repository) {
			return true
		}
	}
	return false
}

// Org returns the org the grants were compiled for.
func (g *Grants) Org() string {
	if g == nil {
		return ""
	}
	return g.org
}

// Empty reports whether the grants allow nothing at all, so that a caller
// can tell a token that is valid but useless.
func (g *Grants) Empty() bool {
	return g == nil || len(g.exact) == 0 && len(g.subtrees) == 0 && len(g.globs) == 0
}
