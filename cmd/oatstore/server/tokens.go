package server

import (
	"crypto/rand"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/caddymodule/scope"
	"github.com/oatgate/oatgate/cmd/oatstore/authz"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// createRequest is the POST /v1/orgs/{org}/tokens body.
type createRequest struct {
	Label       string   `json:"label"`
	Description string   `json:"description"`
	Scopes      []string `json:"scopes"`
	ExpiresAt   *string  `json:"expires_at"`
	ExpiresIn   *string  `json:"expires_in"`
}

// created is the answer to a create: the metadata plus, this once, the
// secret.
type created struct {
	store.Token
	Secret string `json:"token"`
}

func newTokenID() string {
	return tokenIDPrefix + strings.ToLower(rand.Text())
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	org := orgParam(w, r)
	if org == "" {
		return
	}
	who := principal(r)
	// Asked before the store too, so that a token of another org learns
	// nothing about this one (not even whether it exists).
	if !allowed(w, who.MayAct(org, scope.OrgTokens, scope.OrgWrite)) {
		return
	}
	var req createRequest
	if !decode(w, r, &req) {
		return
	}
	if err := checkLabel(req.Label); err != nil {
		badRequest(w, "%v", err)
		return
	}
	if err := checkDescription(req.Description); err != nil {
		badRequest(w, "%v", err)
		return
	}
	scopes, err := canonicalScopes(org, req.Scopes)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	var at string
	if req.ExpiresAt != nil {
		at = *req.ExpiresAt
	}
	exp, err := parseExpiry(at, false, req.ExpiresIn)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	secret, err := oat.Generate()
	if err != nil {
		s.fail(w, err, "")
		return
	}
	hash := oat.HashOf(secret.Reveal())
	ev := s.event(r, store.ActionTokenCreated)
	t, err := s.store.CreateToken(r.Context(), org, hash[:], func(o store.Org) (store.Token, error) {
		expiresAt, err := exp.resolve(o, ev.At)
		if err != nil {
			return store.Token{}, err
		}
		// A token may not outlive the token that creates it: without an
		// asked-for expiry, the new one ends with its creator.
		if limit := who.ExpiresAt(); !exp.set && limit != nil && (expiresAt == nil || expiresAt.After(*limit)) {
			expiresAt = limit
		}
		if err := refused(who.MayCreateToken(org, authz.Grant{Scopes: scopes, ExpiresAt: expiresAt})); err != nil {
			return store.Token{}, err
		}
		return store.Token{
			ID:          newTokenID(),
			Label:       req.Label,
			Description: req.Description,
			Scopes:      scopes,
			CreatedAt:   ev.At,
			CreatedBy:   ev.Actor,
			ExpiresAt:   expiresAt,
			Active:      true,
		}, nil
	}, ev)
	if err != nil {
		s.fail(w, err, orgNotFound(org))
		return
	}
	s.logToken(ev, t)
	writeJSON(w, http.StatusCreated, created{Token: t, Secret: secret.Reveal()})
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	org := orgParam(w, r)
	if org == "" {
		return
	}
	if !allowed(w, principal(r).MayAct(org, scope.OrgTokens, scope.OrgRead)) {
		return
	}
	ts, err := s.store.ListTokens(r.Context(), org)
	if err != nil {
		s.fail(w, err, orgNotFound(org))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": ts})
}

// tokenParams returns the {org} and {id} path values, or answers 400/404
// and returns ok=false.
func tokenParams(w http.ResponseWriter, r *http.Request) (org, id string, ok bool) {
	if org = orgParam(w, r); org == "" {
		return "", "", false
	}
	id = r.PathValue("id")
	if !validTokenID(id) {
		writeError(w, http.StatusNotFound, codeNotFound, tokenNotFound(org, id))
		return "", "", false
	}
	return org, id, true
}

func tokenNotFound(org, id string) string {
	return "org \"" + org + "\" has no token \"" + id + "\""
}

func (s *Server) getToken(w http.ResponseWriter, r *http.Request) {
	org, id, ok := tokenParams(w, r)
	if !ok || !allowed(w, principal(r).MayAct(org, scope.OrgTokens, scope.OrgRead)) {
		return
	}
	t, err := s.store.GetToken(r.Context(), org, id)
	if err != nil {
		s.fail(w, err, tokenNotFound(org, id))
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// change runs one token update and answers with the token after it. may
// decides, inside the transaction and on the token as stored, whether the
// caller may make it; every change first needs org:tokens:write on the
// org, asked before the store so that another org's token learns nothing.
func (s *Server) change(w http.ResponseWriter, r *http.Request, action string, may func(cur store.Token) authz.Decision, apply func(cur store.Token, o store.Org, ev store.Event) (store.Token, error)) {
	org, id, ok := tokenParams(w, r)
	if !ok || !allowed(w, principal(r).MayAct(org, scope.OrgTokens, scope.OrgWrite)) {
		return
	}
	ev := s.event(r, action)
	before, after, err := s.store.UpdateToken(r.Context(), org, id, func(cur store.Token, o store.Org) (store.Token, error) {
		if err := refused(may(cur)); err != nil {
			return cur, err
		}
		return apply(cur, o, ev)
	}, ev)
	if err != nil {
		s.fail(w, err, tokenNotFound(org, id))
		return
	}
	if !sameToken(before, after) {
		s.changes.notify()
		s.logToken(ev, after)
	}
	writeJSON(w, http.StatusOK, after)
}

// manages returns the decision of a change that takes power away from a
// token: the caller must cover what the token holds.
func manages(r *http.Request) func(cur store.Token) authz.Decision {
	who, org := principal(r), r.PathValue("org")
	return func(cur store.Token) authz.Decision { return who.MayManageToken(org, target(cur)) }
}

func (s *Server) deactivateToken(w http.ResponseWriter, r *http.Request) {
	s.change(w, r, store.ActionTokenDeactivated, manages(r), func(cur store.Token, _ store.Org, _ store.Event) (store.Token, error) {
		cur.Active = false
		return cur, nil
	})
}

func (s *Server) activateToken(w http.ResponseWriter, r *http.Request) {
	who, org := principal(r), r.PathValue("org")
	may := func(cur store.Token) authz.Decision {
		return who.MayUpdateToken(org, target(cur), authz.Update{Activate: true})
	}
	s.change(w, r, store.ActionTokenActivated, may, func(cur store.Token, _ store.Org, _ store.Event) (store.Token, error) {
		if cur.RevokedAt != nil {
			return cur, errRevoked(cur)
		}
		cur.Active = true
		return cur, nil
	})
}

func errRevoked(t store.Token) error {
	return store.Conflictf("token %q was revoked at %s; revoked tokens cannot be reactivated, create a new one", t.ID, t.RevokedAt.Format("2006-01-02T15:04:05Z07:00"))
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	s.change(w, r, store.ActionTokenRevoked, manages(r), func(cur store.Token, _ store.Org, ev store.Event) (store.Token, error) {
		if cur.RevokedAt == nil {
			at := ev.At
			cur.RevokedAt = &at
		}
		return cur, nil
	})
}

// deleteToken revokes, or with ?purge=true deletes for good (freeing a slot
// of the org's limit).
func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Query().Get("purge") {
	case "", "false":
		s.revokeToken(w, r)
		return
	case "true":
	default:
		badRequest(w, "purge must be true or false")
		return
	}
	org, id, ok := tokenParams(w, r)
	if !ok || !allowed(w, principal(r).MayAct(org, scope.OrgTokens, scope.OrgWrite)) {
		return
	}
	may := manages(r)
	ev := s.event(r, store.ActionTokenDeleted)
	t, err := s.store.DeleteToken(r.Context(), org, id, func(cur store.Token) error { return refused(may(cur)) }, ev)
	if err != nil {
		s.fail(w, err, tokenNotFound(org, id))
		return
	}
	s.changes.notify()
	s.logToken(ev, t)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) logToken(ev store.Event, t store.Token) {
	s.log.Info("token changed",
		zap.String("action", ev.Action),
		zap.String("org", t.Org),
		zap.String("token_id", t.ID),
		zap.String("token_label", t.Label),
		zap.String("actor", ev.Actor),
		zap.String("on_behalf_of", ev.OnBehalfOf),
		zap.String("source_ip", ev.SourceIP),
	)
}
