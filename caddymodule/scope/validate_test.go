package scope

import (
	"errors"
	"fmt"
	"testing"
)

func TestValidate(t *testing.T) {
	many := make([]string, MaxScopes+1)
	for i := range many {
		many[i] = fmt.Sprintf("repository:acme/app%d:pull", i)
	}
	tests := []struct {
		name    string
		org     string
		scopes  []string
		wantErr error
		wantMsg string
	}{
		{"scopes inside the namespace are accepted", "acme", []string{"repository:acme/app:pull", "repository:acme/**:push"}, nil, ""},
		{"the org's own name is outside its namespace", "acme", []string{"repository:acme:pull"}, ErrNamespace, `scope "repository:acme:pull"`},
		{"exactly MaxScopes scopes are accepted", "acme", many[:MaxScopes], nil, ""},
		{"another org's repository is refused", "acme", []string{"repository:acme/app:pull", "repository:other/app:pull"}, ErrNamespace,
			`scope "repository:other/app:pull": repository pattern must be inside the org's namespace "acme/"`},
		{"a sibling org sharing the prefix is refused", "acme", []string{"repository:acmex/app:pull"}, ErrNamespace, `scope "repository:acmex/app:pull"`},
		{"a glob reaching past the org is refused", "acme", []string{"repository:acme*:pull"}, ErrNamespace, `scope "repository:acme*:pull"`},
		{"a leading double star is refused", "acme", []string{"repository:**:pull"}, ErrNamespace, `scope "repository:**:pull"`},
		{"a leading star is refused", "acme", []string{"repository:*/app:pull"}, ErrNamespace, `scope "repository:*/app:pull"`},
		{"a syntax error names the scope", "acme", []string{"repository:acme/app:admin"}, ErrSyntax, `scope "repository:acme/app:admin": unknown action "admin"`},
		{"no scopes are refused", "acme", nil, ErrCount, "wrong number of scopes: none given, at least one is required"},
		{"more than MaxScopes are refused", "acme", many, ErrCount, "wrong number of scopes: 51 given, at most 50 allowed"},
		{"an invalid org is refused", "Acme", []string{"repository:Acme/app:pull"}, ErrOrg, `invalid org "Acme": want one name component`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Validate(tt.org, tt.scopes)
			if tt.wantErr == nil {
				if err != nil || len(got) != len(tt.scopes) {
					t.Fatalf("Validate(%q, %q) = %d scopes, %v; want %d, nil", tt.org, tt.scopes, len(got), err, len(tt.scopes))
				}
				for i, sc := range got {
					if sc.String() != tt.scopes[i] {
						t.Errorf("scope %d = %q, want %q", i, sc.String(), tt.scopes[i])
					}
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || got != nil {
				t.Fatalf("Validate(%q, %q) = %v, %v; want nil, %v", tt.org, tt.scopes, got, err, tt.wantErr)
			}
			if msg := err.Error(); len(msg) < len(tt.wantMsg) || msg[:len(tt.wantMsg)] != tt.wantMsg {
				t.Errorf("Validate error = %q, want it to start with %q", msg, tt.wantMsg)
			}
		})
	}
}

func TestInNamespace(t *testing.T) {
	tests := []struct {
		name      string
		org, repo string
		want      bool
	}{
		{"the org itself is no repository of the org", "acme", "acme", false},
		{"the org with a bare slash is not a name under it", "acme", "acme/", false},
		{"a repository under the org", "acme", "acme/app", true},
		{"a deep repository under the org", "acme", "acme/a/b", true},
		{"a sibling sharing the prefix", "acme", "acmex/app", false},
		{"another org", "acme", "other/acme", false},
		{"an empty org owns nothing", "", "acme", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := InNamespace(tt.org, tt.repo); got != tt.want {
				t.Errorf("InNamespace(%q, %q) = %v, want %v", tt.org, tt.repo, got, tt.want)
			}
		})
	}
}
