package server

import (
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// introspection is the RFC 7662 answer. An inactive token gets only
// {"active":false}: the gateway needs nothing else and a prober learns
// nothing more.
type introspection struct {
	Active  bool   `json:"active"`
	TokenID string `json:"token_id,omitempty"`
	Label   string `json:"label,omitempty"`
	Org     string `json:"org,omitempty"`
	// Scope is the canonical scopes, space-separated (RFC 7662 "scope").
	Scope string `json:"scope,omitempty"`
	// Exp is the expiry in unix seconds; omitted when the token never
	// expires.
	Exp int64 `json:"exp,omitempty"`
}

// introspect answers POST /v1/introspect with form body token=<oat>. The
// lookup is by SHA-256, so its timing does not depend on how much of a
// guess matches a stored secret.
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		writeError(w, http.StatusUnsupportedMediaType, codeMediaType, "request body must be application/x-www-form-urlencoded (token=...)")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, codeTooLarge, "request body too large")
			return
		}
		badRequest(w, "malformed form body")
		return
	}
	secret := r.PostForm.Get("token")
	if secret == "" {
		badRequest(w, "form field token is required")
		return
	}
	inactive := introspection{Active: false}
	if oat.Check(secret) != nil {
		writeJSON(w, http.StatusOK, inactive)
		return
	}
	hash := oat.HashOf(secret)
	t, err := s.store.TokenByHash(r.Context(), hash[:])
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(w, http.StatusOK, inactive)
		return
	}
	if err != nil {
		s.fail(w, err, "")
		return
	}
	now := s.now()
	if !t.Usable(now) {
		writeJSON(w, http.StatusOK, inactive)
		return
	}
	s.lastUsed.mark(t.ID, now)
	ans := introspection{
		Active:  true,
		TokenID: t.ID,
		Label:   t.Label,
		Org:     t.Org,
		Scope:   strings.Join(t.Scopes, " "),
	}
	if t.ExpiresAt != nil {
		ans.Exp = t.ExpiresAt.Unix()
	}
	writeJSON(w, http.StatusOK, ans)
}
