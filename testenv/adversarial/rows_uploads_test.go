package adversarial

import (
	"net/http"
	"strings"
	"testing"
)

// crossed opens an upload session in from as opener, then builds method on
// the same session id and state under to's path, as caller.
func crossed(opener, from, caller, to, method, extraQuery string) func(*testing.T) wire {
	return func(t *testing.T) wire {
		t.Helper()
		loc := fx.startUpload(t, opener, from)
		moved := strings.Replace(loc, "/v2/"+from+"/", "/v2/"+to+"/", 1)
		if extraQuery != "" {
			moved += "&" + extraQuery
		}
		w := fx.as(caller, req(method, moved))
		if method == http.MethodPatch {
			w = w.with("Content-Type", "application/octet-stream")
			w.body = "stolen-bytes"
		}
		return w
	}
}

func uploadRows() []row {
	digest := func() string { return "digest=sha256:" + strings.Repeat("1", 64) }
	return []row{
		// An allowed session carried to a forbidden repository's path: the
		// gateway authorizes by path, so it refuses before the registry.
		{reason: "PATCH of an allowed session under a forbidden repository's path is denied", build: crossed(acmeApp, "acme/app", acmeApp, "acme/secret", http.MethodPatch, ""),
			status: 403, code: "DENIED"},
		{reason: "PUT of an allowed session under a forbidden repository's path is denied", build: func(t *testing.T) wire {
			return crossed(acmeApp, "acme/app", acmeApp, "acme/secret", http.MethodPut, digest())(t)
		}, status: 403, code: "DENIED"},
		{reason: "DELETE of an allowed session under a forbidden repository's path is denied", build: crossed(acmeApp, "acme/app", acmeApp, "acme/secret", http.MethodDelete, ""),
			status: 403, code: "DENIED"},
		{reason: "GET of an allowed session under another org's path is denied", build: crossed(acmeApp, "acme/app", acmeApp, "globex/secret", http.MethodGet, ""),
			status: 403, code: "DENIED"},
		{reason: "a pull-only token may not continue a session in its own repository", build: crossed(acmeApp, "acme/app", acmePull, "acme/app", http.MethodPatch, ""),
			status: 403, code: "DENIED"},
		// The reverse: a session opened where the caller may not push,
		// carried to a path it may push. The gateway allows by path; the
		// registry's signed upload state names the original repository and
		// refuses the crossing.
		{reason: "PATCH of a forbidden repository's session under an allowed path is refused by the registry", build: crossed(acmeAll, "acme/secret", acmeApp, "acme/app", http.MethodPatch, ""),
			status: 404, code: "BLOB_UPLOAD_INVALID", reaches: true},
		{reason: "PUT of another org's session under an allowed path is refused by the registry", build: func(t *testing.T) wire {
			return crossed(globex, "globex/app", acmeApp, "acme/app", http.MethodPut, digest())(t)
		}, status: 404, code: "BLOB_UPLOAD_INVALID", reaches: true},
		{reason: "GET of another org's session under an allowed path is refused by the registry", build: crossed(globex, "globex/app", acmeApp, "acme/app", http.MethodGet, ""),
			status: 404, code: "BLOB_UPLOAD_UNKNOWN", reaches: true},
	}
}
