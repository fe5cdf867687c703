package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/oatgate/oatgate/caddymodule/usage"
)

// line is a log line as JSON holds it. Decoding into it with encoding/json
// is the reference the fast scanner (scan.go) must agree with, and the path
// every line the scanner is not sure of takes.
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

// parseJSON is ParseLine with encoding/json.
func parseJSON(b []byte, r *Record) error {
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
		t, err := parseTimeString(s)
		if err != nil {
			return err
		}
		ts.t = t
		return nil
	}
	if string(b) == "null" {
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	t, err := unixTime(f)
	if err != nil {
		return err
	}
	ts.t = t
	return nil
}

// parseTimeString reads a ts string in any of tsLayouts.
func parseTimeString(s string) (time.Time, error) {
	for _, layout := range tsLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("ts %q: unknown time format", s)
}

// unixTime reads a ts number: unix seconds.
func unixTime(f float64) (time.Time, error) {
	// Beyond these the conversion to nanoseconds overflows.
	if f <= 0 || f > math.MaxInt64/1e9 || math.IsNaN(f) {
		return time.Time{}, fmt.Errorf("ts %v: out of range", f)
	}
	// A float64 of unix seconds holds about a quarter microsecond;
	// rounding drops the noise below that.
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).Round(time.Microsecond), nil
}
