package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/oatgate/oatgate/caddymodule/scope"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

const (
	defaultAuditLimit = 50
	maxAuditLimit     = 500
)

var auditActions = map[string]bool{
	store.ActionOrgCreated: true, store.ActionOrgUpdated: true,
	store.ActionTokenCreated: true, store.ActionTokenUpdated: true,
	store.ActionTokenDeactivated: true, store.ActionTokenActivated: true,
	store.ActionTokenRevoked: true, store.ActionTokenDeleted: true,
	store.ActionWebhookCreated: true, store.ActionWebhookUpdated: true,
	store.ActionWebhookDeleted: true, store.ActionWebhookTested: true,
}

// auditPage is the GET /v1/orgs/{org}/audit answer; next_cursor is empty on
// the last page.
type auditPage struct {
	Entries    []store.AuditEntry `json:"entries"`
	NextCursor string             `json:"next_cursor,omitempty"`
}

// audit answers GET /v1/orgs/{org}/audit?since=&until=&action=&limit=&cursor=
// newest first; since and until are RFC 3339 times (until exclusive).
func (s *Server) audit(w http.ResponseWriter, r *http.Request) {
	org := orgParam(w, r)
	if org == "" || !allowed(w, principal(r).MayAct(org, scope.OrgAudit, scope.OrgRead)) {
		return
	}
	q := store.AuditQuery{Org: org, Limit: defaultAuditLimit}
	v := r.URL.Query()
	var err error
	for name, dst := range map[string]*time.Time{"since": &q.Since, "until": &q.Until} {
		if raw := v.Get(name); raw != "" {
			if *dst, err = time.Parse(time.RFC3339, raw); err != nil {
				badRequest(w, "%s %q: want an RFC 3339 time such as 2026-01-01T00:00:00Z", name, raw)
				return
			}
		}
	}
	if q.Action = v.Get("action"); q.Action != "" && !auditActions[q.Action] {
		badRequest(w, "unknown action %q: want one of org.created, org.updated, token.created, token.updated, token.deactivated, token.activated, token.revoked, token.deleted, webhook.created, webhook.updated, webhook.deleted, webhook.tested", q.Action)
		return
	}
	if raw := v.Get("limit"); raw != "" {
		if q.Limit, err = strconv.Atoi(raw); err != nil || q.Limit < 1 || q.Limit > maxAuditLimit {
			badRequest(w, "limit %q: want a number from 1 to %d", raw, maxAuditLimit)
			return
		}
	}
	if raw := v.Get("cursor"); raw != "" {
		if q.Before, err = strconv.ParseInt(raw, 10, 64); err != nil || q.Before < 1 {
			badRequest(w, "cursor %q: want the next_cursor of a previous page", raw)
			return
		}
	}
	if _, err := s.store.GetOrg(r.Context(), org); err != nil {
		s.fail(w, err, orgNotFound(org))
		return
	}
	entries, next, err := s.store.Audit(r.Context(), q)
	if err != nil {
		s.fail(w, err, "")
		return
	}
	page := auditPage{Entries: entries}
	if next > 0 {
		page.NextCursor = strconv.FormatInt(next, 10)
	}
	writeJSON(w, http.StatusOK, page)
}
