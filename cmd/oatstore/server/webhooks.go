package server

import (
	"fmt"
	"net/http"
	"strconv"

	"go.uber.org/zap"

	"github.com/oatgate/oatgate/caddymodule/scope"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// The webhook routes: configuration (org:webhooks:write to change,
// read to see), a test delivery and each delivery's outcome. The secret
// goes in and never comes out.

const (
	defaultDeliveriesLimit = 50
	maxDeliveriesLimit     = 500
)

// webhookParams returns {org} and {name} after the caller's access to the
// org's webhooks, or answers and returns ok=false.
func webhookParams(w http.ResponseWriter, r *http.Request, a scope.OrgAccess) (org, name string, ok bool) {
	org = orgParam(w, r)
	if org == "" || !allowed(w, principal(r).MayAct(org, scope.OrgWebhooks, a)) {
		return "", "", false
	}
	if name = r.PathValue("name"); !webhookName.MatchString(name) {
		badRequest(w, "invalid webhook name %q: want 1 to 63 of a-z, 0-9, . _ - starting with a letter or digit", name)
		return "", "", false
	}
	return org, name, true
}

func webhookNotFound(org, name string) string {
	return "webhook \"" + name + "\" of org \"" + org + "\" does not exist; create it with PUT /v1/orgs/" + org + "/webhooks/" + name + " (oatstore webhook set)"
}

func (s *Server) putWebhook(w http.ResponseWriter, r *http.Request) {
	org, name, ok := webhookParams(w, r, scope.OrgWrite)
	if !ok || !allowed(w, principal(r).MaySetWebhook(org)) {
		return
	}
	var req webhookRequest
	if !decode(w, r, &req) {
		return
	}
	if err := req.check(s.webhookOpts); err != nil {
		badRequest(w, "%v", err)
		return
	}
	ev := s.event(r, store.ActionWebhookUpdated)
	hook, created, err := s.store.PutWebhook(r.Context(), org, name, req.apply, ev)
	if err != nil {
		s.fail(w, err, orgNotFound(org))
		return
	}
	status, action := http.StatusOK, store.ActionWebhookUpdated
	if created {
		status, action = http.StatusCreated, store.ActionWebhookCreated
	}
	s.logWebhook(action, ev, hook)
	writeJSON(w, status, hook)
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) {
	org, name, ok := webhookParams(w, r, scope.OrgRead)
	if !ok {
		return
	}
	hook, err := s.store.GetWebhook(r.Context(), org, name)
	if err != nil {
		s.fail(w, err, webhookNotFound(org, name))
		return
	}
	writeJSON(w, http.StatusOK, hook)
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	org := orgParam(w, r)
	if org == "" || !allowed(w, principal(r).MayAct(org, scope.OrgWebhooks, scope.OrgRead)) {
		return
	}
	hooks, err := s.store.ListWebhooks(r.Context(), org)
	if err != nil {
		s.fail(w, err, orgNotFound(org))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": hooks})
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	org, name, ok := webhookParams(w, r, scope.OrgWrite)
	if !ok {
		return
	}
	ev := s.event(r, store.ActionWebhookDeleted)
	hook, err := s.store.DeleteWebhook(r.Context(), org, name, ev)
	if err != nil {
		s.fail(w, err, webhookNotFound(org, name))
		return
	}
	s.logWebhook(store.ActionWebhookDeleted, ev, hook)
	w.WriteHeader(http.StatusNoContent)
}

// testWebhook queues a webhook.test event for the webhook and wakes the
// dispatcher; the outcome shows in its deliveries.
func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) {
	org, name, ok := webhookParams(w, r, scope.OrgWrite)
	if !ok {
		return
	}
	if ok, wait := s.hookTests.allow(org, name, s.now()); !ok {
		w.Header().Set("Retry-After", retryAfter(wait))
		writeError(w, http.StatusTooManyRequests, codeTooMany, fmt.Sprintf("webhook %q of org %q was tested %d times in the last minute; wait for the deliveries to show (oatstore webhook deliveries) and retry later", name, org, testsPerWindow))
		return
	}
	ev := s.event(r, store.ActionWebhookTested)
	id, err := s.store.TestWebhook(r.Context(), org, name, ev)
	if err != nil {
		s.fail(w, err, webhookNotFound(org, name))
		return
	}
	s.hooks.Kick()
	s.log.Info("webhook test queued", zap.String("org", org), zap.String("webhook", name), zap.String("event_id", id), zap.String("actor", ev.Actor))
	writeJSON(w, http.StatusAccepted, map[string]string{"event_id": id})
}

// deliveryView is a delivery as GET .../deliveries shows it.
type deliveryView struct {
	store.Delivery
	State string `json:"state"`
}

func (s *Server) webhookDeliveries(w http.ResponseWriter, r *http.Request) {
	org, name, ok := webhookParams(w, r, scope.OrgRead)
	if !ok {
		return
	}
	limit := defaultDeliveriesLimit
	if raw := r.URL.Query().Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxDeliveriesLimit {
			badRequest(w, "limit %q: want a number from 1 to %d", raw, maxDeliveriesLimit)
			return
		}
		limit = n
	}
	ds, err := s.store.Deliveries(r.Context(), org, name, limit)
	if err != nil {
		s.fail(w, err, webhookNotFound(org, name))
		return
	}
	out := make([]deliveryView, len(ds))
	for i, d := range ds {
		out[i] = deliveryView{Delivery: d, State: d.State()}
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": out})
}

// logWebhook logs a configuration change: names and events, never the
// URL (it may carry the receiver's own credential) nor the secret.
func (s *Server) logWebhook(action string, ev store.Event, h store.Webhook) {
	s.log.Info("webhook changed",
		zap.String("action", action),
		zap.String("org", h.Org),
		zap.String("webhook", h.Name),
		zap.Strings("events", h.Events),
		zap.String("actor", ev.Actor),
		zap.String("on_behalf_of", ev.OnBehalfOf),
	)
}
