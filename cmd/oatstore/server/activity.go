package server

import (
	"net/http"
	"strconv"

	"github.com/oatgate/oatgate/caddymodule/scope"
	"github.com/oatgate/oatgate/cmd/oatstore/authz"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// activityPage is the GET /v1/orgs/{org}/activity answer; next_cursor is
// empty on the last page.
type activityPage struct {
	Entries    []store.Activity `json:"entries"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

// activity answers GET /v1/orgs/{org}/activity?token=&kind=management|registry&since=&until=&limit=&cursor=
// newest first. Management entries are the audit log's, so they need
// what the audit needs (org:audit:read); registry entries need
// org:usage:read; without a kind, a token needs both.
func (s *Server) activity(w http.ResponseWriter, r *http.Request) {
	org := orgParam(w, r)
	if org == "" {
		return
	}
	v := r.URL.Query()
	q := store.ActivityQuery{Org: org, TokenID: v.Get("token"), Kind: v.Get("kind"), Cursor: v.Get("cursor"), Limit: defaultAuditLimit}
	if q.Kind != "" && q.Kind != store.KindManagement && q.Kind != store.KindRegistry {
		badRequest(w, "kind %q: want management or registry", q.Kind)
		return
	}
	p := principal(r)
	for _, need := range []struct {
		kind string
		d    authz.Decision
	}{
		{store.KindManagement, p.MayAct(org, scope.OrgAudit, scope.OrgRead)},
		{store.KindRegistry, p.MayAct(org, scope.OrgUsage, scope.OrgRead)},
	} {
		if (q.Kind == "" || q.Kind == need.kind) && !allowed(w, need.d) {
			return
		}
	}
	if !timeRange(w, v.Get("since"), v.Get("until"), &q.Since, &q.Until) || !tokenFilter(w, q.TokenID) {
		return
	}
	if raw := v.Get("limit"); raw != "" {
		var err error
		if q.Limit, err = strconv.Atoi(raw); err != nil || q.Limit < 1 || q.Limit > maxAuditLimit {
			badRequest(w, "limit %q: want a number from 1 to %d", raw, maxAuditLimit)
			return
		}
	}
	entries, next, err := s.store.Activity(r.Context(), q)
	if err != nil {
		s.fail(w, err, orgNotFound(org))
		return
	}
	writeJSON(w, http.StatusOK, activityPage{Entries: entries, NextCursor: next})
}
