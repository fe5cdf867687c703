package server

import (
	"errors"
	"net/http"

	"github.com/oatgate/oatgate/caddymodule/scope"
	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/federation"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// introspectFederated answers POST /v1/introspect with form body
// token=<JWT>&org=<org>: a gateway asking about a docker login whose
// password is a CI job's ID token (storeapi.OrgParam). The federated token
// of that (org, JWT) is looked up first: one that exists answers as it is,
// without verifying the JWT again, so a job keeps working until its
// federated token expires even after its ID token has; one that was
// revoked stays refused. Otherwise the JWT is verified and matched against
// the org's policies, and a token issued: the same row, and so the same
// token id, on every replica and every retry. A JWT that is not accepted
// is {"active":false}; an issuer that cannot be reached with no keys
// cached is a 503, never an answer.
func (s *Server) introspectFederated(w http.ResponseWriter, r *http.Request) {
	form := r.PostForm
	if len(form[storeapi.TokenParam]) != 1 || len(form[storeapi.OrgParam]) != 1 {
		badRequest(w, "introspection of an ID token takes token and org, once each")
		return
	}
	jwt, org := form.Get(storeapi.TokenParam), form.Get(storeapi.OrgParam)
	inactive := storeapi.Introspection{Active: false}
	if !scope.ValidOrg(org) || len(jwt) > federation.MaxJWTLen {
		writeJSON(w, http.StatusOK, inactive)
		return
	}
	hash := federation.LoginHash(org, jwt)
	t, err := s.store.TokenByHash(r.Context(), hash[:])
	switch {
	case err == nil:
		s.answerToken(w, t)
		return
	case !errors.Is(err, store.ErrNotFound):
		s.fail(w, err, "")
		return
	}
	t, oerr, err := s.federate(r.Context(), exchangeRequest{jwt: jwt, org: org, hash: hash[:], sourceIP: sourceIP(r)})
	switch {
	case err != nil:
		s.fail(w, err, "")
	case oerr != nil && oerr.Code == federation.CodeTemporarilyUnavailable:
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, codeUnavailable, "the ID token's issuer could not be reached to fetch its keys; retry shortly")
	case oerr != nil && oerr.Code == federation.CodeSlowDown:
		// Not an answer about the token: the gateway retries or serves
		// what it holds, as for any outage.
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, codeUnavailable, "too many ID tokens are being verified; retry shortly")
	case oerr != nil:
		writeJSON(w, http.StatusOK, inactive)
	default:
		s.answerToken(w, t)
	}
}
