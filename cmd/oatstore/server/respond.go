package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// Error codes of the JSON error shape (see the package comment).
const (
	codeInvalid          = "invalid_request"
	codeUnauthorized     = "unauthorized"
	codeForbidden        = "forbidden"
	codeNotFound         = "not_found"
	codeMethodNotAllowed = "method_not_allowed"
	codeConflict         = "conflict"
	codeLimit            = "limit_reached"
	codeTooMany          = "too_many_requests"
	codeTooLarge         = "too_large"
	codeMediaType        = "unsupported_media_type"
	codeInternal         = "internal"
	codeUnavailable      = "unavailable"
)

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing to do
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: msg}})
}

func badRequest(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusBadRequest, codeInvalid, fmt.Sprintf(format, args...))
}

// fail answers a store error: sentinel errors carry a client message,
// anything else is logged and answered as a bare 500.
func (s *Server) fail(w http.ResponseWriter, err error, notFound string) {
	var (
		limit   *store.LimitError
		tooMany *store.TooManyError
		no      refusal
	)
	switch {
	case errors.As(err, &no):
		deny(w, no.d)
	case errors.As(err, &tooMany):
		w.Header().Set("Retry-After", retryAfterTooMany)
		writeError(w, http.StatusTooManyRequests, codeTooMany, tooMany.Error())
	case errors.As(err, &limit):
		writeError(w, http.StatusConflict, codeLimit, limit.Error())
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, codeNotFound, notFound)
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, codeConflict, err.Error())
	case errors.Is(err, store.ErrInvalid):
		writeError(w, http.StatusBadRequest, codeInvalid, err.Error())
	default:
		s.log.Error("request failed", zap.Error(err))
		writeError(w, http.StatusInternalServerError, codeInternal, "internal error; see the oatstore log")
	}
}

// decode reads one JSON object from the body into v: capped in size, keys
// exact (each once, in the case of v's field names; see checkKeys),
// unknown fields refused, nothing after it. It answers the client itself
// and returns false on any problem.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, codeMediaType, "request body must be application/json")
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, codeTooLarge, fmt.Sprintf("request body larger than %d bytes", maxBody))
		} else {
			badRequest(w, "reading the request body: %v", err)
		}
		return false
	}
	if err := checkKeys(body, v); err != nil {
		badRequest(w, "%v", err)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		if dec.Decode(&struct{}{}) != io.EOF {
			badRequest(w, "malformed JSON: unexpected data after the object")
			return false
		}
		return true
	}
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, io.EOF):
		badRequest(w, "malformed JSON: empty body")
	case errors.Is(err, io.ErrUnexpectedEOF):
		badRequest(w, "malformed JSON: body ends early")
	case errors.As(err, &syntax):
		badRequest(w, "malformed JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typ):
		badRequest(w, "field %q: want %s, got JSON %s", typ.Field, typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for this one.
		badRequest(w, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		badRequest(w, "malformed JSON: %v", err)
	}
	return false
}

// statusRecorder remembers the status for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// unrouted answers a request no pattern matched, keeping the mux's verdict
// (404 or 405 with its Allow header) in the JSON error shape.
func (s *Server) unrouted(w http.ResponseWriter, r *http.Request, h http.Handler) {
	probe := &headerProbe{header: http.Header{}, status: http.StatusNotFound}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		writeError(w, http.StatusMethodNotAllowed, codeMethodNotAllowed, fmt.Sprintf("method %s not allowed on %s", r.Method, r.URL.Path))
		return
	}
	writeError(w, http.StatusNotFound, codeNotFound, "no such endpoint")
}

// headerProbe captures what the mux's own 404/405 handler would send.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header         { return p.header }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(code int)        { p.status = code }

// logRequest logs one line per request: gateway calls at debug (they are
// frequent and the gateway logs its own usage events), the rest at info.
// Never the body, the query or a header: those may hold secrets.
func (s *Server) logRequest(r *http.Request, pattern string, status int, took time.Duration) {
	level := zap.InfoLevel
	if r.URL.Path == "/v1/introspect" || r.URL.Path == "/v1/revocations" || r.URL.Path == "/v1/usage-reports" || r.URL.Path == "/healthz" {
		level = zap.DebugLevel
	}
	if ce := s.log.Check(level, "request"); ce != nil {
		ce.Write(
			zap.String("method", r.Method),
			zap.String("route", pattern),
			zap.String("path", r.URL.Path),
			zap.Int("status", status),
			zap.Float64("duration", took.Seconds()),
			zap.String("remote_ip", sourceIP(r)),
		)
	}
}
