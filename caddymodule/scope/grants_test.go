package scope

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/oatgate/oatgate/caddymodule/access"
)

func compile(t testing.TB, org, list string) *Grants {
	t.Helper()
	scopes, err := ParseList(list)
	if err != nil {
		t.Fatalf("ParseList(%q) error = %v", list, err)
	}
	return Compile(org, scopes)
}

func TestAllows(t *testing.T) {
	const list = "repository:acme/app:pull,push " +
		"repository:acme/app:delete " + // merged with the entry above
		"repository:acme/team/**:pull " +
		"repository:acme/web-*:push " +
		"repository:acme/**/cache:delete " +
		"repository:acme:pull " +
		"repository:other/app:delete " + // outside acme: ignored
		"repository:**:delete" // outside acme: ignored
	g := compile(t, "acme", list)
	tests := []struct {
		name string
		repo string
		need access.Action
		want bool
	}{
		{"an exact scope grants its action", "acme/app", access.Push, true},
		{"merged exact scopes grant both", "acme/app", access.Delete, true},
		{"push includes pull", "acme/web-ui", access.Pull, true},
		{"pull does not include push", "acme/team/x", access.Push, false},
		{"a subtree grants any depth", "acme/team/a/b/c", access.Pull, true},
		{"a subtree does not grant its own root", "acme/team", access.Pull, false},
		{"a subtree does not grant a sibling sharing its prefix", "acme/teamx/a", access.Pull, false},
		{"a glob grants inside one component", "acme/web-api", access.Push, true},
		{"a glob does not span components", "acme/web-a/b", access.Push, false},
		{"a middle double star grants", "acme/x/y/cache", access.Delete, true},
		{"a middle double star needs the tail", "acme/x/y/cachex", access.Delete, false},
		{"a repository named like the org is outside its namespace", "acme", access.Pull, false},
		{"an ungranted repository is refused", "acme/secret", access.Pull, false},
		{"another org's repository is refused even when a scope names it", "other/app", access.Pull, false},
		{"a sibling org is refused", "acmex/app", access.Pull, false},
		{"a bare double star outside the org grants nothing", "acme/secret", access.Delete, false},
		{"uppercase never matches", "ACME/app", access.Pull, false},
		{"an invalid name is refused", "acme/app/", access.Pull, false},
		{"a dot segment is refused", "acme/team/../app", access.Pull, false},
		{"a host:port name is refused", "localhost:5000/acme/app", access.Pull, false},
		{"the zero action is refused", "acme/app", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := g.Allows(tt.repo, tt.need); got != tt.want {
				t.Errorf("Allows(%q, %v) = %v, want %v", tt.repo, tt.need, got, tt.want)
			}
		})
	}
}

func TestCompileFailsClosed(t *testing.T) {
	tests := []struct {
		name   string
		g      *Grants
		repo   string
		wantOK bool
	}{
		{"a nil Grants allows nothing", nil, "acme/app", false},
		{"an invalid org allows nothing", Compile("Acme", []Scope{{"Acme/app", set(access.Pull)}}), "Acme/app", false},
		{"an invalid pattern built by hand is dropped", Compile("acme", []Scope{{"acme/App", set(access.Pull)}}), "acme/App", false},
		{"a scope without actions is dropped", Compile("acme", []Scope{{"acme/app", 0}}), "acme/app", false},
		{"no scopes allow nothing", Compile("acme", nil), "acme/app", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.g.Allows(tt.repo, access.Pull); got != tt.wantOK {
				t.Errorf("Allows(%q, pull) = %v, want %v", tt.repo, got, tt.wantOK)
			}
		})
	}
	if g := compile(t, "acme", "repository:acme/a:pull"); !g.Allows("acme/a", access.Pull) || g.Org() != "acme" {
		t.Errorf("Compile(acme, one scope) allows acme/a = %v, Org() = %q; want true, acme", g.Allows("acme/a", access.Pull), g.Org())
	}
}

// TestAllowsAgreesWithMatch checks the precompiled paths against Match, for
// names inside the org's namespace (Allows grants nothing outside it).
func TestAllowsAgreesWithMatch(t *testing.T) {
	patterns := []string{"acme/app", "acme/**", "acme/t/**", "acme/*", "acme/*-x", "acme/**/c", "acme/*/**", "acme"}
	names := []string{"acme", "acme/app", "acme/a-x", "acme/t", "acme/t/u", "acme/t/u/c", "acme/c", "acme/b/c", "acme/t/**"}
	for _, p := range patterns {
		g := Compile("acme", []Scope{{p, set(access.Pull)}})
		for _, n := range names {
			if got, want := g.Allows(n, access.Pull), Match(p, n) && InNamespace("acme", n); got != want {
				t.Errorf("Compile(%q).Allows(%q) = %v, Match = %v", p, n, got, want)
			}
		}
	}
}

func TestAllowsIsSafeForConcurrentUse(t *testing.T) {
	g := compile(t, "acme", "repository:acme/**:pull repository:acme/app:push")
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			for i := range 200 {
				if !g.Allows(fmt.Sprintf("acme/r%d", i), access.Pull) || g.Allows("other/app", access.Pull) {
					errs <- fmt.Sprintf("wrong decision at %d", i)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func FuzzAllows(f *testing.F) {
	f.Add("repository:acme/**:pull repository:acme/a*:push", "acme/ab", uint8(2))
	f.Add("repository:acme:delete", "acme", uint8(3))
	f.Fuzz(func(t *testing.T, list, repo string, need uint8) {
		scopes, err := ParseList(list)
		if err != nil {
			return
		}
		g := Compile("acme", scopes)
		if !g.Allows(repo, access.Action(need)) {
			return
		}
		if !ValidName(repo) || !InNamespace("acme", repo) {
			t.Fatalf("Allows(%q) = true for a name outside acme's valid names", repo)
		}
		for _, sc := range scopes {
			if InNamespace("acme", sc.Pattern) && sc.Actions.Has(access.Action(need)) && Match(sc.Pattern, repo) {
				return
			}
		}
		t.Fatalf("Allows(%q, %d) = true but no scope of %q matches", repo, need, list)
	})
}

// benchGrants is a token with MaxScopes scopes of every kind, none of which
// grants the benchmarked misses.
func benchGrants(b *testing.B) *Grants {
	b.Helper()
	scopes := make([]Scope, 0, MaxScopes)
	for i := range MaxScopes {
		var p string
		switch i % 3 {
		case 0:
			p = fmt.Sprintf("acme/app%d", i)
		case 1:
			p = fmt.Sprintf("acme/team%d/**", i)
		default:
			p = fmt.Sprintf("acme/svc%d-*/**/cache", i)
		}
		scopes = append(scopes, Scope{p, set(access.Pull)})
	}
	g := Compile("acme", scopes)
	if !g.Allows("acme/app0", access.Pull) {
		b.Fatal("no grants compiled")
	}
	return g
}

func BenchmarkAllows(b *testing.B) {
	g := benchGrants(b)
	cases := []struct {
		name string
		repo string
		want bool
	}{
		{"exact hit", "acme/app48", true},
		{"subtree hit", "acme/team49/x/y", true},
		{"glob hit", "acme/svc47-a/b/c/cache", true},
		{"miss after every scope", "acme/nothing/here/at/all", false},
		{"outside the org", "other/app", false},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if g.Allows(c.repo, access.Pull) != c.want {
					b.Fatalf("Allows(%q) != %v", c.repo, c.want)
				}
			}
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	list := make([]Scope, 0, MaxScopes)
	for i := range MaxScopes {
		p := fmt.Sprintf("acme/app%d", i)
		switch i % 3 {
		case 1:
			p = fmt.Sprintf("acme/team%d/**", i)
		case 2:
			p = fmt.Sprintf("acme/svc%d-*/**/cache", i)
		}
		list = append(list, Scope{p, set(access.Pull)})
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = Compile("acme", list)
	}
}

func TestExactNamesMatchTheSameAsAListOrAsAnIndex(t *testing.T) {
	for _, n := range []int{1, maxExactList, maxExactList + 1, 3 * maxExactList} {
		t.Run(fmt.Sprintf("%d exact names", n), func(t *testing.T) {
			var list []string
			for i := range n {
				list = append(list, fmt.Sprintf("repository:acme/app%d:pull", i))
			}
			// The last name again with push: merged, not a second entry.
			list = append(list, fmt.Sprintf("repository:acme/app%d:push", n-1))
			g := compile(t, "acme", strings.Join(list, " "))
			for i := range n {
				name := fmt.Sprintf("acme/app%d", i)
				if !g.Allows(name, access.Pull) {
					t.Errorf("Allows(%q, pull) = false, want true", name)
				}
				if got, want := g.Allows(name, access.Push), i == n-1; got != want {
					t.Errorf("Allows(%q, push) = %v, want %v", name, got, want)
				}
			}
			for _, name := range []string{"acme/app", fmt.Sprintf("acme/app%d", n), "acme/app0/x"} {
				if g.Allows(name, access.Pull) {
					t.Errorf("Allows(%q, pull) = true, want false", name)
				}
			}
		})
	}
}

// TestCompilePublicGrantsAcrossNamespaces checks the grants of anonymous
// access: any namespace, the patterns' own matching, pull only as given.
func TestCompilePublicGrantsAcrossNamespaces(t *testing.T) {
	g := CompilePublic([]Scope{
		{"acme/public/**", set(access.Pull)},
		{"globex/base", set(access.Pull)},
		{"Bad/Pattern", set(access.Pull)},
	})
	tests := []struct {
		name string
		repo string
		need access.Action
		want bool
	}{
		{"a name under a public subtree may be pulled", "acme/public/app", access.Pull, true},
		{"a name deep under a public subtree may be pulled", "acme/public/a/b", access.Pull, true},
		{"the subtree's root itself is not under it", "acme/public", access.Pull, false},
		{"an exact public name in another org may be pulled", "globex/base", access.Pull, true},
		{"a public name may not be pushed", "acme/public/app", access.Push, false},
		{"a name outside every pattern is not public", "acme/private", access.Pull, false},
		{"an invalid pattern grants nothing", "Bad/Pattern", access.Pull, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := g.Allows(tt.repo, tt.need); got != tt.want {
				t.Errorf("Allows(%q, %v) = %v, want %v", tt.repo, tt.need, got, tt.want)
			}
		})
	}
	if g.Org() != "" {
		t.Errorf("Org() = %q, want empty for public grants", g.Org())
	}
}
