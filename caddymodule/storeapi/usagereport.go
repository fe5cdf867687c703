package storeapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Usage reports: gateways tell the store, in the background, what they
// served. A report is a batch: counters per token × repository × hour,
// each token's last use, and the registry actions that change state or
// that the store must see one by one. The gateway sends it gzip-compressed
// (Content-Encoding: gzip, Content-Type: application/json) to
// UsageReportsPath with the gateway key, and sends a batch again, with the
// same ID, until a store answers 200: the store applies an ID once, so a
// batch whose answer was lost is not counted twice.
const (
	// UsageReportsPath takes POST with a gzip-compressed UsageReport and
	// answers 200 with a UsageReportAnswer, also for a batch applied
	// before.
	UsageReportsPath = "/v1/usage-reports"

	// MaxUsageReportBytes bounds a report's compressed body, and
	// MaxUsageReportJSONBytes what it decompresses to: a store refuses
	// more (413) rather than inflate a zip bomb.
	MaxUsageReportBytes     = 1 << 20
	MaxUsageReportJSONBytes = 8 << 20

	// MaxUsageReportItems bounds the counts, last uses and actions of one
	// batch together; a gateway splits a larger backlog into several.
	MaxUsageReportItems = 5000

	// MaxBatchIDLen bounds a batch id: a gateway instance id and a
	// sequence number.
	MaxBatchIDLen = 128
)

// Registry actions a report carries one by one.
const (
	// ActionPush is a manifest pushed (a successful manifest PUT).
	ActionPush = "registry.push"
	// ActionDelete is a manifest or blob deleted (a successful DELETE).
	ActionDelete = "registry.delete"
	// ActionInactiveUsed is a presentation of a token the store knows but
	// that is revoked, deactivated or expired.
	ActionInactiveUsed = "token.inactive_used"
)

// UsageReport is one batch a gateway sends.
type UsageReport struct {
	// ID names the batch for idempotency: the gateway instance's random
	// id, a dash and a sequence number. A retried batch keeps its ID.
	ID string `json:"id"`
	// Counts are the counters of each token × repository × hour.
	Counts []UsageCount `json:"counts"`
	// LastUsed is each token's latest allowed request in the batch.
	LastUsed []LastUse `json:"last_used"`
	// Actions are the registry actions of the batch, oldest first.
	Actions []RegistryAction `json:"actions"`
}

// UsageCount is what one token did to one repository in one hour. The
// counters are the columns of the store's usage API.
type UsageCount struct {
	Org        string `json:"org"`
	TokenID    string `json:"token_id"`
	TokenLabel string `json:"token_label,omitempty"`
	// Repository is empty for requests on no repository (/v2/, the
	// catalog).
	Repository string `json:"repository,omitempty"`
	// Hour is the start of the hour, in Unix seconds (a multiple of 3600).
	Hour int64 `json:"hour"`
	// Requests counts every request, allowed or denied.
	Requests int64 `json:"requests"`
	// Pulls counts successful (2xx) manifest GETs.
	Pulls int64 `json:"pulls,omitempty"`
	// VersionChecks counts allowed manifest HEADs.
	VersionChecks int64 `json:"version_checks,omitempty"`
	// Pushes counts successful manifest PUTs.
	Pushes int64 `json:"pushes,omitempty"`
	// Deletes counts successful manifest and blob DELETEs.
	Deletes int64 `json:"deletes,omitempty"`
	// Denied counts refused requests.
	Denied int64 `json:"denied,omitempty"`
	// BytesIn and BytesOut are request and response body bytes.
	BytesIn  int64 `json:"bytes_in,omitempty"`
	BytesOut int64 `json:"bytes_out,omitempty"`
}

// Add adds o's counters to c.
func (c *UsageCount) Add(o UsageCount) {
	c.Requests += o.Requests
	c.Pulls += o.Pulls
	c.VersionChecks += o.VersionChecks
	c.Pushes += o.Pushes
	c.Deletes += o.Deletes
	c.Denied += o.Denied
	c.BytesIn += o.BytesIn
	c.BytesOut += o.BytesOut
}

// LastUse is a token's latest allowed request: when, from where, with
// which client.
type LastUse struct {
	Org       string    `json:"org"`
	TokenID   string    `json:"token_id"`
	At        time.Time `json:"at"`
	ClientIP  string    `json:"client_ip,omitempty"`
	UserAgent string    `json:"user_agent,omitempty"`
}

// RegistryAction is one action of ActionPush, ActionDelete or
// ActionInactiveUsed.
type RegistryAction struct {
	Action     string    `json:"action"`
	At         time.Time `json:"at"`
	Org        string    `json:"org"`
	TokenID    string    `json:"token_id"`
	TokenLabel string    `json:"token_label,omitempty"`
	Repository string    `json:"repository,omitempty"`
	// Tag is the tag a push or delete named; empty when it named a digest.
	Tag    string `json:"tag,omitempty"`
	Digest string `json:"digest,omitempty"`
	// Reason is why an inactive token is not active (ActionInactiveUsed).
	Reason    Reason `json:"reason,omitempty"`
	ClientIP  string `json:"client_ip,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
}

// UsageReportAnswer is the store's answer to a report.
type UsageReportAnswer struct {
	// Duplicate is true when the batch had been applied before; it is not
	// applied again.
	Duplicate bool `json:"duplicate"`
}

// Items is how many counts, last uses and actions the report holds.
func (r *UsageReport) Items() int { return len(r.Counts) + len(r.LastUsed) + len(r.Actions) }

// EncodeUsageReport renders r as the gzip-compressed body of a report.
func EncodeUsageReport(r *UsageReport) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encoding usage report: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing usage report: %w", err)
	}
	return buf.Bytes(), nil
}

// ErrMalformedReport is wrapped by every error for a report a store must
// not apply.
var ErrMalformedReport = errors.New("malformed usage report")

// ErrUsageReportTooLarge is wrapped by DecodeUsageReport's error for a body
// that decompresses past MaxUsageReportJSONBytes.
var ErrUsageReportTooLarge = errors.New("usage report too large")

// DecodeUsageReport reads a report body: gzip-compressed when gzipped is
// true (Content-Encoding: gzip), plain JSON otherwise. It reads at most
// MaxUsageReportJSONBytes of JSON whatever the compression ratio, then
// checks the report with ParseUsageReport.
func DecodeUsageReport(body io.Reader, gzipped bool) (UsageReport, error) {
	if gzipped {
		zr, err := gzip.NewReader(body)
		if err != nil {
			return UsageReport{}, fmt.Errorf("%w: not gzip: %w", ErrMalformedReport, err)
		}
		defer zr.Close()
		body = zr
	}
	raw, err := io.ReadAll(io.LimitReader(body, MaxUsageReportJSONBytes+1))
	if err != nil {
		return UsageReport{}, fmt.Errorf("%w: reading: %w", ErrMalformedReport, err)
	}
	if len(raw) > MaxUsageReportJSONBytes {
		return UsageReport{}, fmt.Errorf("%w: more than %d bytes of JSON", ErrUsageReportTooLarge, MaxUsageReportJSONBytes)
	}
	return ParseUsageReport(raw)
}

// ParseUsageReport reads a report's JSON. It returns an error wrapping
// ErrMalformedReport for anything the store must not apply: not one JSON object,
// unknown fields, an ID that is empty, too long or holds anything but
// letters, digits, dashes and underscores, more than MaxUsageReportItems
// items, a count or action without org or token id, an hour that is not
// the start of an hour, a negative counter, an unknown action, or a
// string field longer than MaxFieldLen.
func ParseUsageReport(body []byte) (UsageReport, error) {
	var r UsageReport
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return UsageReport{}, fmt.Errorf("%w: %w", ErrMalformedReport, err)
	}
	if dec.More() {
		return UsageReport{}, fmt.Errorf("%w: trailing data after the JSON object", ErrMalformedReport)
	}
	if err := r.check(); err != nil {
		return UsageReport{}, fmt.Errorf("%w: %w", ErrMalformedReport, err)
	}
	return r, nil
}

// MaxFieldLen bounds every string of a report: the gateway truncates user
// agents and references to less.
const MaxFieldLen = 512

func (r *UsageReport) check() error {
	if !validBatchID(r.ID) {
		return fmt.Errorf("batch id %q: want 1 to %d letters, digits, dashes or underscores", r.ID, MaxBatchIDLen)
	}
	if n := r.Items(); n > MaxUsageReportItems {
		return fmt.Errorf("%d items in one batch, at most %d", n, MaxUsageReportItems)
	}
	for i, c := range r.Counts {
		if err := checkStrings(c.Org, c.TokenID, c.TokenLabel, c.Repository); err != nil {
			return fmt.Errorf("count %d: %w", i, err)
		}
		if c.Hour < 0 || c.Hour%3600 != 0 {
			return fmt.Errorf("count %d: hour %d is not the start of an hour in Unix seconds", i, c.Hour)
		}
		for _, v := range []int64{c.Requests, c.Pulls, c.VersionChecks, c.Pushes, c.Deletes, c.Denied, c.BytesIn, c.BytesOut} {
			if v < 0 {
				return fmt.Errorf("count %d: a negative counter", i)
			}
		}
	}
	for i, u := range r.LastUsed {
		if err := checkStrings(u.Org, u.TokenID, u.ClientIP, u.UserAgent); err != nil {
			return fmt.Errorf("last use %d: %w", i, err)
		}
		if u.At.IsZero() {
			return fmt.Errorf("last use %d: no time", i)
		}
	}
	for i, a := range r.Actions {
		switch a.Action {
		case ActionPush, ActionDelete, ActionInactiveUsed:
		default:
			return fmt.Errorf("action %d: unknown action %q", i, a.Action)
		}
		if err := checkStrings(a.Org, a.TokenID, a.TokenLabel, a.Repository, a.Tag, a.Digest, a.ClientIP, a.UserAgent); err != nil {
			return fmt.Errorf("action %d: %w", i, err)
		}
		if a.At.IsZero() {
			return fmt.Errorf("action %d: no time", i)
		}
	}
	return nil
}

// checkStrings wants the first two (org and token id) set, and every one
// within MaxFieldLen.
func checkStrings(org, tokenID string, rest ...string) error {
	if strings.TrimSpace(org) == "" || strings.TrimSpace(tokenID) == "" {
		return errors.New("org and token_id are required")
	}
	for _, s := range append(rest, org, tokenID) {
		if len(s) > MaxFieldLen {
			return fmt.Errorf("a field of %d bytes, at most %d", len(s), MaxFieldLen)
		}
	}
	return nil
}

func validBatchID(id string) bool {
	if id == "" || len(id) > MaxBatchIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
