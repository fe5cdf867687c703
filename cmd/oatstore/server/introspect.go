package server

import (
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// introspect answers POST /v1/introspect with form body token=<oat> with a
// storeapi.Introspection. An unknown token gets only {"active":false}; a
// known inactive one also its id, label, org and why it is inactive, which
// only gateways can see (the route takes the gateway key) and which lets
// them trace a leaked revoked token and drop a refusal when the token is
// reactivated. The lookup is by SHA-256, so its timing does not depend on
// how much of a guess matches a stored secret. A token that is no oat_
// token, sent with org=, is a CI job's ID token logging in to that org:
// introspectFederated answers it.
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
	if _, byID := r.PostForm[storeapi.TokenIDParam]; byID {
		s.introspectByID(w, r)
		return
	}
	secret := r.PostForm.Get(storeapi.TokenParam)
	if secret == "" {
		badRequest(w, "form field token is required")
		return
	}
	inactive := storeapi.Introspection{Active: false}
	if oat.Check(secret) != nil {
		if _, federated := r.PostForm[storeapi.OrgParam]; federated {
			s.introspectFederated(w, r)
			return
		}
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
	s.answerToken(w, t)
}

// answerToken answers the introspection of a stored token: active with
// its grants, or inactive with its id, label, org and reason.
func (s *Server) answerToken(w http.ResponseWriter, t store.Token) {
	now := s.now()
	if !t.Usable(now) {
		writeJSON(w, http.StatusOK, storeapi.Introspection{
			TokenID: t.ID, Label: t.Label, Org: t.Org, Reason: inactiveReason(t, now),
		})
		return
	}
	s.lastUsed.mark(t.ID, now)
	writeJSON(w, http.StatusOK, activeAnswer(t))
}

// activeAnswer is the introspection answer of a usable token.
func activeAnswer(t store.Token) storeapi.Introspection {
	ans := storeapi.Introspection{
		Active:  true,
		TokenID: t.ID,
		Label:   t.Label,
		Org:     t.Org,
		Scope:   strings.Join(t.Scopes, " "),
		Kind:    t.Kind,
		Policy:  t.Policy,
	}
	if t.ExpiresAt != nil {
		exp := t.ExpiresAt.Unix()
		ans.Exp = &exp
	}
	return ans
}

// inactiveReason is why t, which is not usable at now, is not: revoked
// first, since that is final, then deactivated, then expired.
func inactiveReason(t store.Token, now time.Time) storeapi.Reason {
	switch {
	case t.RevokedAt != nil:
		return storeapi.ReasonRevoked
	case !t.Active:
		return storeapi.ReasonDeactivated
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return storeapi.ReasonExpired
	}
	return storeapi.ReasonUnknown
}
