package server

import (
	"errors"
	"net/http"

	"github.com/oatgate/oatgate/caddymodule/scope"
	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// introspectByID answers POST /v1/introspect with form body
// token_id=<id>&org=<org>: the same storeapi.Introspection as for a secret,
// about the token with that id in that org. Gateways ask it for the OAT
// behind a Docker bearer token they did not mint, so that the bearer token
// dies with its OAT on every replica. The form must not also carry a
// secret, and each field comes once: an ambiguous question is refused
// rather than answered for one of its readings.
func (s *Server) introspectByID(w http.ResponseWriter, r *http.Request) {
	form := r.PostForm
	if len(form[storeapi.TokenIDParam]) != 1 || len(form[storeapi.OrgParam]) != 1 || len(form[storeapi.TokenParam]) != 0 {
		badRequest(w, "introspection by id takes token_id and org, once each, and no token")
		return
	}
	id, org := form.Get(storeapi.TokenIDParam), form.Get(storeapi.OrgParam)
	inactive := storeapi.Introspection{Active: false}
	if id == "" || !scope.ValidOrg(org) {
		writeJSON(w, http.StatusOK, inactive)
		return
	}
	t, err := s.store.GetToken(r.Context(), org, id)
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
	writeJSON(w, http.StatusOK, activeAnswer(t))
}
