// Package storeapi is the gateway <-> token store protocol: the paths, the
// introspection answer (RFC 7662 with oatgate's fields), the revocation
// feed page and the usage reports gateways send, declared once for both
// sides. oatstore writes these values, the
// gateway's verifier reads them with the Parse functions, and the test fakes
// of either side speak them too, so that the two ends cannot drift apart
// unnoticed.
//
// The package does not import Caddy: oatstore imports it.
package storeapi

import "errors"

// Paths of the protocol, under the store's base URL. Both take the gateway
// key as "Authorization: Bearer <key>".
const (
	// IntrospectPath answers POST with a form body token=<oat> with an
	// Introspection.
	IntrospectPath = "/v1/introspect"
	// RevocationsPath answers GET ?after=<cursor>[&wait=<duration>] with a
	// RevocationPage.
	RevocationsPath = "/v1/revocations"
)

// Form and query parameter names.
const (
	// TokenParam is the introspection form field that carries the token:
	// an oat_ token, or a CI job's OIDC ID token (a JWT).
	TokenParam = "token"
	// AfterParam is the revocation feed's cursor parameter.
	AfterParam = "after"
	// WaitParam asks the revocation feed to hold an empty answer up to this
	// long (a Go duration such as 30s).
	WaitParam = "wait"
)

// ErrMalformed is wrapped by every error for an answer that cannot be
// trusted: not JSON, trailing data, a missing or mistyped required field.
var ErrMalformed = errors.New("malformed token store answer")
