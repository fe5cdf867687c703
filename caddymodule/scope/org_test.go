package scope

import (
	"errors"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/caddymodule/access"
)

func TestParseOrg(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		want       OrgScope
		wantReason string // empty when the scope is valid
	}{
		{"tokens write parses", "org:tokens:write", OrgScope{OrgTokens, OrgWrite}, ""},
		{"tokens read parses", "org:tokens:read", OrgScope{OrgTokens, OrgRead}, ""},
		{"audit read parses", "org:audit:read", OrgScope{OrgAudit, OrgRead}, ""},
		{"usage read parses", "org:usage:read", OrgScope{OrgUsage, OrgRead}, ""},
		{"federation write parses", "org:federation:write", OrgScope{OrgFederation, OrgWrite}, ""},
		{"webhooks write parses", "org:webhooks:write", OrgScope{OrgWebhooks, OrgWrite}, ""},
		{"an unknown resource is refused", "org:members:read", OrgScope{}, `unknown org resource "members"`},
		{"an unknown access is refused", "org:tokens:admin", OrgScope{}, `unknown org access "admin"`},
		{"two accesses are refused", "org:tokens:read,write", OrgScope{}, `unknown org access "read,write"`},
		{"a wildcard resource is refused", "org:*:write", OrgScope{}, "unknown org resource"},
		{"a wildcard access is refused", "org:tokens:*", OrgScope{}, "unknown org access"},
		{"uppercase is refused", "org:Tokens:read", OrgScope{}, "unknown org resource"},
		{"a missing access is refused", "org:tokens", OrgScope{}, "want"},
		{"an empty access is refused", "org:tokens:", OrgScope{}, "unknown org access"},
		{"an extra part is refused", "org:tokens:read:x", OrgScope{}, "unknown org access"},
		{"an org name in the scope is refused", "org:acme:tokens:read", OrgScope{}, "unknown org resource"},
		{"a repository scope is not an org scope", "repository:acme/app:pull", OrgScope{}, "want"},
		{"surrounding space is refused", " org:tokens:read", OrgScope{}, "want"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOrg(tt.in)
			if tt.wantReason == "" {
				if err != nil || got != tt.want {
					t.Fatalf("ParseOrg(%q) = %+v, %v; want %+v, nil", tt.in, got, err, tt.want)
				}
				if got.String() != tt.in {
					t.Errorf("String() = %q, want the input back", got.String())
				}
				return
			}
			var se *Error
			if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tt.wantReason) {
				t.Fatalf("ParseOrg(%q) error = %v; want an *Error wrapping ErrSyntax containing %q", tt.in, err, tt.wantReason)
			}
		})
	}
}

func TestOrgScopeAllows(t *testing.T) {
	tests := []struct {
		name  string
		scope OrgScope
		res   OrgResource
		acc   OrgAccess
		want  bool
	}{
		{"write allows write", OrgScope{OrgTokens, OrgWrite}, OrgTokens, OrgWrite, true},
		{"write includes read", OrgScope{OrgTokens, OrgWrite}, OrgTokens, OrgRead, true},
		{"read allows read", OrgScope{OrgAudit, OrgRead}, OrgAudit, OrgRead, true},
		{"read does not allow write", OrgScope{OrgTokens, OrgRead}, OrgTokens, OrgWrite, false},
		{"one resource does not allow another", OrgScope{OrgTokens, OrgWrite}, OrgAudit, OrgRead, false},
		{"the zero scope allows nothing", OrgScope{}, OrgTokens, OrgRead, false},
		{"an invalid resource is never allowed", OrgScope{OrgTokens, OrgWrite}, OrgResource(9), OrgRead, false},
		{"an invalid access is never allowed", OrgScope{OrgTokens, OrgWrite}, OrgTokens, OrgAccess(0), false},
		{"an invalid access in the scope allows nothing", OrgScope{OrgTokens, OrgAccess(7)}, OrgTokens, OrgRead, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.scope.Allows(tt.res, tt.acc); got != tt.want {
				t.Errorf("%v.Allows(%v, %v) = %v, want %v", tt.scope, tt.res, tt.acc, got, tt.want)
			}
		})
	}
}

func TestOrgCovers(t *testing.T) {
	holder := []OrgScope{{OrgTokens, OrgWrite}, {OrgAudit, OrgRead}}
	tests := []struct {
		name   string
		wanted OrgScope
		want   bool
	}{
		{"a scope it holds is covered", OrgScope{OrgTokens, OrgWrite}, true},
		{"read of a resource it may write is covered", OrgScope{OrgTokens, OrgRead}, true},
		{"write of a resource it may only read is not covered", OrgScope{OrgAudit, OrgWrite}, false},
		{"a resource it lacks is not covered", OrgScope{OrgUsage, OrgRead}, false},
		{"the zero scope is not covered", OrgScope{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OrgCovers(holder, tt.wanted); got != tt.want {
				t.Errorf("OrgCovers(%v, %v) = %v, want %v", holder, tt.wanted, got, tt.want)
			}
		})
	}
	t.Run("an empty holder covers nothing", func(t *testing.T) {
		if OrgCovers(nil, OrgScope{OrgTokens, OrgRead}) {
			t.Error("OrgCovers(nil, org:tokens:read) = true, want false")
		}
	})
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name       string
		in         []string
		wantRepo   string
		wantOrg    string
		wantReason string
	}{
		{"a mixed list splits by kind", []string{"org:tokens:write", "repository:acme/app:push", "org:audit:read"}, "repository:acme/app:push", "org:tokens:write org:audit:read", ""},
		{"repository scopes alone split", []string{"repository:acme/**:pull"}, "repository:acme/**:pull", "", ""},
		{"org scopes alone split", []string{"org:usage:read"}, "", "org:usage:read", ""},
		{"nothing splits into nothing", nil, "", "", ""},
		{"an invalid org scope fails the list", []string{"repository:acme/app:pull", "org:members:read"}, "", "", "unknown org resource"},
		{"an invalid repository scope fails the list", []string{"org:tokens:read", "repository:Acme:pull"}, "", "", "lowercase"},
		{"another resource type fails the list", []string{"registry:catalog:*"}, "", "", "want"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo, org, err := Split(tt.in)
			checkSplit(t, repo, org, err, tt.wantRepo, tt.wantOrg, tt.wantReason)
		})
	}
}

func TestSplitList(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantRepo   string
		wantOrg    string
		wantReason string
	}{
		{"an introspection scope field splits", "org:tokens:write repository:acme/app:pull,push", "repository:acme/app:pull,push", "org:tokens:write", ""},
		{"an empty field is no scopes", "", "", "", ""},
		{"a doubled space fails the list", "org:tokens:write  repository:acme/app:pull", "", "", "want"},
		{"a trailing space fails the list", "org:tokens:write ", "", "", "want"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo, org, err := SplitList(tt.in)
			checkSplit(t, repo, org, err, tt.wantRepo, tt.wantOrg, tt.wantReason)
		})
	}
}

func TestValidateSplit(t *testing.T) {
	tooMany := make([]string, MaxScopes+1)
	for i := range tooMany {
		tooMany[i] = "org:audit:read"
	}
	tests := []struct {
		name       string
		org        string
		in         []string
		wantRepo   string
		wantOrg    string
		wantErr    error
		wantReason string
	}{
		{"a management token's scopes validate", "acme", []string{"org:tokens:write", "repository:acme/app:push"}, "repository:acme/app:push", "org:tokens:write", nil, ""},
		{"org scopes alone validate", "acme", []string{"org:audit:read"}, "", "org:audit:read", nil, ""},
		{"repository scopes alone validate as before", "acme", []string{"repository:acme/**:pull"}, "repository:acme/**:pull", "", nil, ""},
		{"no scopes are refused", "acme", nil, "", "", ErrCount, "none given"},
		{"too many scopes in all are refused", "acme", tooMany, "", "", ErrCount, "51 given"},
		{"a repository scope outside the namespace is refused", "acme", []string{"org:tokens:write", "repository:globex/app:pull"}, "", "", ErrNamespace, "namespace"},
		{"an invalid org scope is refused", "acme", []string{"org:tokens:all"}, "", "", ErrSyntax, "unknown org access"},
		{"an invalid org is refused with org scopes only", "Acme", []string{"org:audit:read"}, "", "", ErrOrg, "one name component"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo, org, err := ValidateSplit(tt.org, tt.in)
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("ValidateSplit error = %v, want %v", err, tt.wantErr)
			}
			checkSplit(t, repo, org, err, tt.wantRepo, tt.wantOrg, tt.wantReason)
		})
	}
}

// checkSplit compares a split with the canonical strings wanted, or its
// error with the reason wanted.
func checkSplit(t *testing.T, repo []Scope, org []OrgScope, err error, wantRepo, wantOrg, wantReason string) {
	t.Helper()
	if wantReason != "" {
		if err == nil || !strings.Contains(err.Error(), wantReason) {
			t.Fatalf("error = %v, want one containing %q", err, wantReason)
		}
		if repo != nil || org != nil {
			t.Errorf("an error came with scopes %v %v; want none", repo, org)
		}
		return
	}
	if err != nil {
		t.Fatalf("error = %v, want none", err)
	}
	var r, o []string
	for _, s := range repo {
		r = append(r, s.String())
	}
	for _, s := range org {
		o = append(o, s.String())
	}
	if got := strings.Join(r, " "); got != wantRepo {
		t.Errorf("repository scopes = %q, want %q", got, wantRepo)
	}
	if got := strings.Join(o, " "); got != wantOrg {
		t.Errorf("org scopes = %q, want %q", got, wantOrg)
	}
}

// TestOrgScopesGrantNoRegistryAccess pins the gateway's rule: a management
// token's registry access comes from its repository scopes alone.
func TestOrgScopesGrantNoRegistryAccess(t *testing.T) {
	repo, _, err := SplitList("org:tokens:write org:audit:read repository:acme/app:pull")
	if err != nil {
		t.Fatal(err)
	}
	g := Compile("acme", repo)
	tests := []struct {
		name string
		repo string
		need access.Action
		want bool
	}{
		{"its repository scope is granted", "acme/app", access.Pull, true},
		{"tokens write grants no push", "acme/app", access.Push, false},
		{"org scopes grant no other repository", "acme/other", access.Pull, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := g.Allows(tt.repo, tt.need); got != tt.want {
				t.Errorf("Allows(%q, %v) = %v, want %v", tt.repo, tt.need, got, tt.want)
			}
		})
	}
}

func FuzzParseOrg(f *testing.F) {
	for _, s := range []string{"org:tokens:write", "org:audit:read", "org:tokens:", "org::", "org:tokens:read:x", "repository:acme/app:pull"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOrg(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("ParseOrg(%q) error %v does not wrap ErrSyntax", s, err)
			}
			return
		}
		if !o.Valid() {
			t.Fatalf("ParseOrg(%q) = %+v, an invalid scope without an error", s, o)
		}
		if o.String() != s {
			t.Fatalf("ParseOrg(%q) = %q; accepted input must be canonical", s, o.String())
		}
	})
}

func FuzzSplitList(f *testing.F) {
	f.Add("org:tokens:write repository:acme/app:pull,push")
	f.Add("repository:acme/**:pull org:audit:read")
	f.Add("org:x:y")
	f.Fuzz(func(t *testing.T, s string) {
		repo, org, err := SplitList(s)
		if err != nil {
			return
		}
		// Every accepted list splits into entries that print back to it.
		if got := len(repo) + len(org); s != "" && got != strings.Count(s, " ")+1 {
			t.Fatalf("SplitList(%q) gave %d scopes for %d entries", s, got, strings.Count(s, " ")+1)
		}
		plain, perr := ParseList(strings.Join(filterRepo(s), " "))
		if perr != nil || len(plain) != len(repo) {
			t.Fatalf("SplitList(%q) repository part %v disagrees with ParseList: %v, %v", s, repo, plain, perr)
		}
	})
}

// filterRepo returns the entries of a space-joined list that are not org
// scopes.
func filterRepo(s string) []string {
	var out []string
	for e := range strings.SplitSeq(s, " ") {
		if !IsOrg(e) {
			out = append(out, e)
		}
	}
	return out
}
