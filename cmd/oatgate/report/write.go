package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Format is how Write prints a report.
type Format string

// Formats.
const (
	// Table is aligned columns for people, sizes in KiB/MiB/GiB, followed
	// by a line saying what was read and skipped.
	Table Format = "table"
	// CSV is one header line and a line per row, sizes in bytes, for
	// spreadsheets and scripts.
	CSV Format = "csv"
	// JSON is one document with the rows and the counts.
	JSON Format = "json"
)

// ParseFormat reads "table", "csv" or "json".
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case Table, CSV, JSON:
		return f, nil
	}
	return "", fmt.Errorf("%w: format %q: want table, csv or json", ErrBadOption, s)
}

// columns are the CSV header and the JSON field names, in order.
var columns = []string{
	"period", "org", "token_id", "token_label", "repository", "event",
	"requests", "pulls", "version_checks", "pushes", "deletes", "denied",
	"bytes_in", "bytes_out", "client_ips", "first_seen", "last_seen",
}

// tableHeader is the table's shorter header, column for column.
var tableHeader = []string{
	"PERIOD", "ORG", "TOKEN", "LABEL", "REPOSITORY", "EVENT",
	"REQUESTS", "PULLS", "CHECKS", "PUSHES", "DELETES", "DENIED",
	"IN", "OUT", "IPS", "FIRST", "LAST",
}

// Write prints the report's rows in format f.
func (rep *Report) Write(w io.Writer, f Format) error {
	rows := rep.Rows()
	switch f {
	case CSV:
		return rep.writeCSV(w, rows)
	case JSON:
		return rep.writeJSON(w, rows)
	}
	return rep.writeTable(w, rows)
}

func (rep *Report) writeTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := tableHeader
	if rep.opts.IPs {
		header = append(header[:len(header):len(header)], "CLIENT IPS")
	}
	// aligned too.
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for i := range rows {
		r := &rows[i]
		cells := []string{
			rep.opts.Period.format(r.Period), dash(r.Org), dash(r.TokenID), dash(r.TokenLabel), dash(r.Repository), r.Event,
			itoa(r.Requests), itoa(r.Pulls), itoa(r.VersionChecks), itoa(r.Pushes), itoa(r.Deletes), itoa(r.Denied),
			humanBytes(r.BytesIn), humanBytes(r.BytesOut), strconv.Itoa(r.ClientIPs),
			r.FirstSeen.UTC().Format(time.DateTime), r.LastSeen.UTC().Format(time.DateTime),
		}
		if rep.opts.IPs {
			cells = append(cells, strings.Join(r.IPs, " "))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	_, err := fmt.Fprintln(w, rep.counts.Summary(len(rows)))
	return err
}

func (rep *Report) writeCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	header := columns
	if rep.opts.IPs {
		header = append(header[:len(header):len(header)], "ips")
	}
	_ = cw.Write(header)
	for i := range rows {
		r := &rows[i]
		rec := []string{
			rep.opts.Period.format(r.Period), r.Org, r.TokenID, r.TokenLabel, r.Repository, r.Event,
			itoa(r.Requests), itoa(r.Pulls), itoa(r.VersionChecks), itoa(r.Pushes), itoa(r.Deletes), itoa(r.Denied),
			itoa(r.BytesIn), itoa(r.BytesOut), strconv.Itoa(r.ClientIPs),
			r.FirstSeen.UTC().Format(time.RFC3339Nano), r.LastSeen.UTC().Format(time.RFC3339Nano),
		}
		if rep.opts.IPs {
			rec = append(rec, strings.Join(r.IPs, " "))
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

// jsonRow is a Row as the JSON format spells it.
type jsonRow struct {
	Period        string    `json:"period"`
	Org           string    `json:"org"`
	TokenID       string    `json:"token_id"`
	TokenLabel    string    `json:"token_label"`
	Repository    string    `json:"repository"`
	Event         string    `json:"event"`
	Requests      int64     `json:"requests"`
	Pulls         int64     `json:"pulls"`
	VersionChecks int64     `json:"version_checks"`
	Pushes        int64     `json:"pushes"`
	Deletes       int64     `json:"deletes"`
	Denied        int64     `json:"denied"`
	BytesIn       int64     `json:"bytes_in"`
	BytesOut      int64     `json:"bytes_out"`
	ClientIPs     int       `json:"client_ips"`
	IPs           []string  `json:"ips,omitempty"`
	FirstSeen     time.Time `json:"first_seen"`
	LastSeen      time.Time `json:"last_seen"`
}

type jsonCounts struct {
	Lines     int64 `json:"lines"`
	Events    int64 `json:"events"`
	Matched   int64 `json:"matched"`
	Malformed int64 `json:"malformed"`
	Foreign   int64 `json:"foreign"`
}

func (rep *Report) writeJSON(w io.Writer, rows []Row) error {
	doc := struct {
		Period Period     `json:"period"`
		Rows   []jsonRow  `json:"rows"`
		Counts jsonCounts `json:"counts"`
	}{Period: rep.opts.Period, Rows: make([]jsonRow, len(rows)), Counts: jsonCounts(rep.counts)}
	for i := range rows {
		r := &rows[i]
		doc.Rows[i] = jsonRow{
			Period: rep.opts.Period.format(r.Period), Org: r.Org, TokenID: r.TokenID, TokenLabel: r.TokenLabel,
			Repository: r.Repository, Event: r.Event, Requests: r.Requests, Pulls: r.Pulls,
			VersionChecks: r.VersionChecks, Pushes: r.Pushes, Deletes: r.Deletes, Denied: r.Denied,
			BytesIn: r.BytesIn, BytesOut: r.BytesOut, ClientIPs: r.ClientIPs, IPs: r.IPs,
			FirstSeen: r.FirstSeen.UTC(), LastSeen: r.LastSeen.UTC(),
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

// Summary says in one line what was read, kept and skipped.
func (c Counts) Summary(rows int) string {
	return fmt.Sprintf("%d rows from %d usage events (%d matched the filters); %d lines read, %d malformed and %d foreign lines skipped",
		rows, c.Events, c.Matched, c.Lines, c.Malformed, c.Foreign)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// humanBytes prints n in B, KiB, MiB, GiB or TiB with one decimal.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + [...]string{"KiB", "MiB", "GiB", "TiB"}[i]
}
