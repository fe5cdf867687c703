package server

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/cmd/oatstore/federation"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// maxExchangeBody bounds a token exchange body: an ID token of at most
// federation.MaxJWTLen and a few short fields.
const maxExchangeBody = federation.MaxJWTLen + 4<<10

// exchanged is the RFC 8693 answer.
type exchanged struct {
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int64  `json:"expires_in"`
	Scope           string `json:"scope"`
}

// exchange answers POST /v1/token, the RFC 8693 token exchange: a CI job's
// OIDC ID token, matching a trust policy, gets a short-lived oat_ token of
// the policy's org. No Authorization header: the ID token is the
// credential. Refusals are RFC 6749 JSON errors that never say which check
// failed.
func (s *Server) exchange(w http.ResponseWriter, r *http.Request) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		writeOAuth(w, &federation.OAuthError{Code: federation.CodeInvalidRequest, Description: "the body must be application/x-www-form-urlencoded", Status: http.StatusUnsupportedMediaType})
		return
	}
	if r.URL.RawQuery != "" {
		// A token in a URL ends up in proxy and access logs.
		writeOAuth(w, &federation.OAuthError{Code: federation.CodeInvalidRequest, Description: "send the fields in the form body, not the URL", Status: http.StatusBadRequest})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxExchangeBody)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeOAuth(w, &federation.OAuthError{Code: federation.CodeInvalidRequest, Description: "the body is larger than " + strconv.Itoa(maxExchangeBody) + " bytes", Status: http.StatusRequestEntityTooLarge})
			return
		}
		writeOAuth(w, &federation.OAuthError{Code: federation.CodeInvalidRequest, Description: "malformed form body", Status: http.StatusBadRequest})
		return
	}
	ex, oerr := federation.ParseExchange(r.PostForm)
	if oerr != nil {
		writeOAuth(w, oerr)
		return
	}
	secret, err := oat.Generate()
	if err != nil {
		s.oauthInternal(w, err)
		return
	}
	hash := oat.HashOf(secret.Reveal())
	t, oerr, err := s.federate(r.Context(), exchangeRequest{jwt: ex.SubjectToken, org: ex.Audience, requested: ex.Scopes, hash: hash[:], sourceIP: sourceIP(r)})
	var tooMany *store.TooManyError
	switch {
	case errors.As(err, &tooMany):
		w.Header().Set("Retry-After", retryAfterTooMany)
		writeOAuth(w, &federation.OAuthError{Code: codeTooMany, Description: tooMany.Error(), Status: http.StatusTooManyRequests})
		return
	case err != nil:
		s.oauthInternal(w, err)
		return
	case oerr != nil:
		writeOAuth(w, oerr)
		return
	}
	var expiresIn int64
	if t.ExpiresAt != nil {
		expiresIn = int64(t.ExpiresAt.Sub(s.now()).Round(time.Second) / time.Second)
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, exchanged{
		AccessToken:     secret.Reveal(),
		IssuedTokenType: federation.TokenTypeAccessToken,
		TokenType:       "Bearer",
		ExpiresIn:       expiresIn,
		Scope:           strings.Join(t.Scopes, " "),
	})
}

// writeOAuth answers an RFC 6749 error.
func writeOAuth(w http.ResponseWriter, e *federation.OAuthError) {
	switch {
	case e.Status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "5")
	case e.Code == federation.CodeSlowDown:
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(e)
}

func (s *Server) oauthInternal(w http.ResponseWriter, err error) {
	s.log.Error("token exchange failed", zap.Error(err))
	writeOAuth(w, &federation.OAuthError{Code: "server_error", Description: "internal error; see the oatstore log", Status: http.StatusInternalServerError})
}
