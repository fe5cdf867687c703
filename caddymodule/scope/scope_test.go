package scope

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/caddymodule/access"
)

func set(actions ...access.Action) access.Set {
	var s access.Set
	for _, a := range actions {
		s = s.Add(a)
	}
	return s
}

func TestParse(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		want       Scope
		wantReason string // empty when the scope is valid
	}{
		{"a pull scope parses", "repository:acme/app:pull", Scope{"acme/app", set(access.Pull)}, ""},
		{"several actions parse", "repository:acme/app:pull,push", Scope{"acme/app", set(access.Pull, access.Push)}, ""},
		{"actions in any order parse", "repository:acme/app:delete,pull", Scope{"acme/app", set(access.Pull, access.Delete)}, ""},
		{"a glob pattern parses", "repository:acme/**:pull", Scope{"acme/**", set(access.Pull)}, ""},
		{"another resource type is refused", "registry:catalog:*", Scope{}, "want"},
		{"a resource class is refused", "repository(plugin):acme/app:pull", Scope{}, "want"},
		{"a missing action list is refused", "repository:acme/app", Scope{}, "want"},
		{"an empty action list is refused", "repository:acme/app:", Scope{}, "no actions"},
		{"an unknown action is refused", "repository:acme/app:pull,admin", Scope{}, `unknown action "admin"`},
		{"the wildcard action is refused", "repository:acme/app:*", Scope{}, `unknown action "*"`},
		{"an empty action in the list is refused", "repository:acme/app:pull,", Scope{}, `unknown action ""`},
		{"a repeated action is refused", "repository:acme/app:pull,pull", Scope{}, "listed twice"},
		{"uppercase actions are refused", "repository:acme/app:PULL", Scope{}, "unknown action"},
		{"an empty pattern is refused", "repository::pull", Scope{}, "empty"},
		{"a host:port pattern is refused", "repository:localhost:5000/acme/app:pull", Scope{}, "host:port"},
		{"an uppercase pattern is refused", "repository:Acme/app:pull", Scope{}, "lowercase"},
		{"a dot segment is refused", "repository:acme/../x:pull", Scope{}, "lowercase"},
		{"a partial double star is refused", "repository:acme/**x:pull", Scope{}, "lowercase"},
		{"a trailing slash is refused", "repository:acme/:pull", Scope{}, "lowercase"},
		{"surrounding space is refused", " repository:acme/app:pull", Scope{}, "want"},
		{"an empty entry is refused", "", Scope{}, "want"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.wantReason == "" {
				if err != nil || got != tt.want {
					t.Fatalf("Parse(%q) = %+v, %v; want %+v, nil", tt.in, got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, nil; want an error containing %q", tt.in, got, tt.wantReason)
			}
			if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tt.wantReason) {
				t.Errorf("Parse(%q) error = %v, want ErrSyntax containing %q", tt.in, err, tt.wantReason)
			}
			if want := fmt.Sprintf("scope %q: ", tt.in); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Parse(%q) error = %v, want it to name the scope", tt.in, err)
			}
		})
	}
}

func TestStringIsCanonical(t *testing.T) {
	tests := []struct {
		name string
		in   Scope
		want string
	}{
		{"one action", Scope{"acme/app", set(access.Push)}, "repository:acme/app:push"},
		{"actions are listed smallest first", Scope{"acme/**", set(access.Delete, access.Pull)}, "repository:acme/**:pull,delete"},
		{"all actions", Scope{"acme/a", set(access.Delete, access.Push, access.Pull)}, "repository:acme/a:pull,push,delete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseList(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Scope
		wantErr bool
	}{
		{"an empty string is no scopes", "", nil, false},
		{"one scope", "repository:acme/app:pull", []Scope{{"acme/app", set(access.Pull)}}, false},
		{"scopes separated by a space", "repository:acme/app:pull,push repository:acme/**:pull",
			[]Scope{{"acme/app", set(access.Pull, access.Push)}, {"acme/**", set(access.Pull)}}, false},
		{"a doubled space is refused", "repository:acme/app:pull  repository:acme/b:pull", nil, true},
		{"a trailing space is refused", "repository:acme/app:pull ", nil, true},
		{"a tab is refused", "repository:acme/app:pull\trepository:acme/b:pull", nil, true},
		{"one bad entry fails the list", "repository:acme/app:pull repository:acme/b:admin", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseList(tt.in)
			if (err != nil) != tt.wantErr || !equalScopes(got, tt.want) {
				t.Errorf("ParseList(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func equalScopes(a, b []Scope) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"repository:acme/app:pull",
		"repository:acme/**:pull,push,delete",
		"repository:acme/*-web:delete,pull",
		"repository:localhost:5000/a:pull",
		"repository:a:pull,pull",
		"repository::",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := Parse(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Scope != s || !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse(%q) error = %#v, want *Error naming the scope and wrapping ErrSyntax", s, err)
			}
			return
		}
		if !ValidPattern(sc.Pattern) || sc.Actions == 0 {
			t.Fatalf("Parse(%q) = %+v, want a valid pattern and actions", s, sc)
		}
		again, err := Parse(sc.String())
		if err != nil || again != sc {
			t.Fatalf("Parse(%q) = %+v, %v; want the scope %+v back", sc.String(), again, err, sc)
		}
	})
}

func FuzzParseList(f *testing.F) {
	f.Add("repository:acme/app:pull repository:acme/**:push")
	f.Add("")
	f.Add(" ")
	f.Add("repository:acme/app:pull  repository:x:pull")
	f.Fuzz(func(t *testing.T, s string) {
		scopes, err := ParseList(s)
		if err != nil {
			return
		}
		parts := make([]string, len(scopes))
		for i, sc := range scopes {
			parts[i] = sc.String()
		}
		again, err := ParseList(strings.Join(parts, " "))
		if err != nil || !equalScopes(again, scopes) {
			t.Fatalf("ParseList of the canonical form of %q = %+v, %v; want %+v", s, again, err, scopes)
		}
	})
}

func BenchmarkParseList(b *testing.B) {
	list := strings.Repeat("repository:acme/app:pull,push ", 9) + "repository:acme/**:pull"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseList(list); err != nil {
			b.Fatal(err)
		}
	}
}
