// Package registryerr is the registry's error vocabulary: every refusal the
// gateway makes is one of these codes, served in the distribution API's
// {"errors":[...]} envelope so that every registry client understands it.
package registryerr

import (
	"net/http"
	"strconv"
)

// Code describes one registry error code: the value clients match on, the
// HTTP status it is served with, and the message used when no detail is given.
type Code struct {
	Value   string
	Status  int
	Message string
}

// The codes the gateway answers with. Values and statuses are those of the
// OCI distribution spec and of distribution's errcode package.
var (
	Unauthorized  = Code{"UNAUTHORIZED", http.StatusUnauthorized, "authentication required"}
	Denied        = Code{"DENIED", http.StatusForbidden, "requested access to the resource is denied"}
	NameInvalid   = Code{"NAME_INVALID", http.StatusBadRequest, "invalid repository name"}
	DigestInvalid = Code{"DIGEST_INVALID", http.StatusBadRequest, "provided digest did not match uploaded content"}
	TagInvalid    = Code{"TAG_INVALID", http.StatusBadRequest, "manifest tag did not match URI"}
	// PaginationInvalid is distribution's PAGINATION_NUMBER_INVALID.
	PaginationInvalid = Code{"PAGINATION_NUMBER_INVALID", http.StatusBadRequest, "invalid number of results requested"}
	// Unsupported answers a known route asked with a method it does not
	// serve: 405.
	Unsupported = Code{"UNSUPPORTED", http.StatusMethodNotAllowed, "the operation is unsupported"}
	// NotFound answers a path that is no registry route at all.
	NotFound = Code{"NOT_FOUND", http.StatusNotFound, "no such registry route"}
	// UnsupportedRequest is UNSUPPORTED served with 400: a registry route
	// asked in a form (headers, query, body type) the gateway refuses to
	// interpret. The spec has no 400 code for that; UNSUPPORTED is the one
	// clients show as "not supported" rather than retrying.
	UnsupportedRequest = Code{"UNSUPPORTED", http.StatusBadRequest, "the request is malformed"}
	Unavailable        = Code{"UNAVAILABLE", http.StatusServiceUnavailable, "authorization service unavailable, try again later"}
	// TooManyRequests is distribution's TOOMANYREQUESTS.
	TooManyRequests = Code{"TOOMANYREQUESTS", http.StatusTooManyRequests, "too many requests"}
)

// Error is a refusal: a code and, optionally, a detail for the client. The
// detail is shown to clients, so it must never hold a secret or an internal
// error's text.
type Error struct {
	Code   Code
	Detail string
}

// New returns an Error with code and a client-facing detail message.
func New(code Code, detail string) *Error { return &Error{Code: code, Detail: detail} }

func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Code.Value + ": " + e.Code.Message
	}
	return e.Code.Value + ": " + e.Detail
}

// Message is what the client reads: the detail when there is one, else the
// code's default message.
func (e *Error) Message() string {
	if e.Detail != "" {
		return e.Detail
	}
	return e.Code.Message
}

// APIVersionHeader is the header every registry response carries; clients
// check it on /v2/ to know they speak to a registry.
const APIVersionHeader = "Docker-Distribution-API-Version"

// Write sends e as a registry error response. Headers the caller set before
// (WWW-Authenticate, Retry-After) are kept.
func Write(w http.ResponseWriter, e *Error) {
	body := appendEnvelope(make([]byte, 0, 128), e)
	h := w.Header()
	h.Set(APIVersionHeader, "registry/2.0")
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.Code.Status)
	_, _ = w.Write(body)
}

func appendEnvelope(b []byte, e *Error) []byte {
	b = append(b, `{"errors":[{"code":`...)
	b = strconv.AppendQuote(b, e.Code.Value)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, e.Message())
	return append(b, "}]}\n"...)
}

// appendJSONString quotes s as a JSON string. strconv.Quote's escapes are not
// all valid JSON (\x, \a), so control characters are written as \u00XX.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		case c == '<' || c == '>' || c == '&':
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
