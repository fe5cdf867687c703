package adversarial

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/testenv"
)

// onlyAcme checks that a catalog or tags body names nothing outside acme/.
func onlyAcme(t *testing.T, body []byte) {
	t.Helper()
	var cat struct {
		Repositories []string `json:"repositories"`
	}
	if err := json.Unmarshal(body, &cat); err != nil {
		t.Fatalf("catalog body %q: %v", body, err)
	}
	for _, name := range cat.Repositories {
		if !strings.HasPrefix(name, "acme/") {
			t.Errorf("the catalog shows %q, outside acme", name)
		}
	}
}

// nAtMost checks that every request the registry saw asked for at most max
// entries.
func nAtMost(max int) func(*testing.T, []testenv.SeenRequest) {
	return func(t *testing.T, seen []testenv.SeenRequest) {
		t.Helper()
		if len(seen) == 0 {
			t.Fatal("the registry saw nothing, want the page reads")
		}
		for _, s := range seen {
			q, _ := url.ParseQuery(s.RawQuery)
			n, err := strconv.Atoi(q.Get("n"))
			if err != nil || n > max || n < 1 {
				t.Errorf("the registry was asked for n=%q, want 1..%d", q.Get("n"), max)
			}
		}
	}
}

func catalogRows() []row {
	return []row{
		{reason: "the catalog needs credentials", build: fixed(func() wire { return req(http.MethodGet, "/v2/_catalog") }),
			status: 401, code: "UNAUTHORIZED"},
		{reason: "a negative n is refused", build: as(acmeAll, http.MethodGet, "/v2/_catalog?n=-1"),
			status: 400, code: "PAGINATION_NUMBER_INVALID"},
		{reason: "a non-numeric n is refused", build: as(acmeAll, http.MethodGet, "/v2/_catalog?n=1e9"),
			status: 400, code: "PAGINATION_NUMBER_INVALID"},
		{reason: "n given twice is refused", build: as(acmeAll, http.MethodGet, "/v2/_catalog?n=1&n=1000"),
			status: 400, code: "UNSUPPORTED"},
		{reason: "a huge n on the catalog is clamped", build: as(acmeAll, http.MethodGet, "/v2/_catalog?n=99999999999999999999999"),
			status: 200, reaches: true, check: nAtMost(1000), checkBody: onlyAcme},
		{reason: "last set to another org's name is refused: resuming after arbitrary names would let Link presence reveal where others' names are", build: as(acmeAll, http.MethodGet, "/v2/_catalog?n=5&last=a-corp/r10"),
			status: 400, code: "PAGINATION_NUMBER_INVALID"},
		{reason: "last set to a name the token may not pull is refused, whether or not it exists", build: as(acmePull, http.MethodGet, "/v2/_catalog?n=5&last=acme/zzz-missing"),
			status: 400, code: "PAGINATION_NUMBER_INVALID"},
		{reason: "a pull-only token's catalog shows only what it may pull", build: as(acmePull, http.MethodGet, "/v2/_catalog"),
			status: 200, reaches: true, checkBody: func(t *testing.T, body []byte) {
				if got, want := strings.TrimSpace(string(body)), `{"repositories":["acme/app"]}`; got != want {
					t.Errorf("catalog: got %s, want %s", got, want)
				}
			}},
		{reason: "a cursor this gateway did not seal is refused", build: as(acmeAll, http.MethodGet, "/v2/_catalog?n=2&last=~AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
			status: 400, code: "PAGINATION_NUMBER_INVALID"},
		{reason: "another org's tags are denied", build: as(acmeAll, http.MethodGet, "/v2/globex/secret/tags/list"),
			status: 403, code: "DENIED"},
		{reason: "a huge n on a tags list is clamped", build: as(acmeAll, http.MethodGet, "/v2/acme/app/tags/list?n=99999999999999999999999"),
			status: 200, reaches: true, check: nAtMost(1000)},
	}
}
