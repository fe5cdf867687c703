package catalog

import (
	"slices"
	"strings"
	"testing"
)

// registry serves a sorted catalog the way distribution pages it.
type registry struct {
	names []string
	calls int
}

func (r *registry) fetch(n int, last string) (Page, error) {
	r.calls++
	i, _ := slices.BinarySearch(r.names, last)
	if i < len(r.names) && r.names[i] == last {
		i++
	}
	end := min(i+n, len(r.names))
	return Page{Repositories: slices.Clone(r.names[i:end]), More: end < len(r.names)}, nil
}

func inAcme(name string) bool { return strings.HasPrefix(name, "acme/") }

func TestFilter(t *testing.T) {
	names := []string{"a/x", "acme/a", "acme/b", "b/y", "beta/c", "acme2/z", "acme/c", "zed/q"}
	slices.Sort(names)
	tests := []struct {
		name     string
		n        int
		last     string
		maxPages int
		want     []string
		wantMore bool
		wantNext string
	}{
		{"every allowed name fits in one answer", 100, "", 10, []string{"acme/a", "acme/b", "acme/c"}, false, ""},
		{"n cuts the answer and points past the last name returned", 2, "", 10, []string{"acme/a", "acme/b"}, true, "acme/b"},
		{"last resumes after the given name", 2, "acme/b", 10, []string{"acme/c"}, false, ""},
		{"a page limit hands back a cursor past the names read", 1, "", 1, nil, true, "a/x"},
		{"other orgs' names never appear", 1, "acme/c", 10, nil, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := &registry{names: names}
			got, err := Walk{Fetch: reg.fetch, Allow: inAcme, PageSize: tt.n, MaxPages: tt.maxPages}.Filter(tt.n, tt.last)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Repositories, tt.want) && !(len(got.Repositories) == 0 && len(tt.want) == 0) {
				t.Errorf("names = %v, want %v", got.Repositories, tt.want)
			}
			if got.More != tt.wantMore || got.Next != tt.wantNext {
				t.Errorf("more, next = %v, %q; want %v, %q", got.More, got.Next, tt.wantMore, tt.wantNext)
			}
		})
	}
}

func TestFollowingLinksSeesEveryAllowedNameOnce(t *testing.T) {
	var names []string
	for i := range 500 {
		org := []string{"acme", "other", "acmex"}[i%3]
		names = append(names, org+"/repo"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	slices.Sort(names)
	names = slices.Compact(names)
	var want []string
	for _, n := range names {
		if inAcme(n) {
			want = append(want, n)
		}
	}
	for _, pageSize := range []int{1, 3, 10, 1000} {
		reg := &registry{names: names}
		var got []string
		last := ""
		for range 1000 {
			res, err := Walk{Fetch: reg.fetch, Allow: inAcme, PageSize: pageSize, MaxPages: 2}.Filter(pageSize, last)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, res.Repositories...)
			if !res.More {
				break
			}
			last = res.Next
		}
		if !slices.Equal(got, want) {
			t.Errorf("page size %d: followed links gave %d names, want %d", pageSize, len(got), len(want))
		}
	}
}

func TestFilterRefusesARegistryThatDoesNotAdvance(t *testing.T) {
	stuck := func(n int, last string) (Page, error) { return Page{Repositories: []string{"acme/a"}, More: true}, nil }
	if _, err := (Walk{Fetch: stuck, Allow: inAcme, PageSize: 5, MaxPages: 10}).Filter(5, "acme/a"); err != ErrNotAdvancing {
		t.Errorf("error = %v, want %v", err, ErrNotAdvancing)
	}
}

func TestLinkAndBody(t *testing.T) {
	if got, want := Link(10, "acme/a b"), `</v2/_catalog?last=acme%2Fa+b&n=10>; rel="next"`; got != want {
		t.Errorf("Link = %s, want %s", got, want)
	}
	if got := string(Body(nil)); got != "{\"repositories\":[]}\n" {
		t.Errorf("Body(nil) = %q", got)
	}
	p, err := ParsePage([]byte(`{"repositories":["acme/a"]}`), true)
	if err != nil || !p.More || len(p.Repositories) != 1 {
		t.Errorf("ParsePage = %+v, %v", p, err)
	}
	if _, err := ParsePage([]byte(`{"repositories":`), false); err == nil {
		t.Error("ParsePage of a truncated body succeeded")
	}
}

func TestFilterFollowsTheRegistrysPathOrder(t *testing.T) {
	// distribution lists "acme/..." before "acme-corp/...": '/' sorts first
	// component-wise, though '-' < '/' as bytes.
	registry := []string{"a-corp/r1", "acme/app", "acme/zz", "acme-corp/x", "acme.io/y", "acme_z/w", "globex/app"}
	fetch := func(n int, last string) (Page, error) {
		i := 0
		if last != "" {
			i = slices.Index(registry, last) + 1
		}
		end := min(i+n, len(registry))
		return Page{Repositories: registry[i:end], More: end < len(registry)}, nil
	}
	res, err := Walk{Fetch: fetch, Allow: inAcme, PageSize: 10, MaxPages: 10}.Filter(10, "")
	if err != nil {
		t.Fatalf("Filter over the registry's own order: got error %v, want none", err)
	}
	if want := []string{"acme/app", "acme/zz"}; !slices.Equal(res.Repositories, want) {
		t.Errorf("Filter: got %q, want %q", res.Repositories, want)
	}
}

func TestPathLess(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"acme/x", "acme-corp/x", true},
		{"acme-corp/x", "acme/x", false},
		{"acme/a", "acme/b", true},
		{"acme", "acme/a", true},
		{"acme/a", "acme/a", false},
		{"acme/a/b", "acme/a-b", true},
	}
	for _, tt := range tests {
		if got := pathLess(tt.a, tt.b); got != tt.want {
			t.Errorf("pathLess(%q, %q): got %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestWalkWithinANamespaceReadsNoOtherOrgsNames(t *testing.T) {
	names := []string{"aaa/x", "acme/a", "acme/b", "acme-corp/z", "zed/1", "zed/2"}
	slices.SortFunc(names, func(a, b string) int {
		if pathLess(a, b) {
			return -1
		}
		return 1
	})
	var read []string
	fetch := func(n int, last string) (Page, error) {
		reg := &registry{names: names}
		p, err := reg.pathFetch(n, last)
		read = append(read, p.Repositories...)
		return p, err
	}
	within := func(name string) bool { return strings.HasPrefix(name, "acme/") }
	w := Walk{Fetch: fetch, Allow: within, Within: within, PageSize: 1, MaxPages: 10}
	got, err := w.Filter(10, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Repositories, []string{"acme/a", "acme/b"}) || got.More {
		t.Errorf("walk = %+v, want acme/a and acme/b and no next page", got)
	}
	for _, name := range read {
		if name == "zed/1" || name == "aaa/x" {
			t.Errorf("the walk read %q, outside acme's run of the catalog", name)
		}
	}
}

func TestNoNextPageWhenNoAllowedNameFollows(t *testing.T) {
	reg := &registry{names: []string{"acme/a", "acme/b", "zed/x", "zed/y"}}
	got, err := Walk{Fetch: reg.fetch, Allow: inAcme, PageSize: 100, MaxPages: 5}.Filter(2, "")
	if err != nil {
		t.Fatal(err)
	}
	if got.More {
		t.Errorf("more = true after the last allowed name: a Link would tell the client other names follow")
	}
}

// pathFetch pages names already in path order.
func (r *registry) pathFetch(n int, last string) (Page, error) {
	i := 0
	for i < len(r.names) && last != "" && !pathLess(last, r.names[i]) {
		i++
	}
	end := min(i+n, len(r.names))
	return Page{Repositories: slices.Clone(r.names[i:end]), More: end < len(r.names)}, nil
}
