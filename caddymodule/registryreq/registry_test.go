package registryreq

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"testing"

	v2 "github.com/distribution/distribution/v3/registry/api/v2"
	"github.com/gorilla/mux"

	"github.com/oatgate/oatgate/caddymodule/access"
	"github.com/oatgate/oatgate/caddymodule/registryerr"
)

// routeNames maps each kind to the name distribution's router gives its
// route. Referrers has none: distribution v3 does not serve the OCI 1.1
// referrers API, so its router must not match those paths at all.
var routeNames = map[Kind]string{
	Base:          v2.RouteNameBase,
	Catalog:       v2.RouteNameCatalog,
	Manifest:      v2.RouteNameManifest,
	Blob:          v2.RouteNameBlob,
	UploadStart:   v2.RouteNameBlobUpload,
	UploadSession: v2.RouteNameBlobUploadChunk,
	TagsList:      v2.RouteNameTags,
}

var routerOnce = sync.OnceValue(v2.Router)

// registryView is what distribution's router makes of a request.
type registryView struct {
	matched  bool // a route serves the path as it is (no cleaning or slash redirect)
	redirect bool // the router answers with a redirect instead of a route
	route    string
	vars     map[string]string
}

// routeRequest replays mux.Router.ServeHTTP's decisions without serving:
// path cleaning first (a redirect), then route matching, where StrictSlash
// mismatches come back as a redirect handler.
func routeRequest(req *http.Request) registryView {
	p := req.URL.Path
	if cleanPath(p) != p {
		return registryView{redirect: true}
	}
	var m mux.RouteMatch
	if !routerOnce().Match(req, &m) {
		return registryView{}
	}
	if m.Handler != nil {
		return registryView{redirect: true}
	}
	return registryView{matched: true, route: m.Route.GetName(), vars: m.Vars}
}

// cleanPath is gorilla/mux's cleanPath (unexported there).
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// registryActions is the access distribution's own authorization asks for
// a method (registry/handlers/app.go, appendAccessRecords).
func registryActions(method string) []access.Action {
	switch method {
	case http.MethodGet, http.MethodHead:
		return []access.Action{access.Pull}
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return []access.Action{access.Pull, access.Push}
	case http.MethodDelete:
		return []access.Action{access.Delete}
	}
	return nil
}

// outcome counts what a differential run saw, so a test can check that its
// corpus exercised acceptance as well as refusal.
type outcome struct {
	accepted    map[Kind]int
	refused     int
	unsupported int
}

// checkAgainstRegistry classifies one request and asserts the differential
// property: whenever Classify accepts, distribution's router resolves the
// same route with the same name (and reference, digest or session id), the
// registry's FormValue reads the same mount, from and digest, and the access
// we need covers the access distribution would ask for; whenever Classify
// answers UNSUPPORTED, the route exists. Refusing is always allowed. It
// returns false when the input is not a request net/http would accept.
func checkAgainstRegistry(t testing.TB, method, target, contentType string, out *outcome) bool {
	t.Helper()
	u, err := url.ParseRequestURI(target)
	if err != nil || u.Host != "" || u.Scheme != "" || u.Fragment != "" || u.Opaque != "" || !validMethod(method) {
		return false
	}
	in := Input{Method: method, Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery, ContentType: contentType}
	got, err := Classify(in)
	req := &http.Request{Method: method, URL: u, Header: http.Header{}}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	view := routeRequest(req)

	if err != nil {
		var rerr *registryerr.Error
		if !errors.As(err, &rerr) {
			t.Fatalf("%s %q: error %T %v, want a *registryerr.Error", method, target, err, err)
		}
		if out != nil {
			out.refused++
		}
		if rerr.Code == registryerr.Unsupported {
			if out != nil {
				out.unsupported++
			}
			probe, perr := Classify(Input{Method: http.MethodGet, Path: in.Path, RawPath: in.RawPath})
			if !view.matched && (perr != nil || probe.Kind != Referrers) {
				t.Errorf("%s %q: UNSUPPORTED for a path the registry has no route for", method, target)
			}
		}
		return true
	}
	if out != nil {
		out.accepted[got.Kind]++
	}
	if got.Kind == Referrers {
		if view.matched || view.redirect {
			t.Errorf("%s %q: referrers for us, but the registry routes it to %q (redirect %v)", method, target, view.route, view.redirect)
		}
	} else {
		want := routeNames[got.Kind]
		if !view.matched {
			t.Fatalf("%s %q: accepted as %s %q, but the registry router does not serve it (redirect %v)", method, target, got.Kind, got.Repository, view.redirect)
		}
		if view.route != want {
			t.Errorf("%s %q: route = %q, registry's = %q", method, target, want, view.route)
		}
		if view.vars["name"] != got.Repository {
			t.Errorf("%s %q: repository = %q, registry's name = %q", method, target, got.Repository, view.vars["name"])
		}
		checkVar(t, method, target, "reference", got.Reference, view.vars)
		if got.Kind == Blob {
			checkVar(t, method, target, "digest", got.Digest, view.vars)
		}
		checkVar(t, method, target, "uuid", got.SessionID, view.vars)
	}
	checkForm(t, req, got)
	needs := got.Needs()
	if got.Kind != Base && got.Kind != Catalog {
		if len(needs) == 0 || needs[0].Repository != got.Repository {
			t.Fatalf("%s %q: needs %v, want the repository %q first", method, target, needs, got.Repository)
		}
		registryNeeds := registryActions(method)
		if got.Kind == UploadSession && method == http.MethodDelete {
			// A deliberate difference: distribution's token auth asks delete
			// for any DELETE, but cancelling one's own upload session is part
			// of pushing (DESIGN.md's table), so oatgate asks push.
			registryNeeds = []access.Action{access.Push}
		}
		for _, a := range registryNeeds {
			if !needs[0].Action.Includes(a) {
				t.Errorf("%s %q: we need %s, which does not cover the registry's %s", method, target, needs[0].Action, a)
			}
		}
	} else if len(needs) != 0 {
		t.Errorf("%s %q: needs %v, want none", method, target, needs)
	}
	return true
}

func checkVar(t testing.TB, method, target, name, got string, vars map[string]string) {
	t.Helper()
	if got != vars[name] {
		t.Errorf("%s %q: %s = %q, registry's = %q", method, target, name, got, vars[name])
	}
}

// checkForm asserts that the query values we authorize are the ones the
// registry's handlers read with r.FormValue.
func checkForm(t testing.TB, req *http.Request, got Request) {
	t.Helper()
	form := func(key string) string {
		vals, _ := url.ParseQuery(req.URL.RawQuery)
		return vals.Get(key)
	}
	switch got.Kind {
	case UploadStart:
		mount, from := form("mount"), form("from")
		if got.Mount != (mount != "") {
			t.Errorf("%q: Mount = %v, registry reads mount %q", req.URL, got.Mount, mount)
		}
		if mount != "" {
			if got.Digest != mount {
				t.Errorf("%q: mount digest = %q, registry's = %q", req.URL, got.Digest, mount)
			}
			if got.MountFrom != from {
				t.Errorf("%q: MountFrom = %q, registry's from = %q", req.URL, got.MountFrom, from)
			}
		} else if got.MountFrom != "" || got.Digest != form("digest") {
			t.Errorf("%q: MountFrom %q, Digest %q; registry reads no mount and digest %q", req.URL, got.MountFrom, got.Digest, form("digest"))
		}
	case UploadSession:
		if req.Method == http.MethodPut && got.Digest != form("digest") {
			t.Errorf("%q: closing digest = %q, registry's = %q", req.URL, got.Digest, form("digest"))
		}
	case Catalog, TagsList:
		if got.Last != form("last") {
			t.Errorf("%q: Last = %q, registry's = %q", req.URL, got.Last, form("last"))
		}
	case Referrers:
		if got.ArtifactType != form("artifactType") {
			t.Errorf("%q: ArtifactType = %q, query's = %q", req.URL, got.ArtifactType, form("artifactType"))
		}
	}
}

// validMethod reports whether net/http would accept m as a method token.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

// differentialNames are repository names, valid, tricky and hostile, as
// they appear in a request target.
var differentialNames = []string{
	"a", "acme/app", "acme/team/app", "a.b/c_d/e__f/g--h", "example.com/app", "0/1/2",
	"a/manifests/b", "a/blobs/uploads/x", "x/tags/list/y", "a/referrers/b", "blobs", "manifests", "uploads",
	"ACME/app", "Acme", "localhost:5000/acme/app", "LOCALHOST/app", "[::1]:5000/a", "a:b",
	"a..b", "a___b", "-a", "a-", "_a", "a/_b", "a+b", "a=b",
	"a/../b", "a/./b", "..", ".", "a//b", "/a", "a/",
	"a%2Fb", "%61", "a%2e%2e/b", "%2e%2e", "a%252Fb", "a%00b", "a%0Ab", "caf%C3%A9", "a%20b", "a~b", "a@b", "a;b",
	strings.Repeat("a", 255), strings.Repeat("a", 256), strings.Repeat("ab/", 85) + "c",
}

// differentialTails are endpoint suffixes, each appended after a name.
var differentialTails = []string{
	"/manifests/latest", "/manifests/" + sha, "/manifests/sha256:abc", "/manifests/v1.0-rc_1", "/manifests/-x", "/manifests/..",
	"/manifests/latest/", "/manifests/Sha256:" + sha[7:], "/manifests/" + strings.Repeat("t", 129),
	"/blobs/" + sha, "/blobs/" + strings.ToUpper(sha), "/blobs/latest", "/blobs/uploads",
	"/blobs/uploads/", "/blobs/uploads/" + uuid, "/blobs/uploads/" + uuid + "/", "/blobs/uploads/a=b.c_d", "/blobs/uploads/a:b", "/blobs/uploads/..",
	"/tags/list", "/tags/list/", "/tags/lists", "/referrers/" + sha, "/referrers/latest", "",
}

var differentialMethods = []string{"GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OPTIONS", "get"}

// differentialExtras are whole targets: top-level routes and query tricks.
var differentialExtras = []string{
	"/v2/", "/v2", "/v2//", "/v2/_catalog", "/v2/_catalog/", "/v2/_catalog?n=5&last=a%2Fb", "/v2/_catalog?n=-1", "/", "/v1/", "/V2/",
	"/v2/a/blobs/uploads/?mount=" + sha + "&from=b%2Fc",
	"/v2/a/blobs/uploads/?mount=" + sha + "&from=b/c",
	"/v2/a/blobs/uploads/?mount=" + sha,
	"/v2/a/blobs/uploads/?from=b",
	"/v2/a/blobs/uploads/?%6Dount=" + sha + "&%66rom=b",
	"/v2/a/blobs/uploads/?mount=" + sha + "&from=B",
	"/v2/a/blobs/uploads/?mount=" + sha + "&from=localhost%3A5000%2Fb",
	"/v2/a/blobs/uploads/?mount=" + sha + "&mount=" + sha2 + "&from=b",
	"/v2/a/blobs/uploads/?mount=" + sha + "&from=b&from=c",
	"/v2/a/blobs/uploads/?mount=" + sha + ";from=b",
	"/v2/a/blobs/uploads/?mount=" + sha + "&from=b+c",
	"/v2/a/blobs/uploads/?mount=" + sha + "&from=",
	"/v2/a/blobs/uploads/?mount=&from=b",
	"/v2/a/blobs/uploads/?digest=" + sha,
	"/v2/a/blobs/uploads/" + uuid + "?digest=" + sha2 + "&_state=x%3D",
	"/v2/a/blobs/uploads/" + uuid + "?digest=" + sha2 + "&digest=" + sha,
	"/v2/a/tags/list?n=3&last=v%2B1",
	"/v2/a/referrers/" + sha + "?artifactType=application%2Fvnd.x%2Bjson",
}

// differentialTargets expands the corpus into request targets.
func differentialTargets() []string {
	targets := append([]string(nil), differentialExtras...)
	for _, n := range differentialNames {
		for _, tail := range differentialTails {
			targets = append(targets, "/v2/"+n+tail)
		}
	}
	return targets
}

func TestClassifyAgreesWithTheRegistryRouter(t *testing.T) {
	out := outcome{accepted: map[Kind]int{}}
	targets := differentialTargets()
	checked := 0
	for _, target := range targets {
		for _, method := range differentialMethods {
			if checkAgainstRegistry(t, method, target, "", &out) {
				checked++
			}
		}
	}
	t.Logf("%d targets, %d requests: %d refused (%d unsupported), accepted per kind %v", len(targets), checked, out.refused, out.unsupported, out.accepted)
	if len(targets) < 200 {
		t.Errorf("corpus has %d paths, want at least 200", len(targets))
	}
	for k := Base; k <= Referrers; k++ {
		if out.accepted[k] == 0 {
			t.Errorf("no request of kind %s was accepted; the corpus does not exercise it", k)
		}
	}
	if out.refused == 0 || out.unsupported == 0 {
		t.Errorf("refused %d, unsupported %d; want both exercised", out.refused, out.unsupported)
	}
}

// TestTheRegistryResolvesHostileNamesDifferently pins the cases the
// classifier exists for: the registry's router accepts these names (so a
// gateway that trusted its own reading would authorize a different string)
// and Classify refuses every one.
func TestTheRegistryResolvesHostileNamesDifferently(t *testing.T) {
	tests := []struct {
		name   string
		target string
	}{
		{"a host:port prefix is a distinct repository to the registry", "/v2/localhost:5000/acme/app/manifests/latest"},
		{"an uppercase domain component is a distinct repository to the registry", "/v2/ACME/app/manifests/latest"},
		{"an encoded slash becomes a path separator to the registry", "/v2/acme%2Fapp/manifests/latest"},
		{"an encoded letter decodes to another name for the registry", "/v2/%61cme/app/manifests/latest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.ParseRequestURI(tt.target)
			if err != nil {
				t.Fatalf("parsing %q: %v", tt.target, err)
			}
			view := routeRequest(&http.Request{Method: "GET", URL: u})
			if !view.matched {
				t.Fatalf("registry router does not serve %q; the case no longer shows a difference", tt.target)
			}
			if _, err := Classify(Input{Method: "GET", Path: u.Path, RawPath: u.RawPath}); err == nil {
				t.Errorf("Classify(%q) accepted the registry's name %q, want a refusal", tt.target, view.vars["name"])
			}
		})
	}
}
