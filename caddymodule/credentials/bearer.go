package credentials

import (
	"net/http"
	"strings"
)

// Bearer returns the token of the request's one Authorization header when
// its scheme is Bearer (RFC 6750, case-insensitive): what registry clients
// send once the gateway's token endpoint gave them a token. ok is false for
// any other request, which FromRequest then reads (and refuses, for more
// than one header). The token is not checked here: it is a signed JWT that
// only its verifier can judge.
func Bearer(h http.Header) (token string, ok bool) {
	values := h["Authorization"]
	if len(values) != 1 {
		return "", false
	}
	const prefix = "Bearer "
	v := values[0]
	if len(v) < len(prefix) || !strings.EqualFold(v[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(v[len(prefix):]), true
}
