package adversarial

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/caddymodule/catalog"
)

var linkNext = regexp.MustCompile(`^<([^>]*)>;\s*rel="next"$`)

// TestCatalogWalkNeverShowsAnotherOrg follows the catalog's Link headers
// page by page, with page sizes that make the gateway cross many registry
// pages of other orgs' names, and checks that neither a body nor a Link
// ever names a repository outside acme, and that every acme repository is
// listed exactly once.
func TestCatalogWalkNeverShowsAnotherOrg(t *testing.T) {
	want := append([]string(nil), fx.acmeRepos...)
	sort.Strings(want)
	for _, n := range []int{1, 2, 3, 7, 1000} {
		t.Run("pages of "+itoa(n), func(t *testing.T) {
			var got []string
			target := "/v2/_catalog?n=" + itoa(n)
			for page := 0; target != ""; page++ {
				if page > 200 {
					t.Fatalf("the walk did not end after 200 pages; last target %q", target)
				}
				resp, body := send(t, fx.env.GatewayHost, fx.as(acmeAll, req(http.MethodGet, target)))
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: got %d %s, want 200", target, resp.StatusCode, body)
				}
				var cat struct {
					Repositories []string `json:"repositories"`
				}
				if err := json.Unmarshal(body, &cat); err != nil {
					t.Fatalf("GET %s: body %q: %v", target, body, err)
				}
				if len(cat.Repositories) > n {
					t.Errorf("GET %s: got %d names, want at most %d", target, len(cat.Repositories), n)
				}
				got = append(got, cat.Repositories...)
				target = ""
				if link := resp.Header.Get("Link"); link != "" {
					m := linkNext.FindStringSubmatch(link)
					if m == nil {
						t.Fatalf("Link %q is not <...>; rel=\"next\"", link)
					}
					u, err := url.Parse(m[1])
					if err != nil {
						t.Fatal(err)
					}
					// last is an acme name or a sealed cursor, never
					// another org's repository.
					if last := u.Query().Get("last"); !strings.HasPrefix(last, "acme/") && !strings.HasPrefix(last, catalog.CursorPrefix) {
						t.Errorf("Link names %q as last: another org's repository leaks through pagination", last)
					}
					target = m[1]
				}
			}
			for _, name := range got {
				if !strings.HasPrefix(name, "acme/") {
					t.Errorf("the catalog showed %q, outside acme", name)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("walking the catalog by %d: got %q, want %q", n, got, want)
			}
		})
	}
}

// TestNoExistenceOracle checks that a forbidden repository answers the same
// whether or not it exists, for GET and HEAD, in the token's own org and in
// another: same status, same body, same Content-Length, once the name the
// client asked for (which the 403 repeats) is set aside.
func TestNoExistenceOracle(t *testing.T) {
	both := []string{http.MethodGet, http.MethodHead}
	pairs := []struct {
		name, exists, missing string
		methods               []string
	}{
		{"a forbidden manifest in the token's own org", "/v2/acme/secret/manifests/latest", "/v2/acme/missing/manifests/latest", both},
		{"a manifest in another org", "/v2/globex/secret/manifests/latest", "/v2/globex/missing/manifests/latest", both},
		{"a blob in another org", "/v2/globex/secret/blobs/" + fx.blob, "/v2/globex/missing/blobs/" + fx.blob, both},
		// tags/list serves GET only; HEAD is 405 before any lookup.
		{"tags in another org", "/v2/globex/secret/tags/list", "/v2/globex/missing/tags/list", []string{http.MethodGet}},
	}
	for _, p := range pairs {
		for _, method := range p.methods {
			t.Run(method+" of "+p.name+" answers the same whether it exists or not", func(t *testing.T) {
				count := fx.env.Registry.Count()
				a, ab := send(t, fx.env.GatewayHost, fx.as(acmeApp, req(method, p.exists).with("Accept", ociManifest)))
				b, bb := send(t, fx.env.GatewayHost, fx.as(acmeApp, req(method, p.missing).with("Accept", ociManifest)))
				if a.StatusCode != http.StatusForbidden || b.StatusCode != http.StatusForbidden {
					t.Errorf("status: got %d (exists) and %d (missing), want 403 for both", a.StatusCode, b.StatusCode)
				}
				existsRepo, missingRepo := repoOf(p.exists), repoOf(p.missing)
				if string(ab) != strings.ReplaceAll(string(bb), missingRepo, existsRepo) {
					t.Errorf("body: got %q (exists) and %q (missing), want the same but for the name", ab, bb)
				}
				acl, _ := strconv.Atoi(a.Header.Get("Content-Length"))
				bcl, _ := strconv.Atoi(b.Header.Get("Content-Length"))
				if acl-len(existsRepo) != bcl-len(missingRepo) {
					t.Errorf("Content-Length: got %d (exists) and %d (missing), want the same but for the name",
						acl, bcl)
				}
				if got := fx.env.Registry.Count(); got != count {
					t.Errorf("the registry saw %d requests, want none", got-count)
				}
			})
		}
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// repoOf is the repository of a /v2/<org>/<name>/... path of two components.
func repoOf(path string) string {
	parts := strings.SplitN(strings.TrimPrefix(path, "/v2/"), "/", 3)
	return parts[0] + "/" + parts[1]
}
