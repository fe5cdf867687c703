package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/oatgate/oatgate/caddymodule/usage"
)

// UsageLogger is the logger name usage events carry in Caddy's output.
const UsageLogger = "http.handlers.registry_auth." + usage.LoggerName

// Errors ParseLine returns. They are counted, never fatal.
var (
	// ErrMalformed is a line that is not a JSON object.
	ErrMalformed = errors.New("malformed line")
	// ErrForeign is a JSON line that is not a usage event: another
	// logger's entry, or one without an event or a time.
	ErrForeign = errors.New("not a usage event")
)

// Record is the part of a usage event a report reads.
type Record struct {
	Time       time.Time
	Event      string
	Decision   string
	TokenID    string
	TokenLabel string
	Org        string
	Repository string
	Method     string
	Path       string
	Status     int
	BytesIn    int64
	BytesOut   int64
	ClientIP   string
}

// line is a log line as JSON holds it.
type line struct {
	TS         timestamp `json:"ts"`
	Logger     string    `json:"logger"`
	Msg        string    `json:"msg"`
	Event      string    `json:"event"`
	Decision   string    `json:"decision"`
	TokenID    string    `json:"token_id"`
	TokenLabel string    `json:"token_label"`
	Org        string    `json:"org"`
	Repository string    `json:"repository"`
	Method     string    `json:"method"`
	Path       string    `json:"path"`
	Status     int       `json:"status"`
	BytesIn    int64     `json:"bytes_in"`
	BytesOut   int64     `json:"bytes_out"`
	ClientIP   string    `json:"client_ip"`
}

// ParseLine reads one line of Caddy's JSON log output into r, which it
// resets first. Lines of other loggers are ErrForeign; so are entries whose
// logger is not named (a custom encoder) but whose message is not the usage
// event's.
func ParseLine(b []byte, r *Record) error {
	*r = Record{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return ErrMalformed
	}
	var l line
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	switch {
	case l.Logger != "" && l.Logger != UsageLogger:
		return ErrForeign
	case l.Msg != usage.Message, l.Event == "", l.TS.t.IsZero():
		return ErrForeign
	}
	*r = Record{
		Time: l.TS.t, Event: l.Event, Decision: l.Decision,
		TokenID: l.TokenID, TokenLabel: l.TokenLabel, Org: l.Org, Repository: l.Repository,
		Method: l.Method, Path: l.Path, Status: l.Status,
		BytesIn: l.BytesIn, BytesOut: l.BytesOut, ClientIP: l.ClientIP,
	}
	return nil
}

// IsManifest reports whether the event's path is a manifest's.
func (r *Record) IsManifest() bool { return strings.Contains(r.Path, "/manifests/") }

// succeeded reports whether the request was allowed and answered 2xx or 3xx.
func (r *Record) succeeded() bool {
	return r.Decision == usage.Allow && r.Status >= 200 && r.Status < 400
}

// timestamp is Caddy's "ts": unix seconds as a float by default, or a string
// when the encoder's time_format is set to one of the ISO 8601 forms.
type timestamp struct{ t time.Time }

// tsLayouts are the string forms Caddy's time_format options produce.
var tsLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.000Z0700",
	"2006-01-02 15:04:05.000Z0700",
	"2006/01/02 15:04:05.000",
	"2006/01/02 15:04:05",
}

// UnmarshalJSON accepts a number (unix seconds) or a timestamp string.
func (ts *timestamp) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		for _, layout := range tsLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				ts.t = t
				return nil
			}
		}
		return fmt.Errorf("ts %q: unknown time format", s)
	}
	if string(b) == "null" {
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	// Beyond these the conversion to nanoseconds overflows.
	if f <= 0 || f > math.MaxInt64/1e9 || math.IsNaN(f) {
		return fmt.Errorf("ts %v: out of range", f)
	}
	// A float64 of unix seconds holds about a quarter microsecond;
	// rounding drops the noise below that.
	sec, frac := math.Modf(f)
	ts.t = time.Unix(int64(sec), int64(frac*1e9)).Round(time.Microsecond)
	return nil
}
