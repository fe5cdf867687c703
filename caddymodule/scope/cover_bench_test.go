package scope

import (
	"strings"
	"testing"
)

// BenchmarkCovers measures the questions oatstore asks when a management
// token creates a token: one per wanted scope.
func BenchmarkCovers(b *testing.B) {
	var stars []Scope
	for i := range MaxScopes {
		stars = append(stars, sc("acme/*"+strings.Repeat("a*", 1+i%20)+"/**", del...))
	}
	cases := []struct {
		name   string
		holder []Scope
		wanted Scope
	}{
		{"exact name under a subtree", []Scope{sc("acme/**", push...)}, sc("acme/app", pull...)},
		{"subtree from two scopes together", []Scope{sc("acme/*", push...), sc("acme/*/**", push...)}, sc("acme/**", pull...)},
		{"uncovered glob with an example", []Scope{sc("acme/app", push...), sc("acme/app-*", push...)}, sc("acme/app*", pull...)},
		{"fifty star piles", stars, sc("acme/"+strings.Repeat("*a", 60)+"*/**", pull...)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				coverage(c.holder, c.wanted)
			}
		})
	}
}
