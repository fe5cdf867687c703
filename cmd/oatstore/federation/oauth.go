package federation

import "net/http"

// OAuth 2.0 error codes the exchange answers with (RFC 6749 section 5.2,
// RFC 8693 section 2.2.2).
const (
	CodeInvalidRequest         = "invalid_request"
	CodeInvalidGrant           = "invalid_grant"
	CodeInvalidScope           = "invalid_scope"
	CodeInvalidTarget          = "invalid_target"
	CodeUnsupportedGrantType   = "unsupported_grant_type"
	CodeTemporarilyUnavailable = "temporarily_unavailable"
)

// OAuthError is a refusal of the exchange as RFC 6749 writes it:
// {"error":"invalid_grant","error_description":"..."}. The description
// says what to do, never which claim of a token failed.
type OAuthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description"`
	// Status is the HTTP status: 400 for every code but
	// temporarily_unavailable (503) and the active-token bound (429).
	Status int `json:"-"`
}

func (e *OAuthError) Error() string { return e.Code + ": " + e.Description }

func oauthError(code, description string) *OAuthError {
	return &OAuthError{Code: code, Description: description, Status: http.StatusBadRequest}
}

// errNotAccepted is the one answer for every token that does not verify
// or matches no policy: which check failed is for oatstore's log.
var errNotAccepted = oauthError(CodeInvalidGrant, "the subject token was not accepted: it is not a valid ID token of an issuer an org trusts, or no trust policy matches it")

// NotAccepted returns the refusal of a token that failed verification or
// matched no policy.
func NotAccepted() *OAuthError { e := *errNotAccepted; return &e }

// Spent returns the refusal of a token that already got as many federated
// tokens as one ID token may: the job asks its CI for a new one.
func Spent() *OAuthError {
	return oauthError(CodeInvalidGrant, "this ID token was already exchanged as often as one may be; request a new ID token from the CI")
}

// CodeSlowDown is the answer to a token that found every signature check
// busy (429, Retry-After: 1), after RFC 8628's slow_down.
const CodeSlowDown = "slow_down"

// Busy returns the answer for a token that found every signature check
// busy: 429, retry in a second.
func Busy() *OAuthError {
	return &OAuthError{Code: CodeSlowDown, Description: "too many ID tokens are being verified; retry in a second", Status: http.StatusTooManyRequests}
}

// Unavailable returns the answer for a token whose issuer could not be
// reached with no keys cached: 503, retry.
func Unavailable() *OAuthError {
	return &OAuthError{Code: CodeTemporarilyUnavailable, Description: "the token's issuer could not be reached to fetch its keys; retry shortly", Status: http.StatusServiceUnavailable}
}
