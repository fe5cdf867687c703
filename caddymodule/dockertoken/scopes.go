package dockertoken

import (
	"errors"
	"fmt"
	"strings"

	"github.com/oatgate/oatgate/caddymodule/scope"
)

// MaxScopes is the most scope entries one token request may carry. Clients
// send one to three (a push with a cross-repository mount is the most); the
// bound keeps a hostile request's cost small.
const MaxScopes = 32

// ErrTooManyScopes reports a token request with more than MaxScopes entries.
var ErrTooManyScopes = errors.New("too many scopes")

// ParseScopes reads the scope parameters of a token request. Each value
// holds one entry or several separated by spaces (the OAuth2 form sends
// them so; the GET form repeats the parameter), in distribution's grammar:
//
//	scope         := resourcescope [ ' ' resourcescope ]*
//	resourcescope := resourcetype ":" resourcename ":" action [ ',' action ]*
//	resourcetype  := [a-z0-9]+ [ '(' [a-z0-9]+ ')' ]
//
// Entries for the same resource are merged. Entries this gateway cannot
// grant are dropped rather than refused, as Docker Hub does: a malformed
// entry, an unknown resource type, a repository name outside the OCI name
// grammar (including a "host:port/" prefix), actions other than pull, push
// and delete (for the catalog, "*"). A client that asks for more than it
// may have gets a token without it, never an error. The only error is
// ErrTooManyScopes.
func ParseScopes(values []string) ([]Access, error) {
	var out []Access
	n := 0
	for _, v := range values {
		for entry := range strings.SplitSeq(v, " ") {
			if entry == "" {
				continue
			}
			if n++; n > MaxScopes {
				return nil, fmt.Errorf("%w: at most %d entries", ErrTooManyScopes, MaxScopes)
			}
			if a, ok := ParseScope(entry); ok {
				out = merge(out, a)
			}
		}
	}
	return out, nil
}

// ParseScope reads one scope entry. ok is false when the entry is dropped
// (see ParseScopes); the Access returned then is empty. Actions keep the
// client's order, without repeats and without the ones dropped.
func ParseScope(s string) (a Access, ok bool) {
	typ, rest, found := strings.Cut(s, ":")
	if !found {
		return Access{}, false
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return Access{}, false
	}
	name, actions := rest[:i], rest[i+1:]
	typ, class, ok := parseType(typ)
	if !ok {
		return Access{}, false
	}
	switch typ {
	case TypeRepository:
		if !scope.ValidName(name) {
			return Access{}, false
		}
		a = Access{Type: typ, Class: class, Name: name}
		for act := range strings.SplitSeq(actions, ",") {
			if _, known := repositoryAction(act); known && !contains(a.Actions, act) {
				a.Actions = append(a.Actions, act)
			}
		}
	case TypeRegistry:
		if class != "" || name != NameCatalog {
			return Access{}, false
		}
		a = Access{Type: typ, Name: name}
		for act := range strings.SplitSeq(actions, ",") {
			if act == ActionAll {
				a.Actions = []string{ActionAll}
			}
		}
	}
	if len(a.Actions) == 0 {
		return Access{}, false
	}
	return a, true
}

// parseType splits "type" or "type(class)", each [a-z0-9]+.
func parseType(s string) (typ, class string, ok bool) {
	typ, class, hasClass := strings.Cut(s, "(")
	if hasClass {
		var closed bool
		class, closed = strings.CutSuffix(class, ")")
		if !closed || !lowerAlnum(class) {
			return "", "", false
		}
	}
	return typ, class, lowerAlnum(typ)
}

// lowerAlnum reports whether s is a non-empty run of [a-z0-9].
func lowerAlnum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
