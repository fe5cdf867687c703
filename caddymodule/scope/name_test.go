package scope

import (
	"regexp"
	"strings"
	"testing"

	"github.com/distribution/reference"
)

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"a single component is a name", "acme", true},
		{"components joined by slashes are a name", "acme/team/app", true},
		{"digits are allowed", "acme/0day", true},
		{"dot, underscore, double underscore and dash runs separate", "a.b/a_b/a__b/a-b/a---b", true},
		{"a name of exactly the maximum length is valid", "a/" + strings.Repeat("b", MaxNameLen-2), true},
		{"a name one byte too long is refused", "a/" + strings.Repeat("b", MaxNameLen-1), false},
		{"the empty string is refused", "", false},
		{"uppercase is refused", "ACME/app", false},
		{"a host:port first component is refused", "localhost:5000/app", false},
		{"a leading slash is refused", "/acme/app", false},
		{"a trailing slash is refused", "acme/app/", false},
		{"an empty component is refused", "acme//app", false},
		{"a dot segment is refused", "acme/../x", false},
		{"a single dot segment is refused", "acme/./x", false},
		{"a triple underscore is refused", "a___b", false},
		{"a leading separator is refused", "-acme", false},
		{"a trailing separator is refused", "acme.", false},
		{"mixed separators are refused", "a.-b", false},
		{"dash then underscore is refused", "a-_b", false},
		{"a glob is no name", "acme/*", false},
		{"whitespace is refused", "acme/ app", false},
		{"percent-encoding is refused", "acme%2fapp", false},
		{"non-ASCII is refused", "acmé/app", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidName(tt.in); got != tt.want {
				t.Errorf("ValidName(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidOrg(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"one component is an org", "acme", true},
		{"separators inside are fine", "acme-corp.eu", true},
		{"two components are not an org", "acme/team", false},
		{"an empty org is refused", "", false},
		{"uppercase is refused", "Acme", false},
		{"a glob is refused", "acme*", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidOrg(tt.in); got != tt.want {
				t.Errorf("ValidOrg(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// anchoredName is distribution/reference's name grammar, anchored.
var anchoredName = regexp.MustCompile(`^(?:` + reference.NameRegexp.String() + `)$`)

// referenceAccepts is what ValidName must equal: reference's grammar minus
// anything only its domain part allows (ports, IPv6, uppercase).
func referenceAccepts(name string) bool {
	return anchoredName.MatchString(name) && len(name) <= MaxNameLen &&
		!strings.ContainsAny(name, ":[]ABCDEFGHIJKLMNOPQRSTUVWXYZ")
}

func FuzzValidName(f *testing.F) {
	for _, s := range []string{"acme/app", "a__b/c", "a___b", "localhost:5000/a", "Example.com/a", "a/", "a--b", "[::1]/a", "a.b.c/d-e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ValidName(s)
		if want := referenceAccepts(s); got != want {
			t.Fatalf("ValidName(%q) = %v, distribution/reference grammar says %v", s, got, want)
		}
		if got && !Match(s, s) {
			t.Fatalf("Match(%q, %q) = false, want a valid name to match itself", s, s)
		}
	})
}
