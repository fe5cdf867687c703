package scope

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		name          string
		pattern, repo string
		want          bool
	}{
		{"an exact pattern matches its own name", "acme/app", "acme/app", true},
		{"an exact pattern does not match a longer name", "acme/app", "acme/app/x", false},
		{"an exact pattern does not match a name with a longer component", "acme/app", "acme/apps", false},
		{"matching is case-sensitive", "acme/app", "ACME/app", false},
		{"star matches a whole component", "acme/*", "acme/app", true},
		{"star stays inside one component", "acme/*", "acme/a/b", false},
		{"star does not match a missing component", "acme/*", "acme", false},
		{"star after a literal matches the rest of a component", "acme/app-*", "acme/app-web", true},
		{"star after a literal matches nothing more", "acme/app*", "acme/app", true},
		{"star after a literal needs the literal", "acme/app-*", "acme/api-web", false},
		{"star before a literal", "acme/*-web", "acme/app-web", true},
		{"stars on both sides", "acme/*pp*", "acme/my-app-x", true},
		{"star in the first component", "*/app", "acme/app", true},
		{"star in the middle", "acme/*/app", "acme/team/app", true},
		{"star in the middle spans one component only", "acme/*/app", "acme/a/b/app", false},
		{"double star matches one component", "acme/**", "acme/a", true},
		{"double star matches many components", "acme/**", "acme/a/b/c", true},
		{"double star does not match the org itself", "acme/**", "acme", false},
		{"double star does not match a sibling org", "acme/**", "acmex/app", false},
		{"double star in the middle spans components", "acme/**/app", "acme/a/b/app", true},
		{"double star in the middle needs at least one component", "acme/**/app", "acme/app", false},
		{"double star in the middle needs the tail", "acme/**/app", "acme/a/b/web", false},
		{"double star backtracks", "acme/**/a/b", "acme/a/a/b", true},
		{"two double stars", "acme/**/x/**", "acme/a/x/b/x/c", true},
		{"two double stars need both", "acme/**/x/**", "acme/a/x", false},
		{"double star then star", "acme/**/app-*", "acme/t/u/app-web", true},
		{"a bare double star matches every name", "**", "a/b", true},
		{"an invalid name never matches", "acme/**", "acme/APP", false},
		{"a host:port name never matches", "**", "localhost:5000/app", false},
		{"a star cannot match into an invalid name", "acme/a*", "acme/a-", false},
		{"an invalid pattern matches nothing", "acme/**x", "acme/**x", false},
		{"an empty pattern matches nothing", "", "acme", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Match(tt.pattern, tt.repo); got != tt.want {
				t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.repo, got, tt.want)
			}
		})
	}
}

func TestValidPattern(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		want    bool
	}{
		{"an exact name is a pattern", "acme/app", true},
		{"a star component is a pattern", "acme/*", true},
		{"a star inside a component is a pattern", "acme/app-*", true},
		{"a double star component is a pattern", "acme/**", true},
		{"a double star in the middle is a pattern", "acme/**/app", true},
		{"a star next to a separator is a pattern", "acme/a.*.b", true},
		{"double star must be a whole component", "acme/**x", false},
		{"double star inside a component is refused", "acme/a**", false},
		{"three stars are refused", "acme/***", false},
		{"an empty component is refused", "acme//a", false},
		{"a dot segment is refused", "acme/../x", false},
		{"uppercase is refused", "Acme/app", false},
		{"the empty pattern is refused", "", false},
		{"a trailing slash is refused", "acme/", false},
		{"a leading slash is refused", "/acme", false},
		{"host:port is refused", "localhost:5000/acme", false},
		{"a component that can match nothing is refused", "acme/-*", false},
		{"a trailing separator after a star is refused", "acme/*.", false},
		{"a pattern over the length limit is refused", "acme/" + strings.Repeat("a", MaxNameLen), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidPattern(tt.pattern); got != tt.want {
				t.Errorf("ValidPattern(%q) = %v, want %v", tt.pattern, got, tt.want)
			}
		})
	}
}

func FuzzMatch(f *testing.F) {
	seeds := [][2]string{
		{"acme/**", "acme/a/b"},
		{"acme/*", "acme/app"},
		{"acme/**/a/b", "acme/a/a/b"},
		{"*/*-*", "a/b-c"},
		{"acme/**x", "acme/ax"},
		{"**", "a"},
		{"a/**/**", "a/b/c"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if !Match(pattern, name) {
			return
		}
		if !ValidName(name) || !ValidPattern(pattern) {
			t.Fatalf("Match(%q, %q) = true for an invalid name or pattern", pattern, name)
		}
		if !strings.Contains(pattern, "*") && pattern != name {
			t.Fatalf("Match(%q, %q) = true, want exact patterns to match only themselves", pattern, name)
		}
		if strings.Count(pattern, "/") > strings.Count(name, "/") {
			t.Fatalf("Match(%q, %q) = true for a name with fewer components than the pattern", pattern, name)
		}
	})
}

// FuzzMatchAgreesWithRecursion checks the greedy matcher against a direct
// recursive definition of the same semantics.
func FuzzMatchAgreesWithRecursion(f *testing.F) {
	f.Add("acme/**/a/*", "acme/a/a/b")
	f.Add("a/**/**/b", "a/x/y/b")
	f.Add("*a*/**", "bab/c")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		// The recursive definition is exponential; keep its inputs small.
		if !ValidPattern(pattern) || !ValidName(name) || len(name) > 64 || strings.Count(pattern, "*") > 8 {
			return
		}
		want := recursiveMatch(strings.Split(pattern, "/"), strings.Split(name, "/"))
		if got := Match(pattern, name); got != want {
			t.Fatalf("Match(%q, %q) = %v, recursive definition says %v", pattern, name, got, want)
		}
	})
}

func recursiveMatch(p, n []string) bool {
	if len(p) == 0 {
		return len(n) == 0
	}
	if p[0] == "**" {
		for k := 1; k <= len(n); k++ {
			if recursiveMatch(p[1:], n[k:]) {
				return true
			}
		}
		return false
	}
	return len(n) > 0 && recursiveComponent(p[0], n[0]) && recursiveMatch(p[1:], n[1:])
}

func recursiveComponent(p, n string) bool {
	if p == "" {
		return n == ""
	}
	if p[0] == '*' {
		for k := 0; k <= len(n); k++ {
			if recursiveComponent(p[1:], n[k:]) {
				return true
			}
		}
		return false
	}
	return n != "" && p[0] == n[0] && recursiveComponent(p[1:], n[1:])
}

func BenchmarkMatch(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if !Match("acme/**/app-*", "acme/team/sub/app-web") {
			b.Fatal("no match")
		}
	}
}
