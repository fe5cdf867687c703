package decide

import (
	"net/url"
	"strings"
	"testing"
)

func TestWithoutParamsKeepsEverythingElseAsSent(t *testing.T) {
	tests := []struct {
		name, query, want string
	}{
		{"mount and from go", "mount=sha256:abc&from=acme/a", ""},
		{"other parameters stay in order", "a=1&mount=sha256:abc&b=%2F&from=acme/a&c", "a=1&b=%2F&c"},
		{"encoded names are recognised", "m%6Funt=x&%66rom=y&z=1", "z=1"},
		{"names that do not decode stay, as the registry skips them", "mount%zz=1&from=a", "mount%zz=1"},
		{"similar names stay", "mounts=1&fromage=2", "mounts=1&fromage=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := withoutParams(tt.query, "mount", "from"); got != tt.want {
				t.Errorf("withoutParams(%q) = %q, want %q", tt.query, got, tt.want)
			}
		})
	}
}

func TestRewriteQueryChangesOnlyWhatItMust(t *testing.T) {
	tests := []struct {
		name     string
		rw       Rewrite
		query    string
		pageSize int
		want     string
	}{
		{"no rewrite keeps the query as sent", Rewrite{}, "n=10&last=a%2Fb", 10, "n=10&last=a%2Fb"},
		{"a dropped mount keeps the rest in order", Rewrite{DropMount: true}, "a=1&mount=sha256:abc&from=x", 0, "a=1"},
		{"a set page size replaces n at the end", Rewrite{SetPageSize: true}, "n=5000&last=v1", 1000, "last=v1&n=1000"},
		{"a set page size on an otherwise empty query", Rewrite{SetPageSize: true}, "n=5000", 1000, "n=1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rw.Query(tt.query, tt.pageSize); got != tt.want {
				t.Errorf("Query(%q, %d) = %q, want %q", tt.query, tt.pageSize, got, tt.want)
			}
		})
	}
}

// FuzzRewriteQuery checks the rewrite on hostile queries: nothing changes
// without a rewrite, a dropped mount leaves no pair the registry would read
// as mount or from, and a set page size leaves exactly one n, the one set.
func FuzzRewriteQuery(f *testing.F) {
	for _, seed := range []string{"", "mount=sha256:a&from=x", "m%6Funt=1&%66rom=2", "n=5&n=6&last=a", "a=1;mount=2", "%zz=1&mount", "&&=&"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		if got := (Rewrite{}).Query(query, 7); got != query {
			t.Fatalf("Query(%q) without a rewrite = %q, want it unchanged", query, got)
		}
		dropped := Rewrite{DropMount: true}.Query(query, 0)
		for pair := range strings.SplitSeq(dropped, "&") {
			key, _, _ := strings.Cut(pair, "=")
			if k, err := url.QueryUnescape(key); err == nil && (k == "mount" || k == "from") {
				t.Fatalf("Query(%q) dropping the mount left %q", query, dropped)
			}
		}
		paged := Rewrite{SetPageSize: true}.Query(query, 7)
		ns := 0
		for pair := range strings.SplitSeq(paged, "&") {
			key, value, _ := strings.Cut(pair, "=")
			if k, err := url.QueryUnescape(key); err == nil && k == "n" {
				ns++
				if value != "7" {
					t.Fatalf("Query(%q) setting n=7 left n=%q", query, value)
				}
			}
		}
		if ns != 1 {
			t.Fatalf("Query(%q) setting n=7 gave %q with %d n pairs, want 1", query, paged, ns)
		}
	})
}
