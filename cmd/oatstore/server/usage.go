package server

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/oatgate/oatgate/caddymodule/scope"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// usageAnswer is the JSON answer of GET /v1/orgs/{org}/usage.
type usageAnswer struct {
	Org    string           `json:"org"`
	Period string           `json:"period"`
	Rows   []store.UsageRow `json:"rows"`
}

// usageCSVHeader is the CSV's header row: DESIGN.md's columns.
var usageCSVHeader = []string{"period", "token_id", "token_label", "repository", "requests", "pulls", "version_checks", "pushes", "deletes", "denied", "bytes_in", "bytes_out"}

// usage answers GET /v1/orgs/{org}/usage?period=hour|day|month&since=&until=&token=&repository=&format=json|csv
// (admin key, or the org's token with org:usage:read): one row per
// period × token × repository, ordered by period. period defaults to day,
// format to json; since and until are RFC 3339 times (until exclusive);
// since defaults to defaultUsageSince.
func (s *Server) usage(w http.ResponseWriter, r *http.Request) {
	org := orgParam(w, r)
	if org == "" || !allowed(w, principal(r).MayAct(org, scope.OrgUsage, scope.OrgRead)) {
		return
	}
	v := r.URL.Query()
	q := store.UsageQuery{Org: org, Period: v.Get("period"), TokenID: v.Get("token"), Repository: v.Get("repository")}
	if q.Period == "" {
		q.Period = store.PeriodDay
	}
	if q.Period != store.PeriodHour && q.Period != store.PeriodDay && q.Period != store.PeriodMonth {
		badRequest(w, "period %q: want hour, day or month", q.Period)
		return
	}
	format := v.Get("format")
	if format != "" && format != "json" && format != "csv" {
		badRequest(w, "format %q: want json or csv", format)
		return
	}
	if !timeRange(w, v.Get("since"), v.Get("until"), &q.Since, &q.Until) || !tokenFilter(w, q.TokenID) {
		return
	}
	if q.Since.IsZero() {
		q.Since = defaultUsageSince(q.Period, q.Until, s.now())
	}
	if q.Repository != "" && !scope.InNamespace(org, q.Repository) {
		badRequest(w, "repository %q: want a repository of org %q, e.g. %s/app", q.Repository, org, org)
		return
	}
	rows, err := s.store.Usage(r.Context(), q)
	if err != nil {
		s.fail(w, err, orgNotFound(org))
		return
	}
	if format != "csv" {
		writeJSON(w, http.StatusOK, usageAnswer{Org: org, Period: q.Period, Rows: rows})
		return
	}
	writeUsageCSV(w, org, q.Period, rows)
}

// defaultUsageSince is where a usage query without since starts: the
// start of the hour 7 days, of the day 90 days, or of the month 12 months
// before until (or now), for period hour, day or month. Without it, a
// busy org's query (each CI job's federated token has rows of its own)
// would read all the retention's hours and exceed store.MaxUsageHours.
func defaultUsageSince(period string, until, now time.Time) time.Time {
	end := until
	if end.IsZero() {
		end = now
	}
	end = end.UTC()
	switch period {
	case store.PeriodHour:
		return end.Add(-7 * 24 * time.Hour).Truncate(time.Hour)
	case store.PeriodMonth:
		return time.Date(end.Year(), end.Month()-12, 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(end.Year(), end.Month(), end.Day()-90, 0, 0, 0, 0, time.UTC)
}

// writeUsageCSV answers rows as a CSV file a spreadsheet opens: a header
// row, then one row per period × token × repository, as an attachment.
func writeUsageCSV(w http.ResponseWriter, org, period string, rows []store.UsageRow) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="usage-`+org+`-`+period+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	_ = cw.Write(usageCSVHeader)
	n := strconv.FormatInt
	for _, u := range rows {
		_ = cw.Write([]string{u.Period, u.TokenID, cell(u.TokenLabel), cell(u.Repository),
			n(u.Requests, 10), n(u.Pulls, 10), n(u.VersionChecks, 10), n(u.Pushes, 10), n(u.Deletes, 10), n(u.Denied, 10), n(u.BytesIn, 10), n(u.BytesOut, 10)})
	}
	cw.Flush()
}

// cell keeps a spreadsheet from reading text as a formula: a cell that
// starts with = + - @ or a control character gets a leading quote.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// timeRange parses since and until (RFC 3339, either may be empty) into
// dst, answering 400 itself when one is bad or since is not before until.
func timeRange(w http.ResponseWriter, since, until string, sinceDst, untilDst *time.Time) bool {
	for _, p := range []struct {
		name, raw string
		dst       *time.Time
	}{{"since", since, sinceDst}, {"until", until, untilDst}} {
		if p.raw == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, p.raw)
		if err != nil {
			badRequest(w, "%s %q: want an RFC 3339 time such as 2026-01-01T00:00:00Z", p.name, p.raw)
			return false
		}
		*p.dst = t.UTC()
	}
	if !sinceDst.IsZero() && !untilDst.IsZero() && !sinceDst.Before(*untilDst) {
		badRequest(w, "since %s is not before until %s", since, until)
		return false
	}
	return true
}

// tokenFilter checks a token= filter: a token id as the store issues them
// (tok_..., or a federated token's), never a secret.
func tokenFilter(w http.ResponseWriter, id string) bool {
	if id == "" {
		return true
	}
	ok := len(id) <= 128
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
	}
	if !ok || strings.HasPrefix(id, "oat_") {
		badRequest(w, "token %q: want a token id such as tok_...; the CLI also takes a label", truncateForMessage(id))
		return false
	}
	return true
}

// truncateForMessage keeps an echoed value short; a value shaped like a
// secret is never echoed.
func truncateForMessage(s string) string {
	if strings.HasPrefix(s, "oat_") {
		return "oat_..."
	}
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
