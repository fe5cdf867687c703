package server

import (
	"net/http"

	"go.uber.org/zap"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// Bounds of org settings.
const (
	maxMaxTokens     = 100000
	maxMaxExpiryDays = 3650
)

// orgRequest is the PUT /v1/orgs/{org} body. Omitted fields keep their
// current value (or the default, for a new org).
type orgRequest struct {
	MaxTokens         *int  `json:"max_tokens"`
	MaxExpiryDays     *int  `json:"max_expiry_days"`
	DefaultExpiryDays *int  `json:"default_expiry_days"`
	AllowNeverExpires *bool `json:"allow_never_expires"`
	// MaxFederatedTokens bounds the org's active federated tokens.
	MaxFederatedTokens *int `json:"max_federated_tokens"`
}

func (s *Server) putOrg(w http.ResponseWriter, r *http.Request) {
	name := orgParam(w, r)
	if name == "" || !allowed(w, principal(r).MayChangeOrg(name)) {
		return
	}
	var req orgRequest
	if !decode(w, r, &req) {
		return
	}
	if req.MaxTokens != nil && (*req.MaxTokens < 0 || *req.MaxTokens > maxMaxTokens) {
		badRequest(w, "max_tokens must be between 0 and %d", maxMaxTokens)
		return
	}
	if req.MaxExpiryDays != nil && (*req.MaxExpiryDays < 1 || *req.MaxExpiryDays > maxMaxExpiryDays) {
		badRequest(w, "max_expiry_days must be between 1 and %d", maxMaxExpiryDays)
		return
	}
	if req.MaxFederatedTokens != nil && (*req.MaxFederatedTokens < 0 || *req.MaxFederatedTokens > maxMaxTokens) {
		badRequest(w, "max_federated_tokens must be between 0 and %d", maxMaxTokens)
		return
	}
	if req.DefaultExpiryDays != nil && (*req.DefaultExpiryDays < 1 || *req.DefaultExpiryDays > maxMaxExpiryDays) {
		badRequest(w, "default_expiry_days must be between 1 and %d", maxMaxExpiryDays)
		return
	}
	ev := s.event(r, store.ActionOrgUpdated)
	o, created, err := s.store.PutOrg(r.Context(), name, func(cur store.Org, _ bool) (store.Org, error) {
		if req.MaxTokens != nil {
			cur.MaxTokens = *req.MaxTokens
		}
		if req.MaxExpiryDays != nil {
			cur.MaxExpiryDays = *req.MaxExpiryDays
		}
		if req.AllowNeverExpires != nil {
			cur.AllowNeverExpires = *req.AllowNeverExpires
		}
		if req.DefaultExpiryDays != nil {
			cur.DefaultExpiryDays = *req.DefaultExpiryDays
		}
		if req.MaxFederatedTokens != nil {
			cur.MaxFederatedTokens = *req.MaxFederatedTokens
		}
		if cur.DefaultExpiryDays > cur.MaxExpiryDays {
			if req.DefaultExpiryDays != nil {
				return cur, store.Invalidf("default_expiry_days %d is more than max_expiry_days %d: lower it or raise max_expiry_days", cur.DefaultExpiryDays, cur.MaxExpiryDays)
			}
			// Lowering the maximum lowers the default with it.
			cur.DefaultExpiryDays = cur.MaxExpiryDays
		}
		return cur, nil
	}, ev)
	if err != nil {
		s.fail(w, err, "")
		return
	}
	status, action := http.StatusOK, store.ActionOrgUpdated
	if created {
		status, action = http.StatusCreated, store.ActionOrgCreated
	}
	s.log.Info("org changed", zap.String("action", action), zap.String("org", name), zap.String("actor", ev.Actor), zap.String("on_behalf_of", ev.OnBehalfOf))
	writeJSON(w, status, o)
}

func (s *Server) getOrg(w http.ResponseWriter, r *http.Request) {
	name := orgParam(w, r)
	if name == "" || !allowed(w, principal(r).MayReadOrg(name)) {
		return
	}
	o, err := s.store.GetOrg(r.Context(), name)
	if err != nil {
		s.fail(w, err, orgNotFound(name))
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// listOrgs answers every org the caller may read: all of them for an admin
// key, its own for an org management token.
func (s *Server) listOrgs(w http.ResponseWriter, r *http.Request) {
	os, err := s.store.ListOrgs(r.Context())
	if err != nil {
		s.fail(w, err, "")
		return
	}
	p := principal(r)
	visible := make([]store.Org, 0, len(os))
	for _, o := range os {
		if p.MayReadOrg(o.Name).Allowed() {
			visible = append(visible, o)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"orgs": visible})
}

func orgNotFound(name string) string {
	return "org \"" + name + "\" does not exist; create it with PUT /v1/orgs/" + name + " (oatstore org set " + name + ")"
}
