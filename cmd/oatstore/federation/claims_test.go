package federation

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMatchValue(t *testing.T) {
	tests := []struct {
		name           string
		pattern, value string
		want           bool
	}{
		{"an exact value matches itself", "acme", "acme", true},
		{"an exact value does not match a longer one", "acme", "acme-evil", false},
		{"an exact value does not match a prefix of it", "acme", "acm", false},
		{"matching is case-sensitive", "acme", "ACME", false},
		{"a trailing star matches any branch", "repo:acme/app:ref:refs/heads/*", "repo:acme/app:ref:refs/heads/main", true},
		{"a star crosses slashes", "repo:acme/app:ref:refs/heads/*", "repo:acme/app:ref:refs/heads/feature/x", true},
		{"a trailing star matches nothing too", "repo:acme/*", "repo:acme/", true},
		{"a star in the middle", "repo:acme/*:ref:refs/heads/main", "repo:acme/app:ref:refs/heads/main", true},
		{"a star in the middle does not skip the suffix", "repo:acme/*:ref:refs/heads/main", "repo:acme/app:ref:refs/heads/dev", false},
		{"a prefix pattern refuses another owner", "repo:acme/*", "repo:acme-evil/app", false},
		{"a bare star matches anything", "*", "anything", true},
		{"a bare star matches the empty value", "*", "", true},
		{"stars back to back act as one", "a**b", "axxb", true},
		{"several stars", "*a*b*c*", "xxaxxbxxcxx", true},
		{"several stars in the wrong order", "*a*b*c*", "xxcxxbxxaxx", false},
		{"question marks are literal", "a?c", "abc", false},
		{"brackets are literal", "[ab]", "a", false},
		{"an empty pattern matches only the empty value", "", "x", false},
		{"backtracking past a partial match", "*ab", "aab", true},
		{"backtracking fails cleanly", "*ab*ac", "abab", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MatchValue(tt.pattern, tt.value); got != tt.want {
				t.Errorf("MatchValue(%q, %q) = %v, want %v", tt.pattern, tt.value, got, tt.want)
			}
		})
	}
}

func claimsOf(t *testing.T, payload string) Claims {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(payload))
	dec.UseNumber()
	var c Claims
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("decoding %s: %v", payload, err)
	}
	return c
}

func TestMatchClaims(t *testing.T) {
	gha := `{"sub":"repo:acme/app:ref:refs/heads/main","repository_owner":"acme","repository_id":"123","run_attempt":1,"ref_protected":true,"groups":["acme"],"ctx":{"owner":"acme"},"nothing":null,"ratio":1.5,"big":1e3}`
	tests := []struct {
		name string
		want map[string]string
		ok   bool
	}{
		{"every condition matching matches", map[string]string{"repository_owner": "acme", "sub": "repo:acme/app:ref:refs/heads/*"}, true},
		{"one failing condition refuses", map[string]string{"repository_owner": "acme", "sub": "repo:acme/app:ref:refs/heads/dev"}, false},
		{"a missing claim refuses", map[string]string{"environment": "*"}, false},
		{"a boolean compares as true or false", map[string]string{"ref_protected": "true"}, true},
		{"a boolean matches a glob of its word", map[string]string{"ref_protected": "t*e"}, true},
		{"a boolean does not match its opposite", map[string]string{"ref_protected": "false"}, false},
		{"an integer compares in decimal", map[string]string{"run_attempt": "1"}, true},
		{"a fraction never matches", map[string]string{"ratio": "*"}, false},
		{"an exponent is not an integer", map[string]string{"big": "1000"}, false},
		{"an array never matches, even a star", map[string]string{"groups": "*"}, false},
		{"an object never matches", map[string]string{"ctx": "*"}, false},
		{"null never matches", map[string]string{"nothing": "*"}, false},
		{"a string claim compares as written", map[string]string{"repository_id": "123"}, true},
		{"no conditions never match", map[string]string{}, false},
	}
	claims := claimsOf(t, gha)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			matched, ok := MatchClaims(tt.want, claims)
			if ok != tt.ok {
				t.Fatalf("MatchClaims(%v) ok = %v, want %v", tt.want, ok, tt.ok)
			}
			if ok && len(matched) != len(tt.want) {
				t.Errorf("matched = %v, want one value per condition %v", matched, tt.want)
			}
			if !ok && matched != nil {
				t.Errorf("a refusal returned matched claims %v", matched)
			}
		})
	}
	t.Run("the matched claims are the token's values", func(t *testing.T) {
		matched, _ := MatchClaims(map[string]string{"sub": "repo:acme/*", "run_attempt": "1"}, claims)
		want := map[string]string{"sub": "repo:acme/app:ref:refs/heads/main", "run_attempt": "1"}
		if !reflect.DeepEqual(matched, want) {
			t.Errorf("matched = %v, want %v", matched, want)
		}
	})
}

// globRegexp is the reference the fuzz target compares MatchValue with:
// the pattern quoted, each * turned into .*, anchored, dot matching
// newlines too.
func globRegexp(pattern string) *regexp.Regexp {
	parts := strings.Split(pattern, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`(?s)\A` + strings.Join(parts, ".*") + `\z`)
}

func FuzzMatchValue(f *testing.F) {
	for _, s := range [][2]string{
		{"repo:acme/*", "repo:acme/app"}, {"*a*b*", "xaybz"}, {"", ""}, {"*", ""},
		{"a*", "b"}, {"**", "x"}, {"*ab*ac", "abab"}, {"\xff*", "\xff\x00"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, value string) {
		if len(pattern) > 64 || len(value) > 256 || !utf8.ValidString(pattern) {
			// The bounds are the policy's, which also holds only ASCII; a
			// regexp cannot spell invalid UTF-8.
			return
		}
		got := MatchValue(pattern, value)
		want := globRegexp(pattern).MatchString(value)
		if got != want {
			t.Fatalf("MatchValue(%q, %q) = %v, the reference says %v", pattern, value, got, want)
		}
		if !strings.Contains(pattern, "*") && got != (pattern == value) {
			t.Fatalf("a pattern without * must match only itself: MatchValue(%q, %q) = %v", pattern, value, got)
		}
	})
}

func FuzzMatchClaims(f *testing.F) {
	f.Add("sub", "repo:acme/*", `{"sub":"repo:acme/app"}`)
	f.Add("n", "1", `{"n":1}`)
	f.Add("a", "*", `{"a":[1]}`)
	f.Add("b", "true", `{"b":true}`)
	f.Fuzz(func(t *testing.T, name, pattern, payload string) {
		dec := json.NewDecoder(strings.NewReader(payload))
		dec.UseNumber()
		var c Claims
		if dec.Decode(&c) != nil {
			return
		}
		matched, ok := MatchClaims(map[string]string{name: pattern}, c)
		if !ok {
			return
		}
		switch v := c[name].(type) {
		case string:
			if matched[name] != v || !MatchValue(pattern, v) {
				t.Fatalf("matched %q for claim %q = %q under %q", matched[name], name, v, pattern)
			}
		case bool, json.Number:
		default:
			t.Fatalf("claim %q of type %T matched %q", name, v, pattern)
		}
	})
}
