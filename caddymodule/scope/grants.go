package scope

import (
	"slices"
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
	// public marks the grants of anonymous access (CompilePublic): patterns
	// in any namespace, no org.
	public bool
	// exact holds the patterns without wildcards, merged by name, when
	// there are at most maxExactList of them; exactIndex holds them when
	// there are more. A gateway caches a Grants per distinct scope string,
	// up to a million of them, most with a few exact names, and a one-entry
	// map costs ten times its entry; past a few names a map is faster.
	exact      []exactGrant
	exactIndex map[string]access.Set
	// subtrees holds "<literal prefix>/**" patterns by their prefix with the
	// slash kept: a name matches when it is longer and starts with it.
	subtrees []prefixed
	// globs holds every other pattern, with the literal text before its
	// first "*" to reject most names with one comparison.
	globs []prefixed
}

// exactGrant is the actions granted on one repository name.
type exactGrant struct {
	name    string
	actions access.Set
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
	g := &Grants{org: org}
	if !ValidOrg(org) {
		return g
	}
	return addScopes(g, scopes)
}

// addScopes adds scopes to g, dropping those that cannot grant anything: no
// actions, an invalid pattern, or (unless g is public) a pattern outside g's
// org.
func addScopes(g *Grants, scopes []Scope) *Grants {
	for _, sc := range scopes {
		if sc.Actions == 0 || !ValidPattern(sc.Pattern) || !g.public && !InNamespace(g.org, sc.Pattern) {
			continue
		}
		first := strings.IndexByte(sc.Pattern, '*')
		switch {
		case first < 0:
			g.exact = append(g.exact, exactGrant{name: sc.Pattern, actions: sc.Actions})
		case first == len(sc.Pattern)-2 && strings.HasSuffix(sc.Pattern, "/**"):
			g.subtrees = merge(g.subtrees, sc.Pattern, sc.Pattern[:first], sc.Actions)
		default:
			g.globs = merge(g.globs, sc.Pattern, sc.Pattern[:first], sc.Actions)
		}
	}
	for i := range g.globs {
		g.globs[i].parts = splitPattern(nil, g.globs[i].pattern)
	}
	g.exact = mergeExact(g.exact)
	if len(g.exact) > maxExactList {
		g.exactIndex = make(map[string]access.Set, len(g.exact))
		for _, e := range g.exact {
			g.exactIndex[e.name] = e.actions
		}
		g.exact = nil
	}
	return g
}

// CompilePublic builds the grants of anonymous access: scopes in any
// namespace, as an operator configures them for public images. They have no
// org. Invalid patterns are dropped, as in Compile.
func CompilePublic(scopes []Scope) *Grants {
	return addScopes(&Grants{public: true}, scopes)
}

// maxExactList is the most exact names a Grants searches as a list.
const maxExactList = 8

// mergeExact merges the actions of entries naming the same repository.
func mergeExact(list []exactGrant) []exactGrant {
	out := list[:0]
	for _, e := range list {
		if i := slices.IndexFunc(out, func(o exactGrant) bool { return o.name == e.name }); i >= 0 {
			out[i].actions |= e.actions
			continue
		}
		out = append(out, e)
	}
	return slices.Clip(out)
}

// exactActions is the actions granted on name by an exact pattern.
func (g *Grants) exactActions(name string) access.Set {
	if g.exactIndex != nil {
		return g.exactIndex[name]
	}
	for _, e := range g.exact {
		if e.name == name {
			return e.actions
		}
	}
	return 0
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
// namespace (any namespace for CompilePublic's grants), whatever the scopes
// say. It does not allocate. A catalog filter asks Allows(name, access.Pull):
// every grant includes pull.
func (g *Grants) Allows(repository string, need access.Action) bool {
	if g == nil || !need.Valid() || !g.public && !InNamespace(g.org, repository) || !ValidName(repository) {
		return false
	}
	if g.exactActions(repository).Has(need) {
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
