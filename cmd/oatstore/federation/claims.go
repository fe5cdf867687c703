package federation

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
)

// Claims are a verified ID token's payload, numbers kept as json.Number so
// that 1e3 and 1000 stay what the issuer wrote.
type Claims map[string]any

// MatchClaims reports whether claims satisfy every condition of want (a
// policy's Claims), and returns the claims that were compared, for the
// audit: the policy's conditions with the values the token carried.
// Deny by default: a missing claim never matches, nor does an array, an
// object or null.
func MatchClaims(want map[string]string, claims Claims) (matched map[string]string, ok bool) {
	if len(want) == 0 {
		return nil, false
	}
	matched = make(map[string]string, len(want))
	for _, name := range slices.Sorted(maps.Keys(want)) {
		text, ok := claimText(claims[name])
		if !ok || !MatchValue(want[name], text) {
			return nil, false
		}
		matched[name] = text
	}
	return matched, true
}

// claimText is a claim value as a condition compares it: a string as it
// is; a boolean as true or false; an integer in decimal. Fractions,
// arrays, objects, null and a missing claim have no text and match
// nothing: comparing them "loosely" is how a policy for repository_id
// "123" would end up matching 123.0 or ["123", "456"].
func claimText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case json.Number:
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return "", false
		}
		return strconv.FormatInt(n, 10), true
	}
	return "", false
}

// MatchValue reports whether value matches pattern, where * matches any
// run of characters (none included) and every other character only itself.
// It runs in O(len(pattern) × len(value)) at worst, however many stars:
// a pattern is written by an org, a value by whoever mints the token.
func MatchValue(pattern, value string) bool {
	// The classic two-pointer glob match: on a mismatch, retry from the
	// last star with one more character swallowed.
	p, v := 0, 0
	star, mark := -1, 0
	for v < len(value) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, v
			p++
		case p < len(pattern) && pattern[p] == value[v]:
			p++
			v++
		case star >= 0:
			p = star + 1
			mark++
			v = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
