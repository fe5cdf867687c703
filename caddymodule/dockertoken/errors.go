package dockertoken

import "net/http"

// Error is a refused token request, as RFC 6749 §5.2 words it: an error
// code, a description fit to show the user, and the HTTP status. It never
// holds a secret.
type Error struct {
	// Code is the OAuth2 error code, e.g. "invalid_request".
	Code string
	// Description says what is wrong and what to do.
	Description string
	// Status is the HTTP status the answer is sent with.
	Status int
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }

// The OAuth2 error codes the token endpoint answers with (RFC 6749 §5.2),
// plus temporarily_unavailable (§4.1.2.1) for a token store outage: denied is
// not failed, so an outage is never answered as bad credentials.
const (
	CodeInvalidRequest         = "invalid_request"
	CodeInvalidClient          = "invalid_client"
	CodeInvalidGrant           = "invalid_grant"
	CodeUnsupportedGrantType   = "unsupported_grant_type"
	CodeTemporarilyUnavailable = "temporarily_unavailable"
	CodeServerError            = "server_error"
)

// BadRequest returns an invalid_request refusal (400).
func BadRequest(description string) *Error {
	return &Error{Code: CodeInvalidRequest, Description: description, Status: http.StatusBadRequest}
}

// BadCredentials returns the refusal of credentials that do not check out
// (401): wrong, unknown, revoked, deactivated or expired token, or a username
// that is not the token's org. The description should say which.
func BadCredentials(description string) *Error {
	return &Error{Code: CodeInvalidClient, Description: description, Status: http.StatusUnauthorized}
}

// Unavailable returns the answer to a token request that could not be
// checked because the token store is unreachable (503, with Retry-After).
func Unavailable() *Error {
	return &Error{
		Code:        CodeTemporarilyUnavailable,
		Description: "the token store cannot be reached; try again shortly",
		Status:      http.StatusServiceUnavailable,
	}
}

// TooManyRequests returns the refusal of credentials that cannot be
// checked now for a reason that passes with time (429, with Retry-After):
// the address presented more unknown tokens than the gateway looks up per
// minute, or a CI job's org has as many federated tokens as it allows. The
// description should say which.
func TooManyRequests(description string) *Error {
	return &Error{Code: CodeInvalidClient, Description: description, Status: http.StatusTooManyRequests}
}
