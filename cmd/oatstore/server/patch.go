package server

import (
	"encoding/json"
	"net/http"
	"reflect"

	"github.com/oatgate/oatgate/cmd/oatstore/authz"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// patchRequest is the PATCH /v1/orgs/{org}/tokens/{id} body; every field is
// optional. expires_at may only move the expiry earlier; null (never
// expires) is an extension unless the token already never expires.
type patchRequest struct {
	Label       *string         `json:"label"`
	Description *string         `json:"description"`
	Scopes      *[]string       `json:"scopes"`
	ExpiresAt   json.RawMessage `json:"expires_at"`
	ExpiresIn   *string         `json:"expires_in"`
	Active      *bool           `json:"active"`
}

func (s *Server) patchToken(w http.ResponseWriter, r *http.Request) {
	org, _, ok := tokenParams(w, r)
	if !ok {
		return
	}
	var req patchRequest
	if !decode(w, r, &req) {
		return
	}
	if req.Label != nil {
		if err := checkLabel(*req.Label); err != nil {
			badRequest(w, "%v", err)
			return
		}
	}
	if req.Description != nil {
		if err := checkDescription(*req.Description); err != nil {
			badRequest(w, "%v", err)
			return
		}
	}
	var scopes []string
	if req.Scopes != nil {
		var err error
		if scopes, err = canonicalScopes(org, *req.Scopes); err != nil {
			badRequest(w, "%v", err)
			return
		}
	}
	var at string
	atNull := string(req.ExpiresAt) == "null"
	if len(req.ExpiresAt) > 0 && !atNull {
		if err := json.Unmarshal(req.ExpiresAt, &at); err != nil || at == "" {
			badRequest(w, "expires_at: want an RFC 3339 time in a string, or null")
			return
		}
	}
	exp, err := parseExpiry(at, atNull, req.ExpiresIn)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	action := store.ActionTokenUpdated
	if req.Active != nil && req.Label == nil && req.Description == nil && req.Scopes == nil && !exp.set {
		action = store.ActionTokenDeactivated
		if *req.Active {
			action = store.ActionTokenActivated
		}
	}
	who := principal(r)
	// Activating is the one change of active that gives power back.
	update := authz.Update{Scopes: scopes, Activate: req.Active != nil && *req.Active}
	may := func(cur store.Token) authz.Decision { return who.MayUpdateToken(org, target(cur), update) }
	s.change(w, r, action, may, func(cur store.Token, o store.Org, ev store.Event) (store.Token, error) {
		next := cur
		if req.Label != nil {
			next.Label = *req.Label
		}
		if req.Description != nil {
			next.Description = *req.Description
		}
		if req.Scopes != nil {
			next.Scopes = scopes
		}
		if exp.set {
			e, err := exp.shorten(cur.ExpiresAt, o, ev.At)
			if err != nil {
				return cur, err
			}
			next.ExpiresAt = e
		}
		if req.Active != nil {
			if *req.Active && cur.RevokedAt != nil {
				return cur, errRevoked(cur)
			}
			next.Active = *req.Active
		}
		return next, nil
	})
}

// sameToken reports whether an update changed nothing.
func sameToken(a, b store.Token) bool { return reflect.DeepEqual(a, b) }
