package adversarial

import (
	"net/http"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/testenv"
)

// row is one hostile request and what it must get.
type row struct {
	// reason is the threat, read as a sentence; it names the subtest.
	reason string
	// build makes the request; it may first set the scene (open an upload,
	// revoke a token, ...).
	build func(t *testing.T) wire
	// status is the exact status wanted.
	status int
	// code is the registry error code wanted in the body. "" means the
	// answer carries no registry error: a HEAD, a success, or a refusal by
	// Go's HTTP server before any handler ran.
	code string
	// reaches says whether the registry may see the request. When false,
	// the registry's request count must not move.
	reaches bool
	// check, when set, inspects what the registry received.
	check func(t *testing.T, seen []testenv.SeenRequest)
	// checkBody, when set, inspects the answer's body.
	checkBody func(t *testing.T, body []byte)
}

// forgedHeaders are identity headers a client might send hoping the registry
// or a proxy behind the gateway trusts them.
var forgedHeaders = []string{
	"Proxy-Authorization", "X-Forwarded-User", "X-Forwarded-Email", "X-Forwarded-Groups",
	"X-Remote-User", "Remote-User", "X-Auth-Request-User", "X-Oatgate-Org", "X-Oatgate-Token-Id",
}

func families() map[string][]row {
	return map[string][]row{
		"credentials":            credentialRows(),
		"path confusion":         pathRows(),
		"cross-repository mount": mountRows(),
		"upload sessions":        uploadRows(),
		"methods":                methodRows(),
		"catalog and tags":       catalogRows(),
		"headers":                headerRows(),
		"bearer tokens":          bearerRows(),
	}
}

func TestHostileRequests(t *testing.T) {
	total := 0
	for _, family := range []string{"credentials", "path confusion", "cross-repository mount", "upload sessions", "methods", "catalog and tags", "headers", "bearer tokens"} {
		rows := families()[family]
		total += len(rows)
		t.Run(family, func(t *testing.T) {
			for _, r := range rows {
				t.Run(r.reason, func(t *testing.T) { runRow(t, r) })
			}
		})
	}
	if total < 40 {
		t.Errorf("the hostile table has %d rows, want at least 40", total)
	}
	t.Logf("%d hostile requests", total)
}

func runRow(t *testing.T, r row) {
	t.Helper()
	w := r.build(t)
	reg := fx.env.Registry
	before := len(reg.Seen())
	count := reg.Count()
	resp, body := send(t, fx.env.GatewayHost, w)
	if resp.StatusCode != r.status {
		t.Errorf("%s %.80q: status: got %d, want %d (body %.200s)", w.method, w.target, resp.StatusCode, r.status, body)
	}
	if got := errorCode(body); got != r.code {
		t.Errorf("%s %.80q: error code: got %q, want %q (body %.200s)", w.method, w.target, got, r.code, body)
	}
	// The gateway runs in its default mode, challenge bearer: every 401
	// names its own token endpoint, whatever the request carried.
	if want := `Bearer realm="http://` + fx.env.GatewayHost + `/token",service="oatgate"`; resp.StatusCode == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), want) {
		t.Errorf("401 without the gateway's Bearer challenge: WWW-Authenticate got %q, want it to start %q", resp.Header.Get("WWW-Authenticate"), want)
	}
	seen := reg.Seen()[before:]
	if !r.reaches {
		if got := reg.Count(); got != count {
			t.Errorf("the registry saw %d requests, want none: %v", got-count, describeSeen(seen))
		}
	}
	for _, s := range seen {
		for _, h := range append([]string{"Authorization"}, forgedHeaders...) {
			if v := s.Header.Values(h); len(v) > 0 {
				t.Errorf("the registry received %s on %s %s: %q", h, s.Method, s.Path, v)
			}
		}
	}
	if r.check != nil {
		r.check(t, seen)
	}
	if r.checkBody != nil {
		r.checkBody(t, body)
	}
}

func describeSeen(seen []testenv.SeenRequest) []string {
	out := make([]string, 0, len(seen))
	for _, s := range seen {
		out = append(out, s.Method+" "+s.Path+"?"+s.RawQuery)
	}
	return out
}

// fixed is a build for a request that needs no scene.
func fixed(w func() wire) func(*testing.T) wire { return func(*testing.T) wire { return w() } }
