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
	"unicode/utf8"
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

	// Skipped counts the items ParseUsageReport left out of the batch
	// because the store must not apply them, and Why says why of the
	// first; neither is on the wire.
	Skipped int    `json:"-"`
	Why     string `json:"-"`
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
	// Skipped is how many items of the batch the store left out (an
	// item without org or token id, an unknown action, ...); the rest
	// was applied.
	Skipped int `json:"skipped,omitempty"`
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
// ErrMalformedReport only for what makes the whole batch unusable: not one
// JSON object, unknown fields, an ID that is empty, too long or holds
// anything but letters, digits, dashes and underscores, or more than
// MaxUsageReportItems items. One bad item never costs the others: a count,
// last use or action without org or token id, an hour that is not the
// start of an hour, a negative counter, a missing time or an unknown
// action is left out and counted in Skipped; a string field longer than
// MaxFieldLen is cut to it (ClampField).
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
	if !validBatchID(r.ID) {
		return UsageReport{}, fmt.Errorf("%w: batch id %q: want 1 to %d letters, digits, dashes or underscores", ErrMalformedReport, r.ID, MaxBatchIDLen)
	}
	if n := r.Items(); n > MaxUsageReportItems {
		return UsageReport{}, fmt.Errorf("%w: %d items in one batch, at most %d", ErrMalformedReport, n, MaxUsageReportItems)
	}
	r.Counts = keep(&r, r.Counts, "count", checkCount)
	r.LastUsed = keep(&r, r.LastUsed, "last use", checkLastUse)
	r.Actions = keep(&r, r.Actions, "action", checkAction)
	return r, nil
}

// MaxFieldLen bounds every string of a report: the gateway cuts user
// agents and references to it (ClampField), and the store cuts what is
// longer.
const MaxFieldLen = 512

// ClampField returns s as valid UTF-8 without NUL bytes (a run of invalid
// bytes becomes one U+FFFD) of at most MaxFieldLen bytes, cut at a rune
// boundary: what encoding/json writes of it reads back no longer.
// (encoding/json writes each invalid byte as U+FFFD, three bytes.)
func ClampField(s string) string {
	if len(s) <= MaxFieldLen && utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	// PostgreSQL's text holds no NUL: one would fail the batch's
	// transaction there, not just its item.
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(s) <= MaxFieldLen {
		return s
	}
	i := MaxFieldLen
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// keep returns the items of in that check accepts, in place, after it has
// clamped their strings; it counts the others in r.Skipped.
func keep[T any](r *UsageReport, in []T, what string, check func(*T) error) []T {
	out := in[:0]
	for i := range in {
		if err := check(&in[i]); err != nil {
			if r.Skipped == 0 {
				r.Why = fmt.Sprintf("%s %d: %v", what, i, err)
			}
			r.Skipped++
			continue
		}
		out = append(out, in[i])
	}
	return out
}

func checkCount(c *UsageCount) error {
	clamp(&c.Org, &c.TokenID, &c.TokenLabel, &c.Repository)
	if err := required(c.Org, c.TokenID); err != nil {
		return err
	}
	if c.Hour < 0 || c.Hour%3600 != 0 {
		return fmt.Errorf("hour %d is not the start of an hour in Unix seconds", c.Hour)
	}
	for _, v := range []int64{c.Requests, c.Pulls, c.VersionChecks, c.Pushes, c.Deletes, c.Denied, c.BytesIn, c.BytesOut} {
		if v < 0 {
			return errors.New("a negative counter")
		}
	}
	return nil
}

func checkLastUse(u *LastUse) error {
	clamp(&u.Org, &u.TokenID, &u.ClientIP, &u.UserAgent)
	if err := required(u.Org, u.TokenID); err != nil {
		return err
	}
	if u.At.IsZero() {
		return errors.New("no time")
	}
	return nil
}

func checkAction(a *RegistryAction) error {
	switch a.Action {
	case ActionPush, ActionDelete, ActionInactiveUsed:
	default:
		return fmt.Errorf("unknown action %q", ClampField(a.Action))
	}
	clamp(&a.Org, &a.TokenID, &a.TokenLabel, &a.Repository, &a.Tag, &a.Digest, &a.ClientIP, &a.UserAgent)
	if err := required(a.Org, a.TokenID); err != nil {
		return err
	}
	if a.At.IsZero() {
		return errors.New("no time")
	}
	return nil
}

// clamp applies ClampField to each string.
func clamp(fields ...*string) {
	for _, f := range fields {
		*f = ClampField(*f)
	}
}

func required(org, tokenID string) error {
	if strings.TrimSpace(org) == "" || strings.TrimSpace(tokenID) == "" {
		return errors.New("org and token_id are required")
	}
	return nil
}

// Clamp applies ClampField to every string of r, as a gateway does before
// it encodes a batch.
func (r *UsageReport) Clamp() {
	for i := range r.Counts {
		c := &r.Counts[i]
		clamp(&c.Org, &c.TokenID, &c.TokenLabel, &c.Repository)
	}
	for i := range r.LastUsed {
		u := &r.LastUsed[i]
		clamp(&u.Org, &u.TokenID, &u.ClientIP, &u.UserAgent)
	}
	for i := range r.Actions {
		a := &r.Actions[i]
		clamp(&a.Org, &a.TokenID, &a.TokenLabel, &a.Repository, &a.Tag, &a.Digest, &a.ClientIP, &a.UserAgent)
	}
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
