package adversarial

import (
	"net/http"
	"testing"

	"github.com/oatgate/oatgate/testenv"
)

func as(role, method, target string) func(*testing.T) wire {
	return func(*testing.T) wire { return fx.as(role, req(method, target)) }
}

func methodRows() []row {
	return []row{
		{reason: "OPTIONS on /v2/ is not a registry method", build: as(acmeAll, http.MethodOptions, "/v2/"),
			status: 405, code: "UNSUPPORTED"},
		{reason: "TRACE on a manifest is not a registry method", build: as(acmeAll, http.MethodTrace, manifestPath),
			status: 405, code: "UNSUPPORTED"},
		{reason: "a lowercase get is not GET", build: as(acmeAll, "get", manifestPath),
			status: 405, code: "UNSUPPORTED"},
		{reason: "a lowercase delete is not DELETE", build: as(acmePull, "delete", manifestPath),
			status: 405, code: "UNSUPPORTED"},
		{reason: "DELETE of a manifest with a pull-only token is denied", build: as(acmePull, http.MethodDelete, manifestPath),
			status: 403, code: "DENIED"},
		{reason: "X-HTTP-Method-Override cannot turn a pull into a delete", build: func(t *testing.T) wire {
			return pull().with("Authorization", fx.auth(acmePull)).with("X-HTTP-Method-Override", "DELETE")
		}, status: 200, reaches: true, check: func(t *testing.T, seen []testenv.SeenRequest) {
			if len(seen) != 1 || seen[0].Method != http.MethodGet {
				t.Errorf("the registry saw %v, want one GET", describeSeen(seen))
			}
			if err := do(http.MethodHead, fx.env.Registry.URL+manifestPath, "", nil, http.StatusOK); err != nil {
				t.Errorf("the manifest is gone after an override: %v", err)
			}
		}},
		{reason: "X-HTTP-Method-Override cannot turn a push into a pull", build: func(t *testing.T) wire {
			return as(acmePull, http.MethodPost, "/v2/acme/app/blobs/uploads/")(t).with("X-HTTP-Method-Override", "GET")
		}, status: 403, code: "DENIED"},
		{reason: "HEAD of an existing forbidden manifest is 403", build: as(acmeApp, http.MethodHead, "/v2/acme/secret/manifests/latest"),
			status: 403},
		{reason: "HEAD of a missing forbidden manifest is the same 403", build: as(acmeApp, http.MethodHead, "/v2/acme/missing/manifests/latest"),
			status: 403},
		{reason: "GET of an existing forbidden manifest is 403 DENIED", build: as(acmeApp, http.MethodGet, "/v2/acme/secret/manifests/latest"),
			status: 403, code: "DENIED"},
		{reason: "GET of a missing forbidden manifest is the same 403 DENIED", build: as(acmeApp, http.MethodGet, "/v2/acme/missing/manifests/latest"),
			status: 403, code: "DENIED"},
		{reason: "HEAD of an existing blob in another org is 403", build: func(t *testing.T) wire {
			return as(acmeAll, http.MethodHead, "/v2/globex/secret/blobs/"+fx.blob)(t)
		}, status: 403},
	}
}
