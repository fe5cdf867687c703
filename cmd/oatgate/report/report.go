// Package report aggregates the gateway's usage events — the JSON lines
// Caddy's log writes for the logger "http.handlers.registry_auth.usage" —
// into rows per period, organization, token, repository and event, as
// `oatgate usage-report` prints them. It streams: memory grows with the
// number of rows (and distinct client IPs per row), never with the number of
// events. Lines that are not usage events are counted and skipped.
//
// It lives beside the command rather than in caddymodule: the gateway
// writes usage events and never reads them back, so the module does not
// carry the reader; the report depends only on the event's vocabulary
// (caddymodule/usage).
package report

import (
	"cmp"
	"slices"
	"time"

	"github.com/oatgate/oatgate/caddymodule/usage"
)

// Row is one group's totals.
type Row struct {
	// Period is the start of the row's time span, in UTC (zero for All).
	Period     time.Time
	Org        string
	TokenID    string
	TokenLabel string
	Repository string
	Event      string

	// Requests counts every event of the group, allowed or denied.
	Requests int64
	// Pulls counts successful manifest GETs, as Docker Hub counts pulls.
	Pulls int64
	// VersionChecks counts successful manifest HEADs: clients asking
	// whether a tag moved, which Docker Hub does not count as pulls.
	VersionChecks int64
	// Pushes counts successful manifest PUTs: one per image or tag pushed,
	// however many blobs went with it.
	Pushes int64
	// Deletes counts successful DELETEs of manifests and blobs.
	Deletes int64
	// Denied counts refused requests.
	Denied int64
	// BytesIn and BytesOut are the request and response body bytes.
	BytesIn, BytesOut int64
	// ClientIPs is how many distinct client addresses made the requests.
	ClientIPs int
	// IPs lists them, sorted, when Options.IPs is set.
	IPs []string
	// FirstSeen and LastSeen are the times of the group's first and last
	// events.
	FirstSeen, LastSeen time.Time
}

// Counts says what a report read.
type Counts struct {
	// Lines is every non-empty line read.
	Lines int64
	// Events is the usage events among them; Matched those the filters
	// kept.
	Events, Matched int64
	// Malformed is lines that are not JSON objects (or longer than
	// MaxLineLen); Foreign is JSON lines that are not usage events.
	Malformed, Foreign int64
}

// key identifies a group.
type key struct {
	period     time.Time
	org        string
	tokenID    string
	repository string
	event      string
}

type group struct {
	Row
	ips map[string]struct{}
}

// Report accumulates events into rows. It is not safe for concurrent use.
type Report struct {
	opts   Options
	groups map[key]*group
	counts Counts

	// The fast path's state, reused line after line.
	scan   scanner
	fields fields
	intern interner
}

// New returns an empty report, or an error naming a bad option.
func New(opts Options) (*Report, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Report{opts: o, groups: make(map[key]*group)}, nil
}

// Options returns the options in effect, defaults applied.
func (rep *Report) Options() Options { return rep.opts }

// Counts returns what has been read so far.
func (rep *Report) Counts() Counts { return rep.counts }

// AddLine parses one log line into r and adds it if it is a usage event
// the filters keep. Other lines are counted, never an error. It is
// ParseLine and Add, but for the strings of flat lines: those come from a
// table of the values already seen, so that a repeated org, token or path
// costs no allocation.
func (rep *Report) AddLine(b []byte, r *Record) {
	rep.counts.Lines++
	switch rep.scan.scan(b, &rep.fields) {
	case isEvent:
		rep.fields.record(r, &rep.intern)
		rep.Add(r)
		return
	case isForeign:
		*r = Record{}
		rep.counts.Foreign++
		return
	}
	switch err := parseJSON(b, r); err {
	case nil:
		rep.Add(r)
	case ErrForeign:
		rep.counts.Foreign++
	default:
		rep.counts.Malformed++
	}
}

// Add adds one usage event if the filters keep it.
func (rep *Report) Add(r *Record) {
	rep.counts.Events++
	if !rep.opts.keep(r) {
		return
	}
	rep.counts.Matched++
	k := key{period: rep.opts.Period.start(r.Time), org: r.Org, tokenID: r.TokenID, repository: r.Repository, event: r.Event}
	g := rep.groups[k]
	if g == nil {
		g = &group{Row: Row{
			Period: k.period, Org: r.Org, TokenID: r.TokenID, Repository: r.Repository, Event: r.Event,
			FirstSeen: r.Time, LastSeen: r.Time,
		}, ips: map[string]struct{}{}}
		rep.groups[k] = g
	}
	g.add(r)
}

func (g *group) add(r *Record) {
	g.Requests++
	// A label may be renamed: the row shows the latest.
	if r.TokenLabel != "" && (g.TokenLabel == "" || !r.Time.Before(g.LastSeen)) {
		g.TokenLabel = r.TokenLabel
	}
	if r.Time.Before(g.FirstSeen) {
		g.FirstSeen = r.Time
	}
	if r.Time.After(g.LastSeen) {
		g.LastSeen = r.Time
	}
	g.BytesIn += r.BytesIn
	g.BytesOut += r.BytesOut
	if r.ClientIP != "" {
		if _, ok := g.ips[r.ClientIP]; !ok {
			g.ips[r.ClientIP] = struct{}{}
		}
	}
	if r.Decision == usage.Deny {
		g.Denied++
		return
	}
	if !r.succeeded() {
		return
	}
	switch {
	case r.Method == "GET" && r.IsManifest():
		g.Pulls++
	case r.Method == "HEAD" && r.IsManifest():
		g.VersionChecks++
	case r.Method == "PUT" && r.IsManifest():
		g.Pushes++
	case r.Method == "DELETE":
		g.Deletes++
	}
}

// Rows returns the rows sorted by period, org, token, repository and event.
func (rep *Report) Rows() []Row {
	rows := make([]Row, 0, len(rep.groups))
	for _, g := range rep.groups {
		row := g.Row
		row.ClientIPs = len(g.ips)
		if rep.opts.IPs {
			row.IPs = make([]string, 0, len(g.ips))
			for ip := range g.ips {
				row.IPs = append(row.IPs, ip)
			}
			slices.Sort(row.IPs)
		}
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(a, b Row) int {
		return cmp.Or(
			a.Period.Compare(b.Period),
			cmp.Compare(a.Org, b.Org),
			cmp.Compare(a.TokenID, b.TokenID),
			cmp.Compare(a.Repository, b.Repository),
			cmp.Compare(a.Event, b.Event),
		)
	})
	return rows
}

// Groups is how many rows the report holds so far.
func (rep *Report) Groups() int { return len(rep.groups) }
