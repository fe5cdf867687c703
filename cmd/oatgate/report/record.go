package report

import (
	"errors"
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

// ParseLine reads one line of Caddy's JSON log output into r, which it
// resets first. Lines of other loggers are ErrForeign; so are entries whose
// logger is not named (a custom encoder) but whose message is not the usage
// event's.
//
// A flat object, as zap writes, is read by a scanner that allocates only
// the strings it returns; anything else is read by encoding/json, whose
// result the scanner's always equals.
func ParseLine(b []byte, r *Record) error {
	var (
		s scanner
		f fields
	)
	switch s.scan(b, &f) {
	case isEvent:
		f.record(r, nil)
		return nil
	case isForeign:
		*r = Record{}
		return ErrForeign
	}
	return parseJSON(b, r)
}

// IsManifest reports whether the event's path is a manifest's.
func (r *Record) IsManifest() bool { return strings.Contains(r.Path, "/manifests/") }

// succeeded reports whether the request was allowed and answered 2xx or 3xx.
func (r *Record) succeeded() bool {
	return r.Decision == usage.Allow && r.Status >= 200 && r.Status < 400
}
