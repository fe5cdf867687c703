package registryreq

import (
	"net/http"

	"github.com/oatgate/oatgate/caddymodule/access"
)

// actionFor is the method table of DESIGN.md in one place: the action a
// method needs on a kind's repository, and whether the endpoint serves that
// method at all. Base and Catalog need no repository action (ok with 0).
// Methods are compared case-sensitively, as net/http and the registry do:
// "get" is not GET.
func actionFor(k Kind, method string) (a access.Action, ok bool) {
	switch k {
	case Base:
		return 0, method == http.MethodGet || method == http.MethodHead
	case Catalog:
		// distribution serves the catalog for GET only (no implicit HEAD).
		return 0, method == http.MethodGet
	case Manifest:
		switch method {
		case http.MethodGet, http.MethodHead:
			return access.Pull, true
		case http.MethodPut:
			return access.Push, true
		case http.MethodDelete:
			return access.Delete, true
		}
	case Blob:
		switch method {
		case http.MethodGet, http.MethodHead:
			return access.Pull, true
		case http.MethodDelete:
			return access.Delete, true
		}
	case UploadStart:
		return access.Push, method == http.MethodPost
	case UploadSession:
		// Reading an upload's status is part of pushing: the session is the
		// pusher's, so even GET and HEAD need push.
		switch method {
		case http.MethodGet, http.MethodHead, http.MethodPatch, http.MethodPut, http.MethodDelete:
			return access.Push, true
		}
	case TagsList, Referrers:
		// distribution's tags handler serves GET only; the OCI spec defines
		// referrers for GET only.
		return access.Pull, method == http.MethodGet
	}
	return 0, false
}
