package dockertoken

import (
	"encoding/json"
	"net/http"
	"time"
)

// Response is the token endpoint's answer, as distribution's token spec and
// OAuth2 (RFC 6749 §5.1) write it: "token" for the docker-style clients,
// "access_token" for the OAuth2 ones, the same value in both. There is no
// refresh_token: the gateway issues none (see CLIENTS.md).
type Response struct {
	Token       string `json:"token"`
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	IssuedAt    string `json:"issued_at"`
}

// NewResponse is the answer for a minted token.
func NewResponse(m Minted) Response {
	return Response{
		Token:       m.Raw,
		AccessToken: m.Raw,
		TokenType:   "Bearer",
		ExpiresIn:   m.ExpiresIn,
		IssuedAt:    m.IssuedAt.UTC().Format(time.RFC3339),
	}
}

// WriteToken sends m as a 200 answer that no cache may keep (RFC 6749 §5.1).
func WriteToken(w http.ResponseWriter, m Minted) {
	writeJSON(w, http.StatusOK, NewResponse(m))
}

// errorBody is an OAuth2 error (RFC 6749 §5.2) that registry clients also
// read: distribution's client (docker) shows "details" first, and
// containers/image (podman, skopeo) reads the same through it.
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Details     string `json:"details"`
}

// RetryAfter is the Retry-After of an Unavailable answer, in seconds.
const RetryAfter = "5"

// WriteError sends e. A 401 carries a Basic challenge naming realm (RFC
// 6749 §5.2: invalid_client over HTTP authentication must), a 405 an Allow
// header, a 503 a Retry-After.
func WriteError(w http.ResponseWriter, e *Error, realm string) {
	switch e.Status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Basic realm=`+quote(realm)+`, charset="UTF-8"`)
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", "GET, POST")
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", RetryAfter)
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "60")
	}
	writeJSON(w, e.Status, errorBody{Error: e.Code, Description: e.Description, Details: e.Description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only strings and ints: cannot happen.
		http.Error(w, "encoding the answer failed", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
