package scope

import (
	"strings"

	"github.com/oatgate/oatgate/caddymodule/access"
)

// Covers reports whether a token holding the holder scopes may give the
// wanted scope without granting more than it holds: every repository name
// wanted can match is matched by some holder scope whose actions include
// every action wanted grants. Several holder scopes may cover one wanted
// glob together ("acme/*" and "acme/*/**" cover "acme/**").
//
// The answer is exact over valid repository names (ValidName, at most
// MaxNameLen bytes) and Match's semantics, except that a question too large
// to settle within a fixed budget answers false: false when unsure is safe,
// true when not covered would be an escalation. An invalid wanted scope is
// never covered; invalid holder scopes cover nothing. Covers knows nothing
// of orgs: callers check that wanted lies in the org's namespace (Validate)
// and pass only the holder scopes the gateway would honour (InNamespace).
func Covers(holder []Scope, wanted Scope) bool {
	v, _ := coverage(holder, wanted)
	return v == covered
}

// Uncovered returns a repository name that wanted grants and holder does
// not, the shortest there is, so that a refusal can say what it would have
// given away. It returns "" when wanted is covered, invalid, or too large a
// question to settle.
func Uncovered(holder []Scope, wanted Scope) string {
	v, name := coverage(holder, wanted)
	if v != uncovered {
		return ""
	}
	return name
}

// verdict is the outcome of a coverage question.
type verdict uint8

const (
	undecided verdict = iota
	covered
	uncovered
)

// coverage settles whether holder covers wanted, and when it does not,
// returns the shortest name that shows it.
func coverage(holder []Scope, wanted Scope) (verdict, string) {
	need, ok := largestAction(wanted.Actions)
	if !ok || !ValidPattern(wanted.Pattern) {
		return undecided, ""
	}
	// Actions nest, so the holder scopes that include the largest wanted
	// action include every smaller one: only those can help.
	var patterns []string
	for _, h := range holder {
		if !h.Actions.Has(need) || !ValidPattern(h.Pattern) {
			continue
		}
		if h.Pattern == wanted.Pattern {
			return covered, ""
		}
		patterns = append(patterns, h.Pattern)
	}
	if !strings.Contains(wanted.Pattern, "*") {
		// An exact name: one holder must match it.
		for _, p := range patterns {
			if Match(p, wanted.Pattern) {
				return covered, ""
			}
		}
		return uncovered, wanted.Pattern
	}
	return newSearch(patterns, wanted.Pattern).run()
}

// largestAction returns the largest action in set, which includes all the
// others, or ok=false for a set with no action or bits outside the actions.
func largestAction(set access.Set) (access.Action, bool) {
	var all access.Set
	var largest access.Action
	for _, a := range [...]access.Action{access.Pull, access.Push, access.Delete} {
		all = all.Add(a)
		if set.Add(a) == set {
			largest = a
		}
	}
	if largest == 0 || set&^all != 0 {
		return 0, false
	}
	return largest, true
}
