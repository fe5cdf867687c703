// Package scope is the token scope grammar, one piece of code for both sides:
// the token store validates scopes with it when they are written, and the
// gateway compiles them into Grants and matches every request against them.
//
// A scope is "repository:<pattern>:<actions>" as in registry token auth:
// <pattern> is a repository name or a glob (see Match), <actions> a
// comma-separated list of pull, push and delete. Several scopes are joined
// by single spaces.
package scope

import (
	"errors"
	"fmt"
	"strings"

	"github.com/oatgate/oatgate/caddymodule/access"
)

// resourceType is the one resource type a scope may name.
const resourceType = "repository"

var (
	// ErrSyntax reports a scope that is not repository:<pattern>:<actions>
	// with a valid pattern and valid actions.
	ErrSyntax = errors.New("invalid scope")
	// ErrNamespace reports a scope whose pattern reaches outside its org's
	// namespace.
	ErrNamespace = errors.New("scope outside the org's namespace")
	// ErrCount reports too few or too many scopes for one token.
	ErrCount = errors.New("wrong number of scopes")
	// ErrOrg reports an org name that cannot be a namespace.
	ErrOrg = errors.New("invalid org")
)

// Error is a refused scope entry: which one, and why. It wraps ErrSyntax or
// ErrNamespace. Its message is fit to show to the API client that sent the
// scope.
type Error struct {
	// Scope is the entry as given.
	Scope string
	// Reason says what is wrong, in words.
	Reason string
	// Err is the sentinel error: ErrSyntax or ErrNamespace.
	Err error
}

// Error returns `scope "<scope>": <reason>`.
func (e *Error) Error() string {
	return fmt.Sprintf("scope %q: %s", e.Scope, e.Reason)
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }

// Scope is one parsed scope entry.
type Scope struct {
	// Pattern is the repository name or glob the scope grants.
	Pattern string
	// Actions are the actions granted; nesting applies (see access.Set.Has).
	Actions access.Set
}

// actionOrder is the order String lists actions in.
var actionOrder = [...]access.Action{access.Pull, access.Push, access.Delete}

// String returns the canonical form "repository:<pattern>:<actions>", with
// actions in the order pull, push, delete.
func (s Scope) String() string {
	var b strings.Builder
	b.Grow(len(resourceType) + len(s.Pattern) + len(":pull,push,delete") + 1)
	b.WriteString(resourceType)
	b.WriteByte(':')
	b.WriteString(s.Pattern)
	b.WriteByte(':')
	first := true
	for _, a := range actionOrder {
		if s.Actions.Add(a) != s.Actions {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(a.String())
	}
	return b.String()
}

// Parse reads one scope entry. Actions must be non-empty, known and not
// repeated; the pattern must satisfy ValidPattern. Errors are *Error wrapping
// ErrSyntax.
func Parse(s string) (Scope, error) {
	rest, ok := strings.CutPrefix(s, resourceType+":")
	if !ok {
		return Scope{}, syntaxError(s, `want "repository:<pattern>:<actions>"`)
	}
	// The pattern cannot hold ':', so the last one ends it; a "host:port"
	// pattern is then refused as a pattern, with a reason that says so.
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return Scope{}, syntaxError(s, `want "repository:<pattern>:<actions>"`)
	}
	pattern, actions := rest[:i], rest[i+1:]
	if err := checkPattern(s, pattern); err != nil {
		return Scope{}, err
	}
	set, err := parseActions(s, actions)
	if err != nil {
		return Scope{}, err
	}
	return Scope{Pattern: pattern, Actions: set}, nil
}

// checkPattern explains why pattern is not valid, or returns nil.
func checkPattern(s, pattern string) error {
	switch {
	case pattern == "":
		return syntaxError(s, "repository pattern is empty")
	case len(pattern) > MaxNameLen:
		return syntaxError(s, fmt.Sprintf("repository pattern is longer than %d characters", MaxNameLen))
	case strings.Contains(pattern, ":"):
		return syntaxError(s, "repository pattern must not name a registry host (no host:port)")
	case ValidPattern(pattern):
		return nil
	}
	return syntaxError(s, "repository pattern must be lowercase name components "+
		`([a-z0-9] separated by ".", "_", "__" or "-") joined by single "/", `+
		`where "*" matches within a component and "**" is a whole component`)
}

// parseActions reads a comma-separated action list.
func parseActions(s, actions string) (access.Set, error) {
	if actions == "" {
		return 0, syntaxError(s, "no actions: want pull, push or delete")
	}
	var set access.Set
	for name := range strings.SplitSeq(actions, ",") {
		a, err := access.ParseAction(name)
		if err != nil {
			return 0, syntaxError(s, err.Error())
		}
		if set.Add(a) == set {
			return 0, syntaxError(s, fmt.Sprintf("action %q is listed twice", name))
		}
		set = set.Add(a)
	}
	return set, nil
}

// ParseList reads scopes joined by single spaces, as RFC 7662 introspection's
// "scope" field carries them. An empty string is no scopes. Any invalid
// entry, including an empty one from a doubled, leading or trailing space,
// fails the whole list: a gateway that cannot read a token's scopes must
// grant nothing rather than guess. The count is not limited here; Validate
// limits it when scopes are stored.
func ParseList(s string) ([]Scope, error) {
	if s == "" {
		return nil, nil
	}
	scopes := make([]Scope, 0, strings.Count(s, " ")+1)
	for entry := range strings.SplitSeq(s, " ") {
		sc, err := Parse(entry)
		if err != nil {
			return nil, err
		}
		scopes = append(scopes, sc)
	}
	return scopes, nil
}

func syntaxError(s, reason string) error {
	return &Error{Scope: s, Reason: reason, Err: ErrSyntax}
}
