package server

import (
	"context"
	"errors"
	"net/http"

	"go.uber.org/zap"

	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/cmd/oatstore/authz"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// Who calls the management API: every /v1/orgs/... route and /v1/whoami
// runs behind authenticated, which turns the bearer credential into an
// authz.Principal (a named admin key, or an org management token looked up
// by hash on every call, so a revoked token is refused at its next call)
// and puts it in the request's context. The handlers then ask authz the one
// question their route needs; the answers that depend on a stored token
// are asked inside the store's transaction, on the locked row.

// principalKey is the context key of the request's principal.
type principalKey struct{}

// principal returns the request's authenticated principal. Outside
// authenticated it is the zero Principal, which every authz question
// refuses.
func principal(r *http.Request) authz.Principal {
	p, _ := r.Context().Value(principalKey{}).(authz.Principal)
	return p
}

// authenticated runs h for a caller the admin keys or the token store
// know; it answers 401 (with the reason) for anyone else, and 503 when the
// store could not be asked: an outage is never a refusal.
func (s *Server) authenticated(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, d, err := authz.Authenticate(r.Context(), authz.Bearer(r), s.admin, s.lookup, s.now())
		if err != nil {
			s.log.Error("authenticating a management call", zap.Error(err))
			writeError(w, http.StatusServiceUnavailable, codeUnavailable, "the token could not be checked; retry shortly")
			return
		}
		if !d.Allowed() {
			s.log.Info("management call refused", zap.String("reason", d.Reason), zap.String("path", r.URL.Path), zap.String("source_ip", sourceIP(r)))
			deny(w, d)
			return
		}
		if p.Kind() == authz.KindToken {
			// A management call is a use of the token like a pull is.
			s.lastUsed.mark(p.ID(), s.now())
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// lookup finds a presented token for authz.Authenticate in the store
// itself, with no cache in between.
func (s *Server) lookup(ctx context.Context, h oat.Hash) (authz.TokenFacts, bool, error) {
	t, err := s.store.TokenByHash(ctx, h[:])
	if errors.Is(err, store.ErrNotFound) {
		return authz.TokenFacts{}, false, nil
	}
	if err != nil {
		return authz.TokenFacts{}, false, err
	}
	return authz.TokenFacts{ID: t.ID, Org: t.Org, Scopes: t.Scopes, Active: t.Active, RevokedAt: t.RevokedAt, ExpiresAt: t.ExpiresAt}, true, nil
}

// deny answers a refusal: 401 with a challenge, or 403, with the reason.
func deny(w http.ResponseWriter, d authz.Decision) {
	if d.Outcome == authz.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="oatstore"`)
		writeError(w, http.StatusUnauthorized, codeUnauthorized, d.Reason)
		return
	}
	writeError(w, http.StatusForbidden, codeForbidden, d.Reason)
}

// allowed answers a refusal and returns false, or returns true.
func allowed(w http.ResponseWriter, d authz.Decision) bool {
	if d.Allowed() {
		return true
	}
	deny(w, d)
	return false
}

// refusal carries a decision made inside a store transaction out of it:
// returning it cancels the transaction, and fail answers it with deny.
type refusal struct{ d authz.Decision }

func (e refusal) Error() string { return e.d.Reason }

// refused returns a refusal error for a decision that does not allow, or
// nil.
func refused(d authz.Decision) error {
	if d.Allowed() {
		return nil
	}
	return refusal{d}
}

// target is a stored token as authz weighs it.
func target(t store.Token) authz.Target {
	return authz.Target{ID: t.ID, Scopes: t.Scopes, ExpiresAt: t.ExpiresAt}
}

// whoami answers GET /v1/whoami: who the credential is and what it may do.
func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, principal(r).Summary())
}
