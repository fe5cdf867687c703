package adversarial

import (
	"net/http"
	"strings"
	"testing"
)

// getAs is a GET of target with role's token.
func getAs(role, target string) func(*testing.T) wire {
	return func(*testing.T) wire { return fx.as(role, req(http.MethodGet, target)) }
}

func pathRows() []row {
	return []row{
		{reason: "a dot-dot segment climbing into another org is refused", build: getAs(acmeAll, "/v2/acme/../globex/secret/manifests/latest"),
			status: 404, code: "NOT_FOUND"},
		{reason: "a dot segment is refused", build: getAs(acmeAll, "/v2/acme/./app/manifests/latest"),
			status: 404, code: "NOT_FOUND"},
		{reason: "a percent-encoded dot-dot is refused", build: getAs(acmeAll, "/v2/acme/%2e%2e/globex/secret/manifests/latest"),
			status: 400, code: "UNSUPPORTED"},
		{reason: "an empty component (//) is refused", build: getAs(acmeAll, "/v2/acme//app/manifests/latest"),
			status: 404, code: "NOT_FOUND"},
		{reason: "a leading // is refused", build: getAs(acmeAll, "//v2/acme/app/manifests/latest"),
			status: 404, code: "NOT_FOUND"},
		{reason: "%2F inside a name is refused", build: getAs(acmeAll, "/v2/acme%2Fapp/manifests/latest"),
			status: 400, code: "UNSUPPORTED"},
		{reason: "an uppercase name is refused", build: getAs(acmeAll, "/v2/acme/App/manifests/latest"),
			status: 400, code: "NAME_INVALID"},
		{reason: "a host:port first component is refused", build: getAs(acmeAll, "/v2/127.0.0.1:5000/acme/app/manifests/latest"),
			status: 400, code: "NAME_INVALID"},
		{reason: "a name ending in endpoint words is its own repository, not acme/app", build: getAs(acmeApp, "/v2/acme/app/manifests/x/manifests/latest"),
			status: 403, code: "DENIED"},
		{reason: "another org's name with acme/app after blobs/uploads words is that org's repository", build: getAs(acmeApp, "/v2/globex/secret/blobs/uploads/acme/app/manifests/latest"),
			status: 403, code: "DENIED"},
		{reason: "a name with a tags component reaches the registry as that name", build: getAs(acmeAll, "/v2/acme/tags/list/manifests/latest"),
			status: 404, code: "MANIFEST_UNKNOWN", reaches: true},
		{reason: "a trailing slash on a manifest is refused", build: getAs(acmeAll, "/v2/acme/app/manifests/latest/"),
			status: 404, code: "NOT_FOUND"},
		{reason: "a trailing slash on tags/list is refused", build: getAs(acmeAll, "/v2/acme/app/tags/list/"),
			status: 404, code: "NOT_FOUND"},
		{reason: "an upload start without its trailing slash is refused", build: func(*testing.T) wire {
			return fx.as(acmeAll, req(http.MethodPost, "/v2/acme/app/blobs/uploads"))
		}, status: 404, code: "NOT_FOUND"},
		{reason: "/V2/ in uppercase is no registry route", build: getAs(acmeAll, "/V2/acme/app/manifests/latest"),
			status: 404, code: "NOT_FOUND"},
		{reason: "raw non-ASCII bytes in a name are refused", build: getAs(acmeAll, "/v2/acme/caf\xc3\xa9/manifests/latest"),
			status: 404, code: "NOT_FOUND"},
		// net/url decodes this to "café" and keeps no RawPath (the escape
		// is the default one), so it is refused as a byte outside any route.
		{reason: "percent-encoded non-ASCII in a name is refused", build: getAs(acmeAll, "/v2/acme/caf%C3%A9/manifests/latest"),
			status: 404, code: "NOT_FOUND"},
		{reason: "a percent-encoded NUL is refused", build: getAs(acmeAll, "/v2/acme/app%00/manifests/latest"),
			status: 400, code: "UNSUPPORTED"},
		// Go's HTTP server refuses a raw control character in the
		// request-target with a plain 400 before any handler runs.
		{reason: "a raw control character in the path never reaches a handler", build: getAs(acmeAll, "/v2/acme/app\x01/manifests/latest"),
			status: 400},
		{reason: "a name over 255 characters is refused", build: getAs(acmeAll, "/v2/acme/"+strings.Repeat("a", 251)+"/manifests/latest"),
			status: 400, code: "NAME_INVALID"},
		{reason: "a path over 2 KiB is refused", build: getAs(acmeAll, "/v2/acme/"+strings.Repeat("a/", 1100)+"manifests/latest"),
			status: 400, code: "UNSUPPORTED"},
		{reason: "a semicolon-separated query that hides a second digest is refused", build: func(*testing.T) wire {
			return fx.as(acmeAll, req(http.MethodPost, "/v2/acme/app/blobs/uploads/?digest="+fx.blob+";digest=sha256:"+strings.Repeat("0", 64)))
		}, status: 400, code: "UNSUPPORTED"},
	}
}
