package server

import (
	"net/http"

	"go.uber.org/zap"

	"github.com/oatgate/oatgate/caddymodule/scope"
	"github.com/oatgate/oatgate/cmd/oatstore/federation"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

func (s *Server) federationRoutes() {
	s.mux.Handle("GET /v1/orgs/{org}/federation", s.authenticated(s.listPolicies))
	s.mux.Handle("PUT /v1/orgs/{org}/federation/{name}", s.authenticated(s.putPolicy))
	s.mux.Handle("GET /v1/orgs/{org}/federation/{name}", s.authenticated(s.getPolicy))
	s.mux.Handle("DELETE /v1/orgs/{org}/federation/{name}", s.authenticated(s.deletePolicy))
	s.mux.HandleFunc("POST /v1/token", s.exchange)
}

// The audit log's action filter knows federation's actions too.
func init() {
	for _, a := range []string{store.ActionPolicyCreated, store.ActionPolicyUpdated, store.ActionPolicyDeleted, store.ActionTokenExchanged} {
		auditActions[a] = true
	}
}

// policyParams returns the {org} and {name} path values, or answers 400
// and returns ok=false.
func policyParams(w http.ResponseWriter, r *http.Request) (org, name string, ok bool) {
	if org = orgParam(w, r); org == "" {
		return "", "", false
	}
	name = r.PathValue("name")
	if err := federation.CheckName(name); err != nil {
		badRequest(w, "%v", err)
		return "", "", false
	}
	return org, name, true
}

func policyNotFound(org, name string) string {
	return "org \"" + org + "\" has no trust policy \"" + name + "\"; list them with GET /v1/orgs/" + org + "/federation (oatstore federation list --org " + org + ")"
}

// putPolicy answers PUT /v1/orgs/{org}/federation/{name} with body
// {"issuer","audience","claims","scopes","ttl"}: 201 with the policy when
// created, 200 when replaced. A management token needs
// org:federation:write and must cover the scopes the policy grants, both
// the new ones and, when replacing, the old ones.
func (s *Server) putPolicy(w http.ResponseWriter, r *http.Request) {
	org, name, ok := policyParams(w, r)
	if !ok {
		return
	}
	who := principal(r)
	if !allowed(w, who.MayAct(org, scope.OrgFederation, scope.OrgWrite)) {
		return
	}
	var req federation.Policy
	if !decode(w, r, &req) {
		return
	}
	if req.Name != "" && req.Name != name {
		badRequest(w, "the body names policy %q but the path %q; drop name from the body or make them agree", req.Name, name)
		return
	}
	req.Name = name
	rule, err := req.Validate(org, s.fed.opts)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	ev := s.event(r, store.ActionPolicyUpdated)
	p, created, err := s.store.PutPolicy(r.Context(), org, name, func(cur store.Policy, exists bool) (store.Policy, error) {
		if exists {
			if err := refused(who.MayChangeFederationPolicy(org, cur.Scopes)); err != nil {
				return cur, err
			}
		}
		if err := refused(who.MayChangeFederationPolicy(org, rule.Scopes)); err != nil {
			return cur, err
		}
		return store.PolicyOf(org, rule), nil
	}, ev)
	s.fed.policies.clear()
	if err != nil {
		s.fail(w, err, orgNotFound(org))
		return
	}
	status, action := http.StatusOK, store.ActionPolicyUpdated
	if created {
		status, action = http.StatusCreated, store.ActionPolicyCreated
	}
	s.log.Info("trust policy changed", zap.String("action", action), zap.String("org", org), zap.String("policy", name),
		zap.String("issuer", p.Issuer), zap.String("actor", ev.Actor), zap.String("on_behalf_of", ev.OnBehalfOf))
	writeJSON(w, status, p)
}

func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request) {
	org, name, ok := policyParams(w, r)
	if !ok || !allowed(w, principal(r).MayAct(org, scope.OrgFederation, scope.OrgRead)) {
		return
	}
	p, err := s.store.GetPolicy(r.Context(), org, name)
	if err != nil {
		s.fail(w, err, policyNotFound(org, name))
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request) {
	org := orgParam(w, r)
	if org == "" || !allowed(w, principal(r).MayAct(org, scope.OrgFederation, scope.OrgRead)) {
		return
	}
	ps, err := s.store.ListPolicies(r.Context(), org)
	if err != nil {
		s.fail(w, err, orgNotFound(org))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"policies": ps})
}

// deleted is the answer to a policy delete: the policy as it was and the
// tokens its deletion revoked.
type deleted struct {
	Policy        store.Policy `json:"policy"`
	RevokedTokens []string     `json:"revoked_tokens"`
}

// deletePolicy answers DELETE /v1/orgs/{org}/federation/{name}: the
// policy goes, and every token issued under it is revoked and listed in
// the revocation feed, so gateways drop them at their next poll.
func (s *Server) deletePolicy(w http.ResponseWriter, r *http.Request) {
	org, name, ok := policyParams(w, r)
	if !ok {
		return
	}
	who := principal(r)
	if !allowed(w, who.MayAct(org, scope.OrgFederation, scope.OrgWrite)) {
		return
	}
	ev := s.event(r, store.ActionPolicyDeleted)
	p, revoked, err := s.store.DeletePolicy(r.Context(), org, name, func(cur store.Policy) error {
		return refused(who.MayChangeFederationPolicy(org, cur.Scopes))
	}, ev)
	s.fed.policies.clear()
	if err != nil {
		s.fail(w, err, policyNotFound(org, name))
		return
	}
	if len(revoked) > 0 {
		s.changes.notify()
	}
	if revoked == nil {
		revoked = []string{}
	}
	s.log.Info("trust policy deleted", zap.String("org", org), zap.String("policy", name), zap.Int("revoked_tokens", len(revoked)),
		zap.String("actor", ev.Actor), zap.String("on_behalf_of", ev.OnBehalfOf))
	writeJSON(w, http.StatusOK, deleted{Policy: p, RevokedTokens: revoked})
}
